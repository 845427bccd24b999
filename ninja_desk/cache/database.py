"""Opening the local cache: WAL, schema version check, rebuild instead of crashing."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.exc import DatabaseError

from ninja_desk.cache.schema import DEVICE_SEARCH_DDL, SCHEMA_VERSION, meta, metadata

log = logging.getLogger(__name__)


def _configure_connection(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable enough for a cache that can always be rebuilt, and much faster.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False},
        pool_size=4,
        max_overflow=4,
    )
    event.listen(engine, "connect", _configure_connection)
    return engine


def _stored_version(engine: Engine) -> int | None:
    with engine.connect() as conn:
        has_meta = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'")
        ).first()
        if not has_meta:
            tables = conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
            return None if tables == 0 else -1
        row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        return int(row[0]) if row and str(row[0]).isdigit() else -1


def _discard(path: Path, reason: str) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            if suffix == "":
                candidate.rename(path.with_name(f"{path.name}.{reason}-{stamp}"))
            else:
                candidate.unlink()


def open_cache_engine(path: Path) -> Engine:
    """Open (or create) the cache at `path`. Never raises for a bad file: it rebuilds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(path)
    try:
        version = _stored_version(engine)
        if version is not None and version != SCHEMA_VERSION:
            engine.dispose()
            reason = "old" if version >= 0 else "unknown"
            log.warning(
                "Local cache %s has schema version %s (expected %s); rebuilding it from NinjaOne.",
                path,
                version,
                SCHEMA_VERSION,
            )
            _discard(path, reason)
            engine = make_engine(path)
        else:
            with engine.connect() as conn:
                verdict = conn.execute(text("PRAGMA quick_check")).scalar()
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {verdict}")
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        engine.dispose()
        log.warning(
            "Local cache %s is unreadable (%s); moved it aside and rebuilding from NinjaOne.",
            path,
            type(exc).__name__,
        )
        _discard(path, "corrupt")
        engine = make_engine(path)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for statement in DEVICE_SEARCH_DDL:
            conn.exec_driver_sql(statement)
        conn.execute(
            text("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', :v)"),
            {"v": str(SCHEMA_VERSION)},
        )
    return engine
