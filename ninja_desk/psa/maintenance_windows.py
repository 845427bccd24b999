"""Maintenance windows in Alga's `rmm_maintenance_windows`, in the shape Alga's UI stores.

    create_window(s, integration, "Patch night", client_id=client,
                  recurrence=weekly([5], "23:00", "02:00", "Europe/Berlin"))   # Friday night
    create_window(s, integration, "Server move", asset_id=asset,
                  starts_at=epoch, ends_at=epoch)                             # one-off

A window covers one client (`client_id`), one asset (`asset_id`) or, with neither, every
alert of the integration. `recurrence` is Alga's `{type: 'weekly', days: [0 = Sunday .. 6],
startTime: 'HH:mm', endTime: 'HH:mm', timezone}`; an endTime at or before the startTime runs past
midnight. While a window is open for an alert, the pipeline records "maintenance" instead of
making a ticket (core/maintenance_windows.py decides; `load_windows` translates).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from ninja_desk.core.maintenance_windows import MaintenanceWindow
from ninja_desk.psa import audit
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import CONFIGURE_MAINTENANCE, VIEW_ALERTS, require
from ninja_desk.psa.schema import assets
from ninja_desk.psa.schema import rmm_maintenance_windows as W
from ninja_desk.psa.tenancy import TenantSession

_EDITABLE = ("name", "client_id", "asset_id", "starts_at", "ends_at", "recurrence", "is_active")
RECURRENCE_KEYS = frozenset({"type", "days", "startTime", "endTime", "timezone"})


def weekly(days: Sequence[int], start: str, end: str, timezone: str = "UTC") -> dict[str, Any]:
    """Alga's weekly recurrence; `days` 0 = Sunday .. 6 = Saturday (JavaScript's getDay)."""
    return {
        "type": "weekly",
        "days": sorted({int(d) for d in days}),
        "startTime": start,
        "endTime": end,
        "timezone": timezone,
    }


def _dt(value: float | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(float(value), UTC)


def _minutes(text: Any) -> int | None:
    hh, _, mm = str(text or "").partition(":")
    if hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60:
        return int(hh) * 60 + int(mm)
    return None


def _validate(values: dict[str, Any]) -> None:
    rec = values.get("recurrence")
    if rec is None:
        if not (values.get("starts_at") and values.get("ends_at")):
            raise ValueError("A one-off window needs a start and an end.")
        if values["ends_at"] <= values["starts_at"]:
            raise ValueError("A window must end after it starts.")
        return
    if not isinstance(rec, dict) or set(rec) - RECURRENCE_KEYS or rec.get("type") != "weekly":
        raise ValueError(
            "A recurring window is {type: 'weekly', days, startTime, endTime, timezone}."
        )
    days = rec.get("days") or []
    if not days or any(int(d) not in range(7) for d in days):
        raise ValueError("A weekly window needs days 0 (Sunday) to 6 (Saturday).")
    if _minutes(rec.get("startTime")) is None or _minutes(rec.get("endTime")) is None:
        raise ValueError("Start and end times are HH:mm, e.g. 23:00.")
    try:
        ZoneInfo(str(rec.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone '{rec.get('timezone')}'.") from None


def create_window(
    s: TenantSession,
    integration_id: uuid.UUID | None,
    name: str,
    *,
    client_id: uuid.UUID | None = None,
    asset_id: uuid.UUID | None = None,
    starts_at: float | datetime | None = None,
    ends_at: float | datetime | None = None,
    recurrence: dict[str, Any] | None = None,
    is_active: bool = True,
) -> uuid.UUID:
    require(s, CONFIGURE_MAINTENANCE)
    values: dict[str, Any] = dict(
        name=name,
        client_id=client_id,
        asset_id=asset_id,
        starts_at=_dt(starts_at),
        ends_at=_dt(ends_at),
        recurrence=recurrence,
        is_active=is_active,
    )
    _validate(values)
    window_id = uuid.uuid4()
    now = utcnow()
    s.conn.execute(
        W.insert().values(
            tenant=s.tenant,
            window_id=window_id,
            integration_id=integration_id,
            created_at=now,
            updated_at=now,
            **values,
        )
    )
    audit.record(
        s,
        "maintenance_window.created",
        "rmm_maintenance_windows",
        window_id,
        audit.diff({}, values),
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
    _validate({**current, **changes})
    s.conn.execute(
        W.update()
        .where(W.c.tenant == s.tenant, W.c.window_id == window_id)
        .values(updated_at=utcnow(), **changes)
    )
    old = {k: current.get(k) for k in changes}
    audit.record(
        s,
        "maintenance_window.updated",
        "rmm_maintenance_windows",
        window_id,
        audit.diff(old, changes),
    )


def delete_window(s: TenantSession, window_id: uuid.UUID) -> None:
    require(s, CONFIGURE_MAINTENANCE)
    _row(s, window_id)
    s.conn.execute(W.delete().where(W.c.tenant == s.tenant, W.c.window_id == window_id))
    audit.record(s, "maintenance_window.deleted", "rmm_maintenance_windows", window_id, {})


def _row(s: TenantSession, window_id: uuid.UUID) -> dict[str, Any]:
    row = s.conn.execute(
        sa.select(W).where(W.c.tenant == s.tenant, W.c.window_id == window_id)
    ).first()
    if row is None:
        raise NotFound("That maintenance window does not exist in this tenant.")
    return dict(row._mapping)


def list_windows(s: TenantSession, integration_id: uuid.UUID) -> list[dict[str, Any]]:
    """The integration's windows (and those for every integration), as stored."""
    require(s, VIEW_ALERTS)
    rows = s.conn.execute(
        sa.select(W)
        .where(
            W.c.tenant == s.tenant,
            sa.or_(W.c.integration_id == integration_id, W.c.integration_id.is_(None)),
        )
        .order_by(W.c.name, W.c.window_id)
    )
    return [dict(r._mapping) for r in rows]


