"""Tell what a PSA database is before touching it: empty, Alga's, or an older NinjaDesk's."""

from __future__ import annotations

import enum

import sqlalchemy as sa

LEGACY_VERSION_TABLE = "alembic_version"
VERSION_TABLE = "ninjadesk_alembic_version"


class DatabaseKind(enum.StrEnum):
    EMPTY = "empty"
    ALGA = "alga"  # built by Alga's migrations (with or without NinjaDesk's tables)
    NINJADESK = "ninjadesk"  # NinjaDesk's own Alga-shaped database (demo, SQLite, tests)
    NINJADESK_0005 = "ninjadesk-0005"  # NinjaDesk's pre-Alga schema, to be moved
    UNKNOWN = "unknown"


def detect_kind(conn: sa.Connection) -> DatabaseKind:
    inspector = sa.inspect(conn)
    names = set(inspector.get_table_names())
    if not names:
        return DatabaseKind.EMPTY
    if LEGACY_VERSION_TABLE in names and "companies" in names:
        return DatabaseKind.NINJADESK_0005
    if "knex_migrations" in names and "tenants" in names:
        return DatabaseKind.ALGA
    if VERSION_TABLE in names:
        return DatabaseKind.NINJADESK
    if "tenants" in names:
        columns = {c["name"] for c in inspector.get_columns("tenants")}
        if "client_name" in columns:
            return DatabaseKind.ALGA
    return DatabaseKind.UNKNOWN


def legacy_revision(conn: sa.Connection) -> str | None:
    return conn.execute(sa.text(f"SELECT version_num FROM {LEGACY_VERSION_TABLE}")).scalar()
