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


def _dialect_sql(name: str, *, postgresql: str, sqlite: str) -> type[FunctionElement[Any]]:
    """A SQL expression (a column default) that each backend spells its own way."""
    element: type[FunctionElement[Any]] = type(name, (FunctionElement,), {"inherit_cache": True})
    compiles(element, "postgresql")(lambda *_args, **_kw: postgresql)
    compiles(element, "sqlite")(lambda *_args, **_kw: sqlite)
    return element


# Alga's `gen_random_uuid()` default; SQLite gets 32 random hex digits (how sa.Uuid stores).
gen_uuid = _dialect_sql(
    "gen_uuid", postgresql="gen_random_uuid()", sqlite="(lower(hex(randomblob(16))))"
)
# An empty text[]; SQLite stores TextArray as a JSON list.
EMPTY_TEXT_ARRAY = _dialect_sql("EmptyTextArray", postgresql="'{}'::text[]", sqlite="'[]'")()


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


def tenant_column() -> sa.Column[Any]:
    """The `tenant` every table starts with (and every key and query names)."""
    return sa.Column("tenant", Uuid, nullable=False)


def utc_column(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)