def load_windows(s: TenantSession, integration_id: uuid.UUID) -> list[MaintenanceWindow]:
    """Active windows as core/maintenance_windows.py understands them."""
    w, a = W.c, assets.c
    rows = s.conn.execute(
        sa.select(W, a.rmm_device_id)
        .select_from(W.outerjoin(assets, sa.and_(a.tenant == w.tenant, a.asset_id == w.asset_id)))
        .where(
            w.tenant == s.tenant,
            w.is_active.is_(True),
            sa.or_(w.integration_id == integration_id, w.integration_id.is_(None)),
        )
    ).all()
    return [to_core(dict(r._mapping)) for r in rows]


def to_core(row: dict[str, Any]) -> MaintenanceWindow:
    devices: frozenset[int] = frozenset()
    device = row.get("rmm_device_id")
    if device is not None and str(device).isdigit():
        devices = frozenset({int(device)})
    elif row.get("asset_id") is not None:
        devices = frozenset({-1})  # an asset NinjaOne does not know: matches no alert
    clients = frozenset({str(row["client_id"])}) if row.get("client_id") else frozenset()
    rec = row.get("recurrence")
    base = dict(
        window_id=str(row.get("window_id")),
        name=str(row.get("name") or ""),
        client_ids=clients,
        device_ids=devices,
        enabled=bool(row.get("is_active", True)),
    )
    if isinstance(rec, dict) and rec.get("type") == "weekly":
        start = _minutes(rec.get("startTime")) or 0
        end = _minutes(rec.get("endTime"))
        duration = ((end if end is not None else start) - start) % (24 * 60) or 24 * 60
        return MaintenanceWindow(
            kind="weekly",
            # Alga counts from Sunday = 0; core from Monday = 0.
            weekdays=tuple(sorted((int(d) + 6) % 7 for d in rec.get("days") or [])),
            start_time=f"{start // 60:02d}:{start % 60:02d}",
            duration_minutes=duration,
            timezone=str(rec.get("timezone") or "UTC"),
            **base,  # type: ignore[arg-type]
        )
    starts, ends = row.get("starts_at"), row.get("ends_at")
    return MaintenanceWindow(
        kind="once",
        starts_at=starts.timestamp() if isinstance(starts, datetime) else None,
        ends_at=ends.timestamp() if isinstance(ends, datetime) else None,
        **base,  # type: ignore[arg-type]
    )
