"""Throwaway PSA databases for benchmarks: a migrated SQLite file, or a fresh PostgreSQL
database reached through a non-superuser service login (row-level security applies)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ninja_desk.psa.migrator import migrate
from ninja_desk.psa.pg_security import provision_service_login

PG_SERVER = os.environ.get("NINJA_DESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@contextmanager
def sqlite_psa() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'psa.sqlite3'}"
        migrate(url)
        yield url


@contextmanager
def postgres_psa(prefix: str) -> Iterator[str]:
    """A migrated database and a service login to it; both dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    name, login = f"nd_{prefix}_{suffix}", f"nd_svc_{prefix}_{suffix}"
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        owner = f"{PG_SERVER}/{name}"
        migrate(owner)
        provision_service_login(owner, login)
        yield f"{PG_SERVER.split('//')[0]}//{login}@{PG_SERVER.split('@')[1]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{login}"')
        admin.dispose()
