"""Maintenance windows in the PSA (`rmm_maintenance_windows`): dispatchers and admins edit them.

    create_window(s, integration, "Patch night", kind="weekly", client_ids=[client],
                  weekdays=[4], start_time="23:00", duration_minutes=180,
                  timezone="Europe/Berlin")
    create_window(s, integration, "Server move", kind="once", device_ids=[101],
                  starts_at=epoch, ends_at=epoch)

While a window is open for an alert's client or device, the pipeline records "maintenance"
instead of creating a ticket (core/maintenance_windows.py decides).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.core.maintenance_windows import MaintenanceWindow, from_row
from ninja_desk.psa import audit
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import CONFIGURE_MAINTENANCE, VIEW_ALERTS, require
from ninja_desk.psa.tenancy import TenantSession
from ninja_desk.sync.alert_tables import rmm_maintenance_windows as W

_EDITABLE = (
    "name",
    "kind",
    "client_ids",
    "device_ids",
    "starts_at",
    "ends_at",
    "weekdays",
    "start_time",
    "duration_minutes",
    "timezone",
    "is_enabled",
)


def _dt(value: float | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(float(value), UTC)


def _validate(values: dict[str, Any]) -> None:
    kind = values.get("kind")
    if kind not in ("once", "weekly"):
        raise ValueError("A maintenance window is 'once' or 'weekly'.")
    if kind == "once" and not (values.get("starts_at") and values.get("ends_at")):
        raise ValueError("A one-off window needs a start and an end.")
    if kind == "once" and values["ends_at"] <= values["starts_at"]:
        raise ValueError("A window must end after it starts.")
    if kind == "weekly":
        days = values.get("weekdays") or []
        if not days or any(int(d) not in range(7) for d in days):
            raise ValueError("A weekly window needs weekdays 0 (Monday) to 6 (Sunday).")
        hh, _, mm = str(values.get("start_time", "")).partition(":")
        if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError("Start time is HH:MM, e.g. 23:00.")


def create_window(
    s: TenantSession,
    integration_id: uuid.UUID,
    name: str,
    *,
    kind: str,
    client_ids: Sequence[uuid.UUID | str] = (),
    device_ids: Sequence[int] = (),
    starts_at: float | datetime | None = None,
    ends_at: float | datetime | None = None,
    weekdays: Sequence[int] = (),
    start_time: str = "00:00",
    duration_minutes: int = 60,
    timezone: str = "UTC",
    is_enabled: bool = True,
) -> uuid.UUID:
    require(s, CONFIGURE_MAINTENANCE)
    values: dict[str, Any] = dict(
        name=name,
        kind=kind,
        client_ids=[str(c) for c in client_ids],
        device_ids=[int(d) for d in device_ids],
        starts_at=_dt(starts_at),
        ends_at=_dt(ends_at),
        weekdays=sorted({int(d) for d in weekdays}),
        start_time=start_time,
        duration_minutes=int(duration_minutes),
        timezone=timezone,
        is_enabled=is_enabled,
    )
    _validate(values)
    window_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        W.insert().values(
            tenant=s.tenant,
            window_id=window_id,
            integration_id=integration_id,
            created_by=s.user_id,
            created_at=now,
            updated_at=now,
            **values,
        )
    )
    audit.record(
        s,
        "maintenance_window.created",
        "rmm_maintenance_window",
        window_id,
        {"name": name, "kind": kind},
    )
    return window_id


def update_window(s: TenantSession, window_id: uuid.UUID, **changes: Any) -> None:
    require(s, CONFIGURE_MAINTENANCE)
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"Maintenance windows have no field(s) {', '.join(sorted(unknown))}.")
    current = _row(s, window_id)
    for key in ("starts_at", "ends_at"):
        if key in changes:
            changes[key] = _dt(changes[key])
    merged = {**current, **changes}
    _validate(merged)
    s.conn.execute(
        W.update()
        .where(W.c.tenant == s.tenant, W.c.window_id == window_id)
        .values(updated_at=utcnow(), **changes)
    )
    audit.record(
        s,
        "maintenance_window.updated",
        "rmm_maintenance_window",
        window_id,
        {k: str(v) for k, v in changes.items()},
    )


def delete_window(s: TenantSession, window_id: uuid.UUID) -> None:
    require(s, CONFIGURE_MAINTENANCE)
    _row(s, window_id)
    s.conn.execute(W.delete().where(W.c.tenant == s.tenant, W.c.window_id == window_id))
    audit.record(s, "maintenance_window.deleted", "rmm_maintenance_window", window_id, {})


def _row(s: TenantSession, window_id: uuid.UUID) -> dict[str, Any]:
    row = s.conn.execute(
        sa.select(W).where(W.c.tenant == s.tenant, W.c.window_id == window_id)
    ).first()
    if row is None:
        raise NotFound("That maintenance window does not exist in this tenant.")
    return dict(row._mapping)


def list_windows(s: TenantSession, integration_id: uuid.UUID) -> list[MaintenanceWindow]:
    require(s, VIEW_ALERTS)
    rows = s.conn.execute(
        sa.select(W)
        .where(W.c.tenant == s.tenant, W.c.integration_id == integration_id)
        .order_by(W.c.name)
    )
    return [from_row(dict(r._mapping)) for r in rows]
