"""Bring a PSA database to the current schema (`ninja-desk psa migrate --psa-url URL`).

What happens depends on what the database is (database_kind.py):
- empty: Alga's tables NinjaDesk uses plus its own `ninjadesk_` tables are created;
- an Alga database: only what is missing is created (NinjaDesk's own tables, and Alga's rmm_*
  tables on an Alga too old to have them); nothing of Alga's is dropped, renamed or altered;
- a NinjaDesk 0005 database: brought to 0005, then its data moves into Alga's layout;
- anything else: refused with a sentence.
Re-running is a no-op. Two machines migrating at once serialise on an advisory lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ninja_desk.psa.database import create_psa_engine
from ninja_desk.psa.database_kind import VERSION_TABLE, DatabaseKind, detect_kind
from ninja_desk.psa.errors import PsaSchemaMismatch
from ninja_desk.psa.schema_creation import missing_tables

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LEGACY_MIGRATIONS_DIR = Path(__file__).resolve().parent / "legacy" / "migrations"
# Any constant works; it only has to be the same for every process migrating this database.
_MIGRATION_LOCK_KEY = 0x4E44_5053_4D49  # "NDPSMI"


@dataclass
class MigrationReport:
    kind: DatabaseKind
    revision_before: str | None
    revision_after: str | None
    created_tables: list[str] = field(default_factory=list)
    moved_rows: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


def alembic_config(directory: Path = MIGRATIONS_DIR) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(directory))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return MigrationContext.configure(
        conn, opts={"version_table": VERSION_TABLE}
    ).get_current_revision()


def _upgrade(conn: sa.Connection, directory: Path = MIGRATIONS_DIR, target: str = "head") -> None:
    cfg = alembic_config(directory)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, target)


def migrate(url: str, *, dry_run: bool = False) -> MigrationReport:
    """Upgrade the database at `url`; with dry_run, only report what would change.

    Run it with an owner (on PostgreSQL: the role that owns the schema, or a superuser).
    """
    engine = create_psa_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
                conn.commit()
            try:
                report = _migrate_locked(conn, dry_run)
                if dry_run:
                    conn.rollback()
                else:
                    conn.commit()
            finally:
                if conn.dialect.name == "postgresql":
                    conn.rollback()
                    conn.execute(
                        sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY}
                    )
                    conn.commit()
    finally:
        engine.dispose()
    return report


def _migrate_locked(conn: sa.Connection, dry_run: bool) -> MigrationReport:
    kind = detect_kind(conn)
    before = current_revision(conn)
    report = MigrationReport(kind, before, before, dry_run=dry_run)
    if kind is DatabaseKind.UNKNOWN:
        raise PsaSchemaMismatch(
            "This database is neither empty, nor an Alga PSA database, nor a NinjaDesk one; "
            "NinjaDesk will not create tables in it. Point --psa-url at your Alga database."
        )
    if kind is DatabaseKind.NINJADESK_0005:
        from ninja_desk.psa.legacy.move_0005 import planned_tables, upgrade_from_0005

        if dry_run:
            report.created_tables = planned_tables()
            report.revision_after = head_revision()
            return report
        report.moved_rows = upgrade_from_0005(conn, lambda: _upgrade(conn))
        report.created_tables = planned_tables()
        report.revision_after = current_revision(conn)
        return report
    report.created_tables = [t.name for t in missing_tables(conn)]
    if not dry_run:
        _upgrade(conn)
        report.revision_after = current_revision(conn)
    else:
        report.revision_after = head_revision()
    log.info("PSA database (%s) at %s; created %s", kind, head_revision(), report.created_tables)
    return report


def check_schema(conn: sa.Connection) -> None:
    """Raise PsaSchemaMismatch when the database is not at this build's head."""
    current = current_revision(conn)
    head = head_revision()
    if current != head:
        kind = detect_kind(conn)
        raise PsaSchemaMismatch(
            f"The PSA database ({kind}) is at NinjaDesk schema {current or 'none'} but this "
            f"NinjaDesk needs {head}; run `ninja-desk psa migrate --psa-url URL` with an owner "
            "account."
        )
