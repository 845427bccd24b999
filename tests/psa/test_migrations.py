from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ninja_desk.psa.migrator import check_schema, current_revision, head_revision, migrate
from ninja_desk.psa.schema import metadata
from tests.psa.conftest import PG_SERVER


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    request.getfixturevalue("pg_server")  # skips when PostgreSQL is unreachable
    name = f"nd_psa_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
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


def test_migrating_an_empty_database_then_again_is_a_no_op(empty_url):
    migrate(empty_url)
    first = _snapshot(empty_url)
    assert first[0] == head_revision()
    assert set(metadata.tables) <= set(first[1])
    migrate(empty_url)
    assert _snapshot(empty_url) == first


def test_migrations_reproduce_the_declared_schema(empty_url):
    """schema.py and the frozen migrations must not drift apart."""
    migrate(empty_url)
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as conn:
            check_schema(conn)
            # Later revisions may add tables declared elsewhere (the alert pipeline's); this
            # test guards the tables schema.py declares.
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": lambda name, type_, parent: (
                        type_ != "table" or name in metadata.tables
                    )
                },
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_check_schema_names_the_command_to_run(tmp_path):
    from ninja_desk.psa.errors import PsaSchemaMismatch

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with engine.connect() as conn, pytest.raises(PsaSchemaMismatch, match="psa migrate"):
        check_schema(conn)
    engine.dispose()


def test_cli_registers_psa_migrate(tmp_path):
    import argparse

    from ninja_desk.psa.cli import register_psa_commands

    parser = argparse.ArgumentParser(prog="ninja-desk")
    register_psa_commands(parser.add_subparsers(dest="command"))
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    args = parser.parse_args(["psa", "migrate", "--psa-url", url])
    assert args.handler(args) == 0
    assert _snapshot(url)[0] == head_revision()


def test_cli_migrate_explains_an_unreachable_database(capsys):
    import argparse

    from ninja_desk.psa.cli import register_psa_commands

    parser = argparse.ArgumentParser(prog="ninja-desk")
    register_psa_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["psa", "migrate", "--psa-url", "sqlite:////nonexistent-dir/x/psa.sqlite3"]
    )
    assert args.handler(args) == 2
    assert "could not migrate the PSA database" in capsys.readouterr().err


@pytest.mark.postgres
def test_app_and_service_logins_can_check_the_schema_version(pg) -> None:
    """Desktops and agents connect as app logins; the version check must work for them."""
    technician = pg.pg.new_login(pg.tenant, pg.admin_id)
    for url in (technician, pg.pg.service_url):
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                check_schema(conn)  # raises PsaSchemaMismatch or a permission error otherwise
                assert current_revision(conn) == head_revision()
        finally:
            engine.dispose()
