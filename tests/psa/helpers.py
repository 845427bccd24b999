"""Shared set-up steps for PSA tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from ninja_desk.psa import org_mapping
from ninja_desk.psa.clients import create_client
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import rmm_integrations
from ninja_desk.psa.tenancy import PsaDatabase
from tests.psa.builders import org


def ninjaone_integration(db: PsaDatabase, tenant: uuid.UUID) -> uuid.UUID:
    """The tenant's NinjaOne row in `rmm_integrations`, as Alga's own set-up writes it (Alga
    allows one per provider and tenant, so a second call returns the first)."""
    with db.tenant_session(tenant) as s:
        found = s.conn.scalar(
            sa.select(rmm_integrations.c.integration_id).where(
                rmm_integrations.c.tenant == tenant, rmm_integrations.c.provider == "ninjaone"
            )
        )
        if found is not None:
            return found
        integration_id = uuid.uuid4()
        now = utcnow()
        s.conn.execute(
            rmm_integrations.insert().values(
                tenant=tenant,
                integration_id=integration_id,
                provider="ninjaone",
                instance_url="https://eu.ninjarmm.com",
                is_active=True,
                connected_at=now,
                sync_status="pending",
                settings={"region": "eu"},
                created_at=now,
                updated_at=now,
            )
        )
        return integration_id


def setup_integration(
    db: PsaDatabase, tenant: uuid.UUID, admin: uuid.UUID, orgs: dict[int, str]
) -> tuple[uuid.UUID, dict[int, uuid.UUID]]:
    """The NinjaOne integration with each org mapped to a new client of the same name."""
    integration = ninjaone_integration(db, tenant)
    with db.tenant_session(tenant, admin) as s:
        clients = {}
        for org_id, name in orgs.items():
            clients[org_id] = create_client(s, name)
            org_mapping.map_organization(s, integration, org(org_id, name), clients[org_id])
    return integration, clients


@contextmanager
def raw(url: str, tenant: uuid.UUID | None) -> Iterator[sa.Connection]:
    """A raw connection as some login, with app.current_tenant set like the app would."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if tenant is not None:
                conn.execute(
                    sa.text("SELECT set_config('app.current_tenant', :t, true)"), {"t": str(tenant)}
                )
            yield conn
    finally:
        engine.dispose()
