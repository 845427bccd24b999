"""Helpers for batched statements that work on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

# Well under SQLite's 32766 and psycopg's 65535 bind parameters per statement.
IN_CHUNK = 5000


def chunks[T](items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_ids(conn: sa.Connection, column: sa.ColumnElement[Any], ids: Sequence[Any]) -> Iterator[Any]:
    """WHERE clauses matching `column` against many ids, one per chunk.

    PostgreSQL gets a single array parameter (`= ANY(:ids)`): expanding thousands of bound
    parameters into an IN list costs more client time than the query itself.
    """
    if conn.dialect.name == "postgresql":
        if ids:
            yield column == sa.any_(
                sa.bindparam(None, list(ids), type_=postgresql.ARRAY(column.type))
            )
        return
    for part in chunks(ids):
        yield column.in_(part)


# autovacuum_analyze_scale_factor's default: a table grown by more than this share of the rows
# its statistics counted gets new statistics before anything is planned from them.
ANALYZE_SHARE = 0.1


def analyze_if_grown(conn: sa.Connection, table_name: str, added: int) -> None:
    """Fresh planner statistics for a table this transaction grew a lot, inside it (PostgreSQL).

    Foreign-key checks run one planned query per inserted row, planned from the statistics.
    With statistics from before the rows were added (or none: a new database), PostgreSQL
    checked asset_software.software_id with an index on (tenant, normalized_name), reading
    every title of the tenant for every row inserted; with assets empty at its last analyze,
    a first push of 10,000 machines took minutes instead of seconds. Autovacuum would catch up,
    but only after the commit. Only the table's owner may analyze it: other logins (a
    technician's) skip it here rather than draw PostgreSQL's warning on every push.
    """
    if conn.dialect.name != "postgresql" or added <= 0:
        return
    row = conn.execute(
        sa.text(
            "SELECT reltuples, pg_has_role(relowner, 'MEMBER') FROM pg_class"
            " WHERE oid = CAST(:t AS regclass)"
        ),
        {"t": table_name},
    ).first()
    if row is None or not row[1]:
        return
    counted = row[0]  # -1: never analyzed
    if counted < 0 or added > ANALYZE_SHARE * counted:
        conn.exec_driver_sql(f"ANALYZE {table_name}")


def _escape(text: str) -> str:
    # Two C-speed replaces; str.translate with a dict looks every character up in Python and
    # took 2.5 s of a 10,000-device first push on its own.
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    return text


def array_literal(values: Sequence[Any], *, plain: bool = False) -> str:
    """A PostgreSQL array literal ('{"a","b",NULL}') for CAST(:p AS type[]).

    Built with str methods: psycopg dumps a list parameter element by element in Python,
    which for a 10,000-row bulk insert cost more than the insert itself. `plain`: the values'
    text never holds a quote or backslash (uuids, numbers, timestamps), so nothing is escaped.
    """
    if not values:
        return "{}"
    if None not in values:
        texts = map(str, values)
        if not plain:
            texts = map(_escape, texts)
        return '{"' + '","'.join(texts) + '"}'
    return (
        "{"
        + ",".join(
            "NULL" if v is None else '"' + (str(v) if plain else _escape(str(v))) + '"'
            for v in values
        )
        + "}"
    )


def _quote(name: str) -> str:
    # Always: Alga has columns named like SQL keywords (current_user).
    return '"' + name.replace('"', '""') + '"'


def _on_conflict(conflict: Sequence[str], update: Sequence[str]) -> str:
    if not conflict:
        return ""
    target = f" ON CONFLICT ({', '.join(map(_quote, conflict))}) "
    if not update:
        return target + "DO NOTHING"
    return (
        target + "DO UPDATE SET " + ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in update)
    )


def _insert_many_sqlite(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    update: Sequence[str],
) -> None:
    """executemany on the driver with each column's bind processor applied once per value
    (what SQLAlchemy does, without its per-row bookkeeping)."""
    dialect = conn.dialect
    columns = list(rows[0])
    binds = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    converted = [
        tuple(
            v if v is None or bind is None else bind(v)
            for v, bind in zip((r[c] for c in columns), binds, strict=True)
        )
        for r in rows
    ]
    sql = (
        f"INSERT INTO {_quote(table.name)} ({', '.join(map(_quote, columns))}) "
        f"VALUES ({', '.join('?' * len(columns))})" + _on_conflict(conflict, update)
    )
    conn.exec_driver_sql(sql, converted)


def insert_many(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """Insert many rows (all with the same keys) in one round trip; with `conflict`, an upsert
    that updates the `update` columns (or does nothing when there are none).

    PostgreSQL: one INSERT ... SELECT FROM unnest(one array per column). psycopg's executemany
    sends a statement per row, and SQLAlchemy's multi-row VALUES batches are re-parsed on the
    client for every batch; both measured several times slower. SQLite: executemany (a C loop).
    """
    if not rows:
        return
    if conflict:
        latest = {tuple(r[c] for c in conflict): r for r in rows}  # one row per key
        rows = list(latest.values())
    dialect = conn.dialect
    if dialect.name != "postgresql":
        _insert_many_sqlite(conn, table, rows, conflict, update)
        return
    columns = list(rows[0])
    casts, params = [], {}
    for i, name in enumerate(columns):
        impl = table.c[name].type.dialect_impl(dialect)
        values = [r[name] for r in rows]
        if isinstance(impl, sa.JSON):
            values = [None if v is None else json.dumps(v) for v in values]
        else:
            bind = impl.bind_processor(dialect)
            if bind is not None:
                values = [None if v is None else bind(v) for v in values]
        plain = not isinstance(impl, sa.String | sa.JSON)
        params[f"p{i}"] = array_literal(values, plain=plain)
        casts.append(f"CAST(:p{i} AS {table.c[name].type.compile(dialect=dialect)}[])")
    sql = (
        f"INSERT INTO {_quote(table.name)} ({', '.join(map(_quote, columns))}) "
        f"SELECT * FROM unnest({', '.join(casts)})"
    )
    sql += _on_conflict(conflict, update)
    conn.execute(sa.text(sql), params)


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT with ON CONFLICT support for the connection's backend."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
