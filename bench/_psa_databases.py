"""Throwaway PSA databases for benchmarks: a migrated SQLite file, or a fresh migrated
PostgreSQL database (Alga-shaped), reached as its owner the way Alga's application role is."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ninja_desk.psa.migrator import migrate

PG_SERVER = os.environ.get("NINJA_DESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@contextmanager
def sqlite_psa() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'psa.sqlite3'}"
        migrate(url)
        yield url


@contextmanager
def postgres_psa(prefix: str) -> Iterator[str]:
    """A migrated database, dropped afterwards."""
    name = f"nd_{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        owner = f"{PG_SERVER}/{name}"
        migrate(owner)
        yield owner
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
