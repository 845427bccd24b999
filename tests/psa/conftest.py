"""PSA fixtures: every test runs on SQLite and on the real PostgreSQL at 127.0.0.1:5432.

PostgreSQL: one fresh database per test run (created here, dropped at the end), migrated by the
superuser; the app connects as a non-superuser service login, so row-level security applies.
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
from ninja_desk.psa.pg_security import provision_login, provision_service_login
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import TenantInfo, create_tenant

PG_SERVER = os.environ.get("NINJA_DESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@dataclass
class PgServer:
    owner_url: str  # superuser, on the test database
    database: str
    service_url: str
    logins: list[str] = field(default_factory=list)

    def url_for(self, login: str) -> str:
        return f"{PG_SERVER.split('//')[0]}//{login}@{PG_SERVER.split('@')[1]}/{self.database}"

    def new_login(self, tenant: uuid.UUID, user_id: uuid.UUID) -> str:
        login = f"nd_t_{uuid.uuid4().hex[:12]}"
        provision_login(self.owner_url, tenant, user_id, login)
        self.logins.append(login)
        return self.url_for(login)


def _admin_engine() -> sa.Engine:
    return sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:  # pragma: no cover - environment
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    database = f"nd_psa_test_{suffix}"
    service = f"nd_svc_{suffix}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    server = PgServer(f"{PG_SERVER}/{database}", database, "")
    try:
        migrate(server.owner_url)
        provision_service_login(server.owner_url, service)
        server.logins.append(service)
        server.service_url = server.url_for(service)
        yield server
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for login in server.logins:
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{login}"')
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
        db = PsaDatabase(server.service_url)
    info = create_tenant(db, f"MSP {uuid.uuid4().hex[:6]}")
    env = PsaEnv(request.param, db, info.tenant, info.admin_user_id, server)
    yield env
    for other in env.extra:
        other.dispose()
    db.dispose()


@pytest.fixture
def pg(pg_server: PgServer) -> Iterator[PsaEnv]:
    """PostgreSQL only (row-level security and grants)."""
    db = PsaDatabase(pg_server.service_url)
    info = create_tenant(db, f"MSP {uuid.uuid4().hex[:6]}")
    env = PsaEnv("postgres", db, info.tenant, info.admin_user_id, pg_server)
    yield env
    for other in env.extra:
        other.dispose()
    db.dispose()
