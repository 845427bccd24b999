"""The one MetaData of the PSA database and the column types both backends share.

Alga's tables (alga_schema.py) and NinjaDesk's own bookkeeping (own_schema.py) hang off the same
`metadata`, so one `create_all(checkfirst=True)` makes whatever a database lacks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

metadata = sa.MetaData()

Uuid = sa.Uuid(as_uuid=True)

# JSONB on PostgreSQL (what Alga uses), JSON text on SQLite.
Json = sa.JSON().with_variant(JSONB(), "postgresql")

# text[] on PostgreSQL; SQLite has no arrays, so a JSON list stands in.
TextArray = sa.JSON().with_variant(ARRAY(sa.Text), "postgresql")

# Alga's enum types. create_type stays on: on an empty database NinjaDesk makes them; on Alga's
# they exist already and the tables that use them are never created by us.
COMMENT_AUTHOR_TYPE = sa.Enum(
    "internal", "client", "unknown", name="comment_author_type", create_constraint=False
)
TICKET_RESPONSE_STATE = sa.Enum(
    "awaiting_client", "awaiting_internal", name="ticket_response_state", create_constraint=False
)


class gen_uuid(FunctionElement[Any]):
    """Alga's `gen_random_uuid()` default; SQLite gets 32 random hex digits (how sa.Uuid stores)."""

    inherit_cache = True


@compiles(gen_uuid, "postgresql")
def _gen_uuid_pg(element: gen_uuid, compiler: Any, **kw: Any) -> str:
    return "gen_random_uuid()"


@compiles(gen_uuid, "sqlite")
def _gen_uuid_sqlite(element: gen_uuid, compiler: Any, **kw: Any) -> str:
    return "(lower(hex(randomblob(16))))"


class _EmptyTextArray(FunctionElement[Any]):
    inherit_cache = True


@compiles(_EmptyTextArray, "postgresql")
def _empty_array_pg(element: _EmptyTextArray, compiler: Any, **kw: Any) -> str:
    return "'{}'::text[]"


@compiles(_EmptyTextArray, "sqlite")
def _empty_array_sqlite(element: _EmptyTextArray, compiler: Any, **kw: Any) -> str:
    return "'[]'"


EMPTY_TEXT_ARRAY = _EmptyTextArray()


def _postgres_ddl(table: sa.Table, statement: str) -> None:
    """DDL that only PostgreSQL can run, issued right after NinjaDesk creates `table`."""
    sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect="postgresql"))


def _postgres_check(table: sa.Table, name: str, definition: str) -> None:
    _postgres_ddl(table, f"ALTER TABLE {table.name} ADD CONSTRAINT {name} {definition}")


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in and out (timestamptz on PostgreSQL).

    SQLite has no time zones and hands back naive values; comparing those with aware ones in the
    push's change detection would raise or, worse, flag every row as changed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite CURRENT_TIMESTAMP default: 'YYYY-MM-DD HH:MM:SS'
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
