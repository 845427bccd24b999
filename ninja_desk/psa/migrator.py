"""Bring a PSA database to the current schema (`ninja-desk psa migrate --psa-url URL`)."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ninja_desk.psa.database import create_psa_engine
from ninja_desk.psa.errors import PsaSchemaMismatch

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant works; it only has to be the same for every process migrating this database.
_MIGRATION_LOCK_KEY = 0x4E44_5053_4D49  # "NDPSMI"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def migrate(url: str) -> None:
    """Upgrade the database at `url` to head. Re-running is a no-op.

    Run it with an owner (on PostgreSQL: the role that owns the schema, or a superuser), not a
    technician's login. Two machines migrating at once serialise on an advisory lock.
    """
    engine = create_psa_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
                conn.commit()
            try:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY}
                    )
                    conn.commit()
    finally:
        engine.dispose()
    log.info("PSA database at head %s", head_revision())


def current_revision(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def check_schema(conn: sa.Connection) -> None:
    """Raise PsaSchemaMismatch when the database is not at this build's head."""
    current = current_revision(conn)
    head = head_revision()
    if current != head:
        raise PsaSchemaMismatch(
            f"The PSA database is at schema {current or 'none'} but this NinjaDesk needs {head}; "
            "run `ninja-desk psa migrate --psa-url URL` with an owner account."
        )
