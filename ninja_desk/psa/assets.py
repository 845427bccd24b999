"""Assets as people see and edit them. The push (sync/psa_push.py) owns the bulk path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa import audit
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import REMOTE_CONNECT, SYNC_DEVICES, VIEW_DEVICES, require
from ninja_desk.psa.schema import EXTENSION_TABLES, asset_device_lineage, asset_history, assets

# Fields a person may edit. Editing a field the push also writes locks it against the push.
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "asset_tag",
        "notes",
        "custom_attributes",
        "location",
        "serial_number",
        "manufacturer",
        "model",
        "client_id",
        "asset_type",
        "status",
    }
)
_ALWAYS_PERSONAL = frozenset({"asset_tag", "notes", "custom_attributes", "location"})


@dataclass(frozen=True, slots=True)
class Asset:
    asset_id: uuid.UUID
    asset_type: str
    client_id: uuid.UUID
    name: str
    status: str
    asset_tag: str | None
    serial_number: str | None
    manufacturer: str | None
    model: str | None
    notes: str | None
    custom_attributes: dict[str, Any]
    locked_fields: list[str]
    rmm_integration_id: uuid.UUID | None
    rmm_device_id: str | None
    agent_status: str | None
    last_seen_at: datetime | None
    rmm_sync_status: str | None
    retired_at: datetime | None
    extension: dict[str, Any]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    history_id: uuid.UUID
    change_type: str
    changes: dict[str, Any]
    source: str
    changed_by: uuid.UUID | None
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class LineageEntry:
    previous_device_id: str | None
    new_device_id: str
    matched_by: str
    recorded_at: datetime


_COLS = [assets.c[f] for f in Asset.__dataclass_fields__ if f != "extension"]


def _row_to_asset(s: Any, row: Any) -> Asset:
    ext_table = EXTENSION_TABLES.get(row.asset_type)
    ext: dict[str, Any] = {}
    if ext_table is not None:
        found = s.conn.execute(
            sa.select(ext_table).where(
                ext_table.c.tenant == s.tenant, ext_table.c.asset_id == row.asset_id
            )
        ).first()
        if found is not None:
            ext = {k: v for k, v in found._mapping.items() if k not in ("tenant", "asset_id")}
    return Asset(*row, extension=ext)


def get_asset(s: Any, asset_id: uuid.UUID) -> Asset:
    require(s, VIEW_DEVICES)
    row = s.conn.execute(
        sa.select(*_COLS).where(assets.c.tenant == s.tenant, assets.c.asset_id == asset_id)
    ).first()
    if row is None:
        raise NotFound("That asset does not exist in this tenant.")
    return _row_to_asset(s, row)


def find_by_device(s: Any, integration_id: uuid.UUID, device_id: str | int) -> Asset | None:
    require(s, VIEW_DEVICES)
    row = s.conn.execute(
        sa.select(*_COLS).where(
            assets.c.tenant == s.tenant,
            assets.c.rmm_integration_id == integration_id,
            assets.c.rmm_device_id == str(device_id),
        )
    ).first()
    return None if row is None else _row_to_asset(s, row)


def list_assets(
    s: Any, *, client_id: uuid.UUID | None = None, include_retired: bool = False
) -> list[Asset]:
    require(s, VIEW_DEVICES)
    query = sa.select(*_COLS).where(assets.c.tenant == s.tenant)
    if client_id is not None:
        query = query.where(assets.c.client_id == client_id)
    if not include_retired:
        query = query.where(assets.c.status == "active")
    rows = s.conn.execute(query.order_by(assets.c.name))
    return [Asset(*row, extension={}) for row in rows]


def update_asset(s: Any, asset_id: uuid.UUID, *, source: str = "psa-user", **changes: Any) -> None:
    """A person edits an asset. Fields the push also writes become locked for that asset."""
    require(s, SYNC_DEVICES)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"These asset fields cannot be edited: {', '.join(sorted(unknown))}.")
    current = get_asset(s, asset_id)
    old = {k: getattr(current, k) for k in changes}
    diff = {
        k: {"old": audit._jsonable(old[k]), "new": audit._jsonable(v)}
        for k, v in changes.items()
        if old[k] != v
    }
    if not diff:
        return
    locked = sorted(set(current.locked_fields) | (set(diff) - _ALWAYS_PERSONAL))
    now = utcnow()
    s.conn.execute(
        assets.update()
        .where(assets.c.tenant == s.tenant, assets.c.asset_id == asset_id)
        .values(updated_at=now, locked_fields=locked, **changes)
    )
    s.conn.execute(
        asset_history.insert().values(
            tenant=s.tenant,
            history_id=uuid.uuid4(),
            asset_id=asset_id,
            changed_by=s.user_id,
            change_type="edited",
            changes=diff,
            source=source,
            changed_at=now,
        )
    )


def unlock_fields(s: Any, asset_id: uuid.UUID, fields: list[str]) -> None:
    """Hand fields back to the push (the next sync overwrites them again)."""
    require(s, SYNC_DEVICES)
    current = get_asset(s, asset_id)
    remaining = sorted(set(current.locked_fields) - set(fields))
    s.conn.execute(
        assets.update()
        .where(assets.c.tenant == s.tenant, assets.c.asset_id == asset_id)
        .values(locked_fields=remaining, updated_at=utcnow())
    )


def asset_history_for(s: Any, asset_id: uuid.UUID) -> list[HistoryEntry]:
    """Oldest first."""
    require(s, VIEW_DEVICES)
    h = asset_history.c
    rows = s.conn.execute(
        sa.select(h.history_id, h.change_type, h.changes, h.source, h.changed_by, h.changed_at)
        .where(h.tenant == s.tenant, h.asset_id == asset_id)
        .order_by(h.changed_at, h.history_id)
    )
    return [HistoryEntry(*r) for r in rows]


def lineage_for(s: Any, asset_id: uuid.UUID) -> list[LineageEntry]:
    require(s, VIEW_DEVICES)
    t = asset_device_lineage.c
    rows = s.conn.execute(
        sa.select(t.previous_device_id, t.new_device_id, t.matched_by, t.recorded_at)
        .where(t.tenant == s.tenant, t.asset_id == asset_id)
        .order_by(t.recorded_at)
    )
    return [LineageEntry(*r) for r in rows]


def record_remote_connect(
    s: Any,
    asset_id: uuid.UUID | None,
    device_id: str,
    url: str,
    *,
    ticket_number: str | None = None,
) -> None:
    """A remote-session launch: in the audit log, and in the asset's history (who, when,
    which ticket) so the next technician on that machine sees it."""
    require(s, REMOTE_CONNECT)
    audit.record(
        s,
        "remote.connect_launched",
        "asset",
        asset_id or device_id,
        {"device_id": device_id, "url": url, "ticket": ticket_number},
    )
    if asset_id is None:
        return
    s.conn.execute(
        asset_history.insert().values(
            tenant=s.tenant,
            history_id=uuid.uuid4(),
            asset_id=asset_id,
            changed_by=s.user_id,
            change_type="remote_connect",
            changes={"remote_session": {"old": None, "new": ticket_number or "opened"}},
            source="ninjadesk-remote-connect",
            changed_at=utcnow(),
        )
    )
