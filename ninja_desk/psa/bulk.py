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


# A table that grew by this many rows in one push gets fresh planner statistics at once.
ANALYZE_AFTER = 1000


def analyze(session: Any, table_name: str) -> None:
    """Fresh statistics for a table that just grew a lot, inside the transaction (PostgreSQL).

    Foreign-key checks are planned from the statistics: on a table that was empty at its last
    analyze they plan a sequential scan and run once per inserted row (40 software rows per
    asset: a first push of 10,000 machines took minutes instead of seconds). Without the
    owner's right PostgreSQL skips it with a notice; nothing fails.
    """
    if session.conn.dialect.name == "postgresql":
        session.conn.exec_driver_sql(f"ANALYZE {table_name}")


def _quote(name: str) -> str:
    # Always: Alga has columns named like SQL keywords (current_user).
    return '"' + name.replace('"', '""') + '"'


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
    if conn.dialect.name != "postgresql":
        statement: Any = table.insert()
        if conflict:
            statement = sqlite.insert(table)
            statement = (
                statement.on_conflict_do_update(
                    index_elements=list(conflict),
                    set_={c: statement.excluded[c] for c in update},
                )
                if update
                else statement.on_conflict_do_nothing(index_elements=list(conflict))
            )
        conn.execute(statement, rows)
        return
    dialect = conn.dialect
    columns = list(rows[0])
    casts, params = [], {}
    for i, name in enumerate(columns):
        impl = table.c[name].type.dialect_impl(dialect)
        if isinstance(impl, sa.JSON):
            values = [None if r[name] is None else json.dumps(r[name]) for r in rows]
        else:
            bind = impl.bind_processor(dialect)
            values = [r[name] for r in rows]
            if bind is not None:
                values = [None if v is None else bind(v) for v in values]
        params[f"p{i}"] = values
        casts.append(f"CAST(:p{i} AS {table.c[name].type.compile(dialect=dialect)}[])")
    sql = (
        f"INSERT INTO {_quote(table.name)} ({', '.join(map(_quote, columns))}) "
        f"SELECT * FROM unnest({', '.join(casts)})"
    )
    if conflict:
        sql += f" ON CONFLICT ({', '.join(map(_quote, conflict))}) "
        sql += (
            "DO UPDATE SET " + ", ".join(f"{_quote(c)} = EXCLUDED.{_quote(c)}" for c in update)
            if update
            else "DO NOTHING"
        )
    conn.execute(sa.text(sql), params)


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT with ON CONFLICT support for the connection's backend."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
