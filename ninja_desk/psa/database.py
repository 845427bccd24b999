"""Engines for the PSA database: PostgreSQL in production, a SQLite file as the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ninja_desk import paths


def default_psa_url(data_dir: str | Path | None = None) -> str:
    """The embedded PSA database: a SQLite file in the data dir (honours --data-dir)."""
    return f"sqlite:///{paths.data_dir(data_dir) / 'psa.sqlite3'}"


def create_psa_engine(url: str, **kw: Any) -> sa.Engine:
    """An engine with the per-backend settings the repositories rely on."""
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "postgresql" and sa_url.drivername == "postgresql":
        sa_url = sa_url.set(drivername="postgresql+psycopg")
    if sa_url.get_backend_name() != "sqlite":
        kw.setdefault("pool_pre_ping", True)
        return sa.create_engine(sa_url, **kw)

    # Several processes share the file: wait for the write lock instead of failing at once.
    kw.setdefault("connect_args", {}).setdefault("timeout", 30)
    engine = sa.create_engine(sa_url, **kw)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if sa_url.database and sa_url.database != ":memory:":
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # IMMEDIATE takes the write lock up front: two writers that both read first and then
        # upgrade would otherwise deadlock into SQLITE_BUSY. Read-only sessions use a plain
        # (deferred) BEGIN so, with WAL, they read while a long push is writing.
        conn.exec_driver_sql("BEGIN" if conn.info.get("psa_readonly") else "BEGIN IMMEDIATE")

    return engine
