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


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT with ON CONFLICT support for the connection's backend."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
