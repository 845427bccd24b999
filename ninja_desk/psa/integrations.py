"""The NinjaOne row of Alga's `rmm_integrations`: connect, disconnect, settings, sync status.

Alga allows one row per (tenant, provider). When Alga's own NinjaOne integration already made
it, NinjaDesk uses that same row and never a second one. `settings` is shared with Alga
(`region`, `webhookSecret`, `alertPolling{enabled, intervalMinutes}`, `deviceSync{enabled,
intervalMinutes}`, ...): NinjaDesk merges keys into it and never replaces the object, as Alga's
own writers do. Secrets never live here (NinjaDesk keeps them in the OS keyring).

Whether Alga itself is syncing, read the way Alga's UI reads it: device sync runs only when
`deviceSync.enabled` is true; alert polling runs unless `alertPolling.enabled` is false.
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

PROVIDER = "ninjaone"


@dataclass(frozen=True, slots=True)
class Integration:
    integration_id: uuid.UUID
    provider: str
    instance_url: str | None
    is_active: bool
    connected_at: datetime | None
    last_sync_at: datetime | None
    last_full_sync_at: datetime | None
    last_incremental_sync_at: datetime | None
    sync_status: str | None
    sync_error: str | None
    settings: dict[str, Any]

    @property
    def oauth_client_id(self) -> str | None:
        return self.settings.get("clientId")

    @property
    def webhook_url(self) -> str | None:
        return self.settings.get("webhookUrl")

    @property
    def alga_device_sync(self) -> bool:
        return _section(self.settings, "deviceSync").get("enabled") is True

    @property
    def alga_alert_polling(self) -> bool:
        return _section(self.settings, "alertPolling").get("enabled") is not False

    @property
    def alga_syncing(self) -> bool:
        """Alga's own NinjaOne integration is running for this tenant (device sync or alert
        polling switched on in an active row)."""
        return self.is_active and (self.alga_device_sync or self.alga_alert_polling)


def _section(settings: dict[str, Any], key: str) -> dict[str, Any]:
    value = settings.get(key)
    return value if isinstance(value, dict) else {}


def merged(base: dict[str, Any] | None, patch: dict[str, Any]) -> dict[str, Any]:
    """`patch` merged into `base` key by key (nested objects merged too, never replaced)."""
    out = dict(base or {})
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


# Written when NinjaDesk makes the row itself: Alga has no NinjaOne credentials for it, so its
# own sync and polling must not start on it.
ALGA_SYNC_OFF: dict[str, Any] = {
    "deviceSync": {"enabled": False},
    "alertPolling": {"enabled": False},
}

_COLUMNS = (
    "integration_id",
    "provider",
    "instance_url",
    "is_active",
    "connected_at",
    "last_sync_at",
    "last_full_sync_at",
    "last_incremental_sync_at",
    "sync_status",
    "sync_error",
    "settings",
)


def _select() -> sa.Select[Any]:
    return sa.select(*(rmm_integrations.c[name] for name in _COLUMNS))


def _row(row: Any) -> Integration:
    values = dict(row._mapping)
    values["settings"] = values["settings"] if isinstance(values["settings"], dict) else {}
    return Integration(**values)


def find_integration(s: TenantSession) -> Integration | None:
    """This tenant's NinjaOne row (Alga's or NinjaDesk's: it is the same one), if any."""
    t = rmm_integrations.c
    row = s.conn.execute(_select().where(t.tenant == s.tenant, t.provider == PROVIDER)).first()
    return _row(row) if row is not None else None


def require_integration(s: TenantSession) -> Integration:
    """This tenant's NinjaOne row; NotFound, saying how to make one, when there is none."""
    found = find_integration(s)
    if found is None:
        raise NotFound(
            "This tenant has no NinjaOne integration yet; run `ninja-desk psa setup` first."
        )
    return found


