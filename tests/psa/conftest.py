"""PSA fixtures: every test runs on SQLite and on the real PostgreSQL at 127.0.0.1:5432.

PostgreSQL: one fresh database per test run (created here, dropped at the end), migrated to
Alga's layout the way `ninja-desk psa migrate` does it on an empty database. A PostgreSQL that
is not there fails the run (deselect with `-m "not postgres"`), it never skips silently.
Tests are isolated from each other by tenant, which is the point of the design.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.psa.migrator import migrate
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import TenantInfo, create_tenant

PG_SERVER = os.environ.get("NINJA_DESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@dataclass
class PgServer:
    url: str  # the test database, as its owner
    database: str


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    admin = sa.create_engine(f"{PG_SERVER}/postgres")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {PG_SERVER} is not reachable ({exc.orig}); "
            'start it or deselect these tests with -m "not postgres".'
        )
    finally:
        admin.dispose()
    return PG_SERVER


@pytest.fixture(scope="session")
def pg_server(pg_server_url: str) -> Iterator[PgServer]:
    admin = sa.create_engine(f"{pg_server_url}/postgres", isolation_level="AUTOCOMMIT")
    database = f"nd_psa_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    server = PgServer(f"{pg_server_url}/{database}", database)
    try:
        migrate(server.url)
        yield server
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("psa-template") / "psa.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@dataclass
class PsaEnv:
    backend: str
    psa: PsaDatabase
    tenant: uuid.UUID
    admin_id: uuid.UUID
    pg: PgServer | None = None
    extra: list[PsaDatabase] = field(default_factory=list)

    def another(self) -> PsaDatabase:
        """A second, independent connection pool to the same database (another machine)."""
        other = PsaDatabase(self.psa.url)
        self.extra.append(other)
        return other

    def new_tenant(self, name: str) -> TenantInfo:
        return create_tenant(self.psa, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def psa(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PsaEnv]:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "psa.sqlite3"
        shutil.copy(template, path)
        db = PsaDatabase(f"sqlite:///{path}")
        server = None
    else:
        server = request.getfixturevalue("pg_server")
        db = PsaDatabase(server.url)
    info = create_tenant(db, f"MSP {uuid.uuid4().hex[:6]}")
    env = PsaEnv(request.param, db, info.tenant, info.admin_user_id, server)
    yield env
    for other in env.extra:
        other.dispose()
    db.dispose()


@pytest.fixture
def pg(pg_server: PgServer) -> Iterator[PsaEnv]:
    """PostgreSQL only."""
    db = PsaDatabase(pg_server.url)
    info = create_tenant(db, f"MSP {uuid.uuid4().hex[:6]}")
    env = PsaEnv("postgres", db, info.tenant, info.admin_user_id, pg_server)
    yield env
    for other in env.extra:
        other.dispose()
    db.dispose()
