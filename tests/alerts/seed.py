"""Alga-shaped rows for alert and ticket tests, written directly (clients, the NinjaOne
integration, org mappings, assets), so these tests depend only on the schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import (
    assets,
    clients,
    rmm_integrations,
    rmm_organization_mappings,
)
from ninja_desk.psa.tenancy import TenantSession


def add_client(s: TenantSession, name: str) -> uuid.UUID:
    client_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        clients.insert().values(
            tenant=s.tenant,
            client_id=client_id,
            client_name=name,
            is_inactive=False,
            created_at=now,
            updated_at=now,
        )
    )
    return client_id


def add_integration(s: TenantSession, url: str = "https://eu.ninjarmm.com") -> uuid.UUID:
    integration_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        rmm_integrations.insert().values(
            tenant=s.tenant,
            integration_id=integration_id,
            provider="ninjaone",
            instance_url=url,
            is_active=True,
            settings={},
            created_at=now,
            updated_at=now,
        )
    )
    return integration_id


def map_org(
    s: TenantSession, integration_id: uuid.UUID, org_id: int, name: str, client_id: uuid.UUID
) -> None:
    now = utcnow()
    s.conn.execute(
        rmm_organization_mappings.insert().values(
            tenant=s.tenant,
            mapping_id=uuid.uuid4(),
            integration_id=integration_id,
            external_organization_id=str(org_id),
            external_organization_name=name,
            client_id=client_id,
            auto_sync_assets=True,
            created_at=now,
            updated_at=now,
        )
    )


def add_asset(
    s: TenantSession,
    client_id: uuid.UUID,
    device_id: int,
    org_id: int,
    *,
    name: str | None = None,
    asset_type: str = "workstation",
) -> uuid.UUID:
    asset_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        assets.insert().values(
            tenant=s.tenant,
            asset_id=asset_id,
            asset_tag=f"NINJA-{device_id}",
            name=name or f"PC-{device_id:05d}",
            status="active",
            asset_type=asset_type,
            client_id=client_id,
            rmm_provider="ninjaone",
            rmm_device_id=str(device_id),
            rmm_organization_id=str(org_id),
            agent_status="online",
            created_at=now,
            updated_at=now,
        )
    )
    return asset_id


def add_assets(
    s: TenantSession, devices: Iterable[tuple[int, int]], client_of_org: dict[int, uuid.UUID]
) -> dict[int, uuid.UUID]:
    return {
        d: add_asset(s, client_of_org[o], d, o, asset_type="server" if d % 2 else "workstation")
        for d, o in devices
        if o in client_of_org
    }
