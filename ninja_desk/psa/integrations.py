"""The NinjaOne connection row (`rmm_integrations`): connect, disconnect, webhook, sync status.

Secrets never live here (they are in the OS keyring); this row says which instance is linked,
by whom, and how the last sync went.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa import audit
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import CONFIGURE_INTEGRATION, SYNC_DEVICES, require
from ninja_desk.psa.schema import rmm_integrations
from ninja_desk.psa.tenancy import TenantSession


@dataclass(frozen=True, slots=True)
class Integration:
    integration_id: uuid.UUID
    provider: str
    instance_url: str
    oauth_client_id: str | None
    is_active: bool
    connected_by: uuid.UUID | None
    connected_at: datetime | None
    last_full_sync_at: datetime | None
    last_incremental_sync_at: datetime | None
    sync_status: str | None
    sync_error: str | None
    webhook_url: str | None
    webhook_registered_at: datetime | None
    settings: dict[str, Any]


def connect_integration(
    s: TenantSession,
    instance_url: str,
    *,
    oauth_client_id: str | None = None,
    settings: dict[str, Any] | None = None,
) -> uuid.UUID:
    require(s, CONFIGURE_INTEGRATION)
    integration_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        rmm_integrations.insert().values(
            tenant=s.tenant,
            integration_id=integration_id,
            provider="ninjaone",
            instance_url=instance_url,
            oauth_client_id=oauth_client_id,
            is_active=True,
            connected_by=s.user_id,
            connected_at=now,
            settings=settings or {},
            created_at=now,
            updated_at=now,
        )
    )
    audit.record(
        s,
        "integration.connected",
        "rmm_integration",
        integration_id,
        {"instance_url": instance_url, "oauth_client_id": oauth_client_id},
    )
    return integration_id


def _update(s: TenantSession, integration_id: uuid.UUID, **values: Any) -> None:
    t = rmm_integrations
    result = s.conn.execute(
        t.update()
        .where(t.c.tenant == s.tenant, t.c.integration_id == integration_id)
        .values(updated_at=utcnow(), **values)
    )
    if result.rowcount == 0:
        raise NotFound("That NinjaOne connection does not exist in this tenant.")


def disconnect_integration(s: TenantSession, integration_id: uuid.UUID) -> None:
    require(s, CONFIGURE_INTEGRATION)
    _update(s, integration_id, is_active=False, webhook_url=None, webhook_registered_at=None)
    audit.record(s, "integration.disconnected", "rmm_integration", integration_id)


def update_settings(s: TenantSession, integration_id: uuid.UUID, settings: dict[str, Any]) -> None:
    require(s, CONFIGURE_INTEGRATION)
    before = get_integration(s, integration_id).settings
    _update(s, integration_id, settings=settings)
    audit.record(
        s,
        "integration.settings_changed",
        "rmm_integration",
        integration_id,
        audit.diff(before, settings),
    )


def record_webhook_registration(s: TenantSession, integration_id: uuid.UUID, url: str) -> None:
    require(s, CONFIGURE_INTEGRATION)
    before = get_integration(s, integration_id).webhook_url
    _update(s, integration_id, webhook_url=url, webhook_registered_at=utcnow())
    audit.record(
        s,
        "integration.webhook_registered",
        "rmm_integration",
        integration_id,
        {"webhook_url": {"old": before, "new": url}},
    )


def record_sync_status(
    s: TenantSession,
    integration_id: uuid.UUID,
    status: str,
    *,
    full: bool | None = None,
    error: str | None = None,
) -> None:
    """Sync bookkeeping; allowed to anyone who may sync (column-level grant on PostgreSQL)."""
    require(s, SYNC_DEVICES)
    values: dict[str, Any] = {"sync_status": status, "sync_error": error}
    if full is True:
        values["last_full_sync_at"] = utcnow()
    elif full is False:
        values["last_incremental_sync_at"] = utcnow()
    _update(s, integration_id, **values)


def get_integration(s: TenantSession, integration_id: uuid.UUID) -> Integration:
    t = rmm_integrations.c
    row = s.conn.execute(
        sa.select(
            t.integration_id,
            t.provider,
            t.instance_url,
            t.oauth_client_id,
            t.is_active,
            t.connected_by,
            t.connected_at,
            t.last_full_sync_at,
            t.last_incremental_sync_at,
            t.sync_status,
            t.sync_error,
            t.webhook_url,
            t.webhook_registered_at,
            t.settings,
        ).where(t.tenant == s.tenant, t.integration_id == integration_id)
    ).first()
    if row is None:
        raise NotFound("That NinjaOne connection does not exist in this tenant.")
    return Integration(*row)


def list_integrations(s: TenantSession) -> list[uuid.UUID]:
    t = rmm_integrations.c
    return list(s.conn.scalars(sa.select(t.integration_id).where(t.tenant == s.tenant)))