def connect_integration(
    s: TenantSession,
    instance_url: str,
    *,
    oauth_client_id: str | None = None,
    settings: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Link NinjaOne: update the tenant's NinjaOne row (keeping Alga's settings) or create it.

    A row NinjaDesk creates has Alga's own device sync and alert polling off (ALGA_SYNC_OFF).
    """
    require(s, CONFIGURE_INTEGRATION)
    patch = dict(settings or {})
    if oauth_client_id:
        patch["clientId"] = oauth_client_id
    now = utcnow()
    existing = find_integration(s)
    t = rmm_integrations
    if existing is None:
        integration_id = uuid.uuid4()
        s.insert(
            t,
            integration_id=integration_id,
            provider=PROVIDER,
            instance_url=instance_url,
            is_active=True,
            connected_at=now,
            sync_status="pending",
            settings=merged(ALGA_SYNC_OFF, patch),
            created_at=now,
            updated_at=now,
        )
        before: dict[str, Any] = {}
    else:
        integration_id = existing.integration_id
        before = existing.settings
        s.conn.execute(
            t.update()
            .where(t.c.tenant == s.tenant, t.c.integration_id == integration_id)
            .values(
                instance_url=instance_url,
                is_active=True,
                connected_at=existing.connected_at or now,
                settings=merged(existing.settings, patch),
                updated_at=now,
            )
        )
    _audit(
        s,
        "integration.connected",
        "rmm_integration",
        integration_id,
        {"instance_url": instance_url, "settings": _diff(before, merged(before, patch))},
    )
    return integration_id


def _audit(s: TenantSession, action: str, kind: str, entity: object, changes: Any = None) -> None:
    audit.record(s, action, kind, entity, changes)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return audit.diff(before, after)


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
    current = get_integration(s, integration_id)
    _update(
        s,
        integration_id,
        is_active=False,
        settings=merged(current.settings, {"webhookUrl": None, "webhookRegisteredAt": None}),
    )
    _audit(s, "integration.disconnected", "rmm_integration", integration_id)


def update_settings(s: TenantSession, integration_id: uuid.UUID, patch: dict[str, Any]) -> None:
    """Merge `patch` into the row's settings (Alga's keys stay as they are)."""
    require(s, CONFIGURE_INTEGRATION)
    before = get_integration(s, integration_id).settings
    after = merged(before, patch)
    _update(s, integration_id, settings=after)
    _audit(
        s,
        "integration.settings_changed",
        "rmm_integration",
        integration_id,
        _diff(before, after),
    )


def record_webhook_registration(s: TenantSession, integration_id: uuid.UUID, url: str) -> None:
    require(s, CONFIGURE_INTEGRATION)
    current = get_integration(s, integration_id)
    _update(
        s,
        integration_id,
        settings=merged(
            current.settings, {"webhookUrl": url, "webhookRegisteredAt": utcnow().isoformat()}
        ),
    )
    _audit(
        s,
        "integration.webhook_registered",
        "rmm_integration",
        integration_id,
        {"webhook_url": {"old": current.webhook_url, "new": url}},
    )


def record_sync_status(
    s: TenantSession,
    integration_id: uuid.UUID,
    status: str,
    *,
    full: bool | None = None,
    error: str | None = None,
) -> None:
    """Sync bookkeeping in Alga's words (pending / syncing / completed / error); a completed
    sync also stamps last_sync_at and last_full_sync_at or last_incremental_sync_at."""
    require(s, SYNC_DEVICES)
    values: dict[str, Any] = {"sync_status": status, "sync_error": error}
    if status == "completed":
        now = utcnow()
        values["last_sync_at"] = now
        values["last_full_sync_at" if full else "last_incremental_sync_at"] = now
    _update(s, integration_id, **values)


def get_integration(s: TenantSession, integration_id: uuid.UUID) -> Integration:
    t = rmm_integrations.c
    row = s.conn.execute(
        _select().where(t.tenant == s.tenant, t.integration_id == integration_id)
    ).first()
    if row is None:
        raise NotFound("That NinjaOne connection does not exist in this tenant.")
    return _row(row)


def list_integrations(s: TenantSession) -> list[uuid.UUID]:
    """The tenant's NinjaOne integration (Alga allows one per provider): [] or [id]."""
    found = find_integration(s)
    return [found.integration_id] if found is not None else []
