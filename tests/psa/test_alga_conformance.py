"""The Alga tables NinjaDesk creates are Alga's: same columns, types, nullability, defaults, keys.

`alga_schema_facts.json` is Alga's schema as its own migrations build it (commit 432f5f5);
`alga_schema_facts_extra.json` adds comment_threads and ticket_audit_logs, read the same way from
a database built by Alga's migrations. Any difference fails here, on both backends.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ninja_desk.psa.migrator import migrate
from ninja_desk.psa.schema import ALGA_TABLE_NAMES, OWN_TABLE_NAMES, metadata

HERE = Path(__file__).parent


def _facts() -> dict[str, Any]:
    tables = json.loads((HERE / "alga_schema_facts.json").read_text())["tables"]
    tables.update(json.loads((HERE / "alga_schema_facts_extra.json").read_text()))
    return tables


FACTS = _facts()


def test_every_table_we_create_is_alga_s_or_prefixed_as_ours() -> None:
    for name in metadata.tables:
        assert name in FACTS or name.startswith("ninjadesk_"), name
    assert FACTS.keys() >= ALGA_TABLE_NAMES
    assert all(n.startswith("ninjadesk_") for n in OWN_TABLE_NAMES)


def _key_columns(definition: str) -> tuple[str, ...]:
    inner = re.search(r"\((.*?)\)", definition)
    assert inner, definition
    return tuple(c.strip() for c in inner.group(1).split(","))


@pytest.fixture(scope="module")
def pg_database(pg_server_url: str) -> Iterator[sa.Engine]:
    name = f"nd_conformance_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{pg_server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = f"{pg_server_url}/{name}"
    migrate(url)
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("table", sorted(ALGA_TABLE_NAMES))
def test_postgres_table_matches_alga(pg_database: sa.Engine, table: str) -> None:
    fact = FACTS[table]
    with pg_database.connect() as conn:
        columns = conn.execute(
            sa.text(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,"
                " d.adbin IS NOT NULL FROM pg_attribute a LEFT JOIN pg_attrdef d"
                " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                " WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0"
                " AND NOT a.attisdropped ORDER BY a.attnum"
            ),
            {"t": table},
        ).all()
        constraints = conn.execute(
            sa.text(
                "SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(:t AS regclass)"
            ),
            {"t": table},
        ).all()
    # The facts record `numeric` without precision; Alga's migrations declare numeric(p,s).
    ours = [
        {
            "name": n,
            "type": re.sub(r"^numeric\(.*\)$", "numeric", t),
            "nullable": nullable,
            "has_default": d,
        }
        for n, t, nullable, d in columns
    ]
    assert ours == fact["columns"]
    pks = [_key_columns(d) for kind, d in constraints if kind == "p"]
    assert pks == [_key_columns(d) for d in fact["primary_key"]]
    uniques = {_key_columns(d) for kind, d in constraints if kind == "u"}
    assert uniques == {_key_columns(d) for d in fact.get("unique") or []}
    # Alga added one key NOT VALID (old rows unchecked); a new table has no old rows.
    fact_fks = {d.removesuffix(" NOT VALID") for d in fact.get("foreign_keys") or []}
    for kind, definition in constraints:
        if kind == "f":
            assert definition in fact_fks, f"{table}: {definition} is not one of Alga's keys"
        if kind == "c":
            # PostgreSQL re-renders casts in its own words; the allowed values must be Alga's.
            alga = [_literals(c) for c in fact.get("checks") or []]
            assert _literals(definition) in alga, f"{table}: {definition}"


def _literals(check: str) -> tuple[frozenset[str], frozenset[str]]:
    words = frozenset(re.findall(r"\b[a-z_]+\b", re.sub(r"'[^']*'|::[a-z ]+(\[\])?", "", check)))
    return frozenset(re.findall(r"'([^']*)'", check)), words


def test_sqlite_tables_have_alga_s_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'psa.sqlite3'}"
    migrate(url)
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        for table in sorted(ALGA_TABLE_NAMES):
            columns = inspector.get_columns(table)
            got = [(c["name"], c["nullable"], c["default"] is not None) for c in columns]
            want = [(c["name"], c["nullable"], c["has_default"]) for c in FACTS[table]["columns"]]
            assert got == want, table
            pk = tuple(inspector.get_pk_constraint(table)["constrained_columns"])
            assert pk == _key_columns(FACTS[table]["primary_key"][0]), table
    finally:
        engine.dispose()
