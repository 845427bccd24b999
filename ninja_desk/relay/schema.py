"""The relay database's tables (SQLAlchemy Core, one definition for SQLite and PostgreSQL)
and its schema version, upgraded in place.

Versions: 1 is the layout before endpoint bindings, 2 adds `relay_bindings`. A database made
before the version table existed carries no version; it is recognised by what it holds (the
`bindings_v1` mark in relay_meta means 2, tables without it mean 1), so a store written by any
earlier relay opens and keeps its events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Double,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeEngine

# `INSERT ... ON CONFLICT DO NOTHING` for a table, in the store's dialect.
InsertIgnore = Callable[[Table], Insert]

log = logging.getLogger("ninja_desk.relay.store")

SCHEMA_VERSION = 2
PRUNED_THROUGH = "pruned_through"
# Written for relays from before the version table, which look for it to skip their own
# bindings migration.
BINDINGS_READY = "bindings_v1"

# SQLite's AUTOINCREMENT (a seq is never reused, even after the newest events are pruned)
# needs exactly INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_ID = BigInteger().with_variant(Integer, "sqlite")
_REAL: TypeEngine[float] = Double().with_variant(sqlite.REAL(), "sqlite")
_BIG = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

events = Table(
    "relay_events",
    metadata,
    Column("seq", _ID, Identity(), primary_key=True),
    Column("endpoint", Text, nullable=False),
    Column("activity_key", Text),
    Column("received_at", _REAL, nullable=False),
    # TEXT, not JSONB: JSONB rejects \u0000 and lone surrogates that JSON allows, and
    # subscribers must get exactly what was accepted.
    Column("payload", Text, nullable=False),
    Index("relay_events_received", "received_at"),
    sqlite_autoincrement=True,
)

dedup = Table(
    "relay_dedup",
    metadata,
    Column("endpoint", Text, primary_key=True),
    Column("activity_key", Text, primary_key=True),
    Column("seen_at", _REAL, nullable=False),
    Index("relay_dedup_seen", "seen_at"),
)

endpoints = Table(
    "relay_endpoints",
    metadata,
    Column("name", Text, primary_key=True),
    Column("secret_hash", Text, nullable=False),
    Column("old_secret_hash", Text),
    Column("old_secret_expires", _REAL),
    Column("created_at", _REAL, nullable=False),
)

subscribers = Table(
    "relay_subscribers",
    metadata,
    Column("name", Text, primary_key=True),
    Column("token_hash", Text, nullable=False),
    Column("revoked_at", _REAL),
    Column("created_at", _REAL, nullable=False),
)

meta = Table(
    "relay_meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", _BIG, nullable=False),
)

# Which endpoints' events a subscriber token may read; no row, no events.
bindings = Table(
    "relay_bindings",
    metadata,
    Column("subscriber", Text, primary_key=True),
    Column("endpoint", Text, primary_key=True),
)

forward_targets = Table(
    "relay_forward_targets",
    metadata,
    Column("id", _ID, Identity(), primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("created_at", _REAL, nullable=False),
    sqlite_autoincrement=True,
)

outbox = Table(
    "relay_outbox",
    metadata,
    Column("id", _ID, Identity(), primary_key=True),
    Column("seq", _BIG, nullable=False),
    Column("target_id", _BIG, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", _REAL, nullable=False),
    Column("last_error", Text),
    Index("relay_outbox_due", "next_attempt_at"),
    Index("relay_outbox_seq", "seq"),
    sqlite_autoincrement=True,
)

schema_version = Table(
    "relay_schema_version",
    metadata,
    Column("version", Integer, nullable=False),
)


def current_version(conn: Connection) -> int:
    """0 for an empty database; else the stored version, or the one its contents show."""
    tables = set(inspect(conn).get_table_names())
    if schema_version.name in tables:
        return int(conn.execute(select(schema_version.c.version)).scalar_one())
    if events.name not in tables:
        return 0
    if meta.name in tables:
        mark = conn.execute(select(meta.c.value).where(meta.c.key == BINDINGS_READY)).first()
        if mark is not None:
            return 2
    return 1


def upgrade(conn: Connection, insert_ignore: InsertIgnore) -> None:
    """Bring the schema to SCHEMA_VERSION inside the caller's write transaction."""
    version = current_version(conn)
    recorded = schema_version.name in inspect(conn).get_table_names()
    if version == SCHEMA_VERSION and recorded:
        return
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"The relay database has schema version {version}, newer than this relay "
            f"understands ({SCHEMA_VERSION}); run the newer relay or restore a backup."
        )
    metadata.create_all(conn, checkfirst=True)
    conn.execute(insert_ignore(meta).values(key=PRUNED_THROUGH, value=0))
    conn.execute(insert_ignore(meta).values(key=BINDINGS_READY, value=1))
    if version == 1:
        _bind_existing(conn, insert_ignore)
    if conn.execute(select(schema_version.c.version)).first() is None:
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
    else:
        conn.execute(update(schema_version).values(version=SCHEMA_VERSION))


def _bind_existing(conn: Connection, insert_ignore: InsertIgnore) -> None:
    """A store from before endpoint bindings: its tokens keep working as they did.

    Before bindings every token read every endpoint, so each active subscriber is bound to
    every endpoint that exists now (endpoints added later need `subscriber bind`).
    """
    names = list(
        conn.execute(
            select(subscribers.c.name)
            .where(subscribers.c.revoked_at.is_(None))
            .order_by(subscribers.c.name)
        ).scalars()
    )
    endpoint_names = list(
        conn.execute(select(endpoints.c.name).order_by(endpoints.c.name)).scalars()
    )
    if not names:
        return
    rows = [{"subscriber": s, "endpoint": e} for s in names for e in endpoint_names]
    if rows:
        conn.execute(insert_ignore(bindings), rows)
    log.warning(
        "relay store upgraded to endpoint-bound tokens: %d subscriber token(s) made before "
        "the upgrade keep reading every existing endpoint (%s); narrow them with "
        "`ninja-desk-relay subscriber unbind NAME ENDPOINT`",
        len(names),
        ", ".join(endpoint_names) or "none",
    )
