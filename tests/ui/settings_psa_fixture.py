"""A real, migrated SQLite PSA database with one tenant and a NinjaOne integration.

Migrating takes about a second, so it happens once per session into a template file that each
test copies.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from ninja_desk.psa.integrations import connect_integration
from ninja_desk.psa.migrator import migrate
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_tenant, create_user


@dataclass
class SettingsPsa:
    db: PsaDatabase
    tenant: uuid.UUID
    admin: uuid.UUID
    technician: uuid.UUID
    integration: uuid.UUID

    def as_user(self, user_id: uuid.UUID) -> PsaDatabase:
        """The handle the app puts on ctx.psa: the database plus who is acting."""
        handle = PsaDatabase(self.db.url)
        handle.tenant = self.tenant  # type: ignore[attr-defined]
        handle.user_id = user_id  # type: ignore[attr-defined]
        handle.integration_id = self.integration  # type: ignore[attr-defined]
        return handle


@pytest.fixture(scope="session")
def psa_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("psa-template") / "psa.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings_psa(psa_template: Path, tmp_path: Path):
    path = tmp_path / "psa.sqlite3"
    shutil.copy(psa_template, path)
    db = PsaDatabase(f"sqlite:///{path}")
    info = create_tenant(db, "Test MSP")
    with db.tenant_session(info.tenant, info.admin_user_id) as s:
        integration = connect_integration(s, "https://app.ninjarmm.com", oauth_client_id="cid")
        technician = create_user(s, "tech", ("technician",))
    env = SettingsPsa(db, info.tenant, info.admin_user_id, technician, integration)
    yield env
    db.dispose()
