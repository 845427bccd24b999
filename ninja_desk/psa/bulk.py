"""Helpers for batched statements that work on both backends."""

from __future__ import annotations

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


def insert_many(conn: sa.Connection, statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany INSERT: psycopg pipelines the rows, SQLite loops in C.

    (SQLAlchemy's multi-row "insertmanyvalues" batches measured 2-3x slower here on
    PostgreSQL: psycopg re-parses every distinct batch statement on the client.)
    """
    if rows:
        conn.execute(statement, rows)


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT with ON CONFLICT support for the connection's backend."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
