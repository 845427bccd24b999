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


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """INSERT with ON CONFLICT support for the connection's backend."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
