"""`psa migrate`: what it creates on an empty database, on an Alga database, and what it refuses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ninja_desk.psa.database_kind import DatabaseKind, detect_kind
from ninja_desk.psa.errors import PsaSchemaMismatch
from ninja_desk.psa.migrator import check_schema, current_revision, head_revision, migrate
from ninja_desk.psa.schema import ALGA_TABLE_NAMES, OWN_TABLE_NAMES, metadata

# Keys only PostgreSQL gets, added by DDL after the table (column-list ON DELETE SET NULL).
_POSTGRES_ONLY_KEYS = {
    "rmm_organization_mappings_tenant_client_id_foreign",
    "rmm_alerts_tenant_asset_id_foreign",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    server = request.getfixturevalue("pg_server_url")
    name = f"nd_psa_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _snapshot(url: str) -> tuple[str | None, dict[str, list[str]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables = {
                t: sorted(c["name"] for c in inspector.get_columns(t))
                for t in inspector.get_table_names()
            }
            return current_revision(conn), tables
    finally:
        engine.dispose()


def test_migrating_an_empty_database_then_again_is_a_no_op(empty_url: str) -> None:
    first_report = migrate(empty_url)
    assert first_report.kind is DatabaseKind.EMPTY
    assert set(first_report.created_tables) == set(metadata.tables)
    first = _snapshot(empty_url)
    assert first[0] == head_revision()
    assert set(first[1]) == set(metadata.tables) | {"ninjadesk_alembic_version"}
    again = migrate(empty_url)
    assert again.kind is DatabaseKind.NINJADESK
    assert again.created_tables == []
    assert _snapshot(empty_url) == first


def test_dry_run_reports_and_changes_nothing(empty_url: str) -> None:
    report = migrate(empty_url, dry_run=True)
    assert report.dry_run
    assert set(report.created_tables) == set(metadata.tables)
    assert _snapshot(empty_url) == (None, {})


def test_migrations_reproduce_the_declared_schema(empty_url: str) -> None:
    """schema.py and what the migrations build must not drift apart."""
    migrate(empty_url)
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as conn:
            check_schema(conn)
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": lambda name, type_, parent: (
                        type_ != "table" or name in metadata.tables
                    ),
                    "include_object": lambda obj, name, type_, reflected, compare_to: (
                        type_ != "foreign_key_constraint" or name not in _POSTGRES_ONLY_KEYS
                    ),
                },
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def _older_alga(url: str) -> None:
    """An Alga database from before the RMM tables: Alga's tables, Knex's bookkeeping, a newer
    column NinjaDesk does not know, and data."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            older = [
                t
                for t in metadata.sorted_tables
                if t.name in ALGA_TABLE_NAMES and not t.name.startswith("rmm_")
            ]
            metadata.create_all(conn, tables=older)
            conn.exec_driver_sql("CREATE TABLE knex_migrations (id integer PRIMARY KEY, name text)")
            conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN alga_newer_column text")
            tenant = uuid.uuid4()
            conn.execute(
                sa.text(
                    "INSERT INTO tenants (tenant, client_name, email, billing_source)"
                    " VALUES (:t, 'Oz', 'oz@example.invalid', 'stripe')"
                ),
                {"t": tenant.hex if conn.dialect.name == "sqlite" else tenant},
            )
    finally:
        engine.dispose()


def test_an_older_alga_gets_only_what_is_missing_and_keeps_everything_it_had(
    empty_url: str,
) -> None:
    _older_alga(empty_url)
    before = _snapshot(empty_url)[1]
    report = migrate(empty_url)
    assert report.kind is DatabaseKind.ALGA
    rmm = {n for n in ALGA_TABLE_NAMES if n.startswith("rmm_")}
    assert set(report.created_tables) == rmm | OWN_TABLE_NAMES
    after = _snapshot(empty_url)[1]
    for table, columns in before.items():
        assert after[table] == columns  # nothing of Alga's dropped, renamed or retyped
    assert "alga_newer_column" in after["clients"]
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT client_name FROM tenants")).scalar() == "Oz"
            assert detect_kind(conn) is DatabaseKind.ALGA
            check_schema(conn)
    finally:
        engine.dispose()
    assert migrate(empty_url).created_tables == []


def test_a_database_that_is_neither_alga_nor_ours_is_refused(empty_url: str) -> None:
    engine = sa.create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE invoices (id integer PRIMARY KEY)")
    finally:
        engine.dispose()
    with pytest.raises(PsaSchemaMismatch, match="neither empty, nor an Alga PSA database"):
        migrate(empty_url)
    assert set(_snapshot(empty_url)[1]) == {"invoices"}


def test_check_schema_names_the_command_to_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with engine.connect() as conn, pytest.raises(PsaSchemaMismatch, match="psa migrate"):
        check_schema(conn)
    engine.dispose()
