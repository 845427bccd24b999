"""Alga's assets as people see and edit them. The push (sync/psa_push.py) owns the bulk path.

A person's edit through NinjaDesk locks the fields the push also writes (the asset's
`ninjadesk_asset_sync.locked_fields`), so the next sync keeps the person's value; unlocking hands
them back. History goes to Alga's `asset_history` with a real user in `changed_by`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa import audit
from ninja_desk.psa.bulk import dialect_insert
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.integration_settings import load_settings, service_user
from ninja_desk.psa.permissions import SYNC_DEVICES, VIEW_DEVICES, require
from ninja_desk.psa.schema import (
    EXTENSION_TABLES,
    asset_history,
    assets,
    ninjadesk_asset_device_lineage,
    ninjadesk_asset_sync,
    rmm_integrations,
)
from ninja_desk.psa.schema import tenant_external_entity_mappings as teem
from ninja_desk.psa.tenancy import TenantSession

# Columns of `assets` a person may edit, and keys of `assets.attributes` the push also writes.
EDITABLE_FIELDS = frozenset(
    {"name", "asset_tag", "location", "serial_number", "client_id", "asset_type", "status"}
)
EDITABLE_ATTRIBUTES = frozenset({"manufacturer", "model"})
# Never written by the push, so editing them locks nothing.
_ALWAYS_PERSONAL = frozenset({"asset_tag", "location"})


@dataclass(frozen=True, slots=True)
class Asset:
    asset_id: uuid.UUID
    asset_type: str
    client_id: uuid.UUID
    name: str
    status: str
    asset_tag: str
    serial_number: str | None
    location: str | None
    rmm_provider: str | None
    rmm_device_id: str | None
    rmm_organization_id: str | None
    agent_status: str | None
    last_seen_at: datetime | None
    last_rmm_sync_at: datetime | None
    attributes: dict[str, Any]
    locked_fields: list[str]
    extension: dict[str, Any]

    @property
    def manufacturer(self) -> str | None:
        return self.attributes.get("manufacturer")

    @property
    def model(self) -> str | None:
        return self.attributes.get("model")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    history_id: uuid.UUID
    change_type: str
    changes: dict[str, Any]
    changed_by: uuid.UUID
    changed_at: datetime | None

    @property
    def source(self) -> str | None:
        return self.changes.get("source") if isinstance(self.changes, dict) else None


@dataclass(frozen=True, slots=True)
class LineageEntry:
    previous_device_id: str | None
    new_device_id: str
    matched_by: str
    recorded_at: datetime


_COLS = [
    assets.c[f]
    for f in Asset.__dataclass_fields__
    if f not in ("locked_fields", "extension", "attributes")
]


def _locked(s: TenantSession, asset_id: uuid.UUID) -> list[str]:
    t = ninjadesk_asset_sync.c
    value = s.conn.scalar(
        sa.select(t.locked_fields).where(t.tenant == s.tenant, t.asset_id == asset_id)
    )
    return list(value or [])


def _row_to_asset(s: TenantSession, row: Any, *, extension: bool = True) -> Asset:
    values = dict(row._mapping)
    attributes = dict(values.pop("attributes") or {})
    ext: dict[str, Any] = {}
    ext_table = EXTENSION_TABLES.get(values["asset_type"])
    if extension and ext_table is not None:
        found = s.conn.execute(
            sa.select(ext_table).where(
                ext_table.c.tenant == s.tenant, ext_table.c.asset_id == values["asset_id"]
            )
        ).first()
        if found is not None:
            ext = {k: v for k, v in found._mapping.items() if k not in ("tenant", "asset_id")}
    return Asset(
        **values,
        attributes=attributes,
        locked_fields=_locked(s, values["asset_id"]) if extension else [],
        extension=ext,
    )


def _select() -> sa.Select[Any]:
    return sa.select(*_COLS, assets.c.attributes)


def get_asset(s: TenantSession, asset_id: uuid.UUID) -> Asset:
    require(s, VIEW_DEVICES)
    row = s.conn.execute(
        _select().where(assets.c.tenant == s.tenant, assets.c.asset_id == asset_id)
    ).first()
    if row is None:
        raise NotFound("That asset does not exist in this tenant.")
    return _row_to_asset(s, row)


def find_by_device(
    s: TenantSession, integration_id: uuid.UUID, device_id: str | int
) -> Asset | None:
    """The asset of a NinjaOne device: through Alga's external mapping, else rmm_device_id.

    `integration_id` names the tenant's NinjaOne integration (Alga allows one per tenant).
    """
    require(s, VIEW_DEVICES)
    mapped = s.conn.scalar(
        sa.select(teem.c.alga_entity_id)
        .where(
            teem.c.tenant == s.tenant,
            teem.c.integration_type == "ninjaone",
            teem.c.alga_entity_type == "asset",
            teem.c.external_entity_id == str(device_id),
        )
        .order_by(teem.c.updated_at.desc())
        .limit(1)
    )
    query = _select().where(assets.c.tenant == s.tenant)
    if mapped is not None:
        query = query.where(assets.c.asset_id == uuid.UUID(mapped))
    else:
        query = query.where(
            assets.c.rmm_provider == "ninjaone", assets.c.rmm_device_id == str(device_id)
        )
    row = s.conn.execute(query.limit(1)).first()
    return None if row is None else _row_to_asset(s, row)


def list_assets(
    s: TenantSession, *, client_id: uuid.UUID | None = None, include_inactive: bool = False
) -> list[Asset]:
    require(s, VIEW_DEVICES)
    query = _select().where(assets.c.tenant == s.tenant)
    if client_id is not None:
        query = query.where(assets.c.client_id == client_id)
    if not include_inactive:
        query = query.where(assets.c.status != "inactive")
    rows = s.conn.execute(query.order_by(assets.c.name))
    return [_row_to_asset(s, row, extension=False) for row in rows]


def _actor(s: TenantSession) -> uuid.UUID:
    """Who a history row names: the acting user, else the integration's service user."""
    if s.user_id is not None:
        return s.user_id
    integration_id = s.conn.scalar(
        sa.select(rmm_integrations.c.integration_id).where(
            rmm_integrations.c.tenant == s.tenant, rmm_integrations.c.provider == "ninjaone"
        )
    )
    if integration_id is None:
        raise NotFound("No NinjaOne integration in this tenant, so no service user to record.")
    return service_user(s, load_settings(s, integration_id))


def _set_locked(s: TenantSession, asset_id: uuid.UUID, locked: list[str], *, forget: bool) -> None:
    """Write the asset's locked fields; `forget` clears the fingerprint so the next push
    compares (and writes) every field again."""
    now = utcnow()
    t = ninjadesk_asset_sync
    values: dict[str, Any] = {"locked_fields": locked, "updated_at": now}
    if forget:
        values["fingerprint"] = None
    done = s.conn.execute(
        t.update().where(t.c.tenant == s.tenant, t.c.asset_id == asset_id).values(**values)
    ).rowcount
    if done:
        return
    row = s.conn.execute(
        sa.select(assets.c.rmm_device_id).where(
            assets.c.tenant == s.tenant, assets.c.asset_id == asset_id
        )
    ).first()
    integration_id = s.conn.scalar(
        sa.select(rmm_integrations.c.integration_id).where(
            rmm_integrations.c.tenant == s.tenant, rmm_integrations.c.provider == "ninjaone"
        )
    )
    if row is None or integration_id is None:
        return  # no NinjaOne here: nothing will ever overwrite the edit
    insert = dialect_insert(s.conn, t).on_conflict_do_nothing(index_elements=["tenant", "asset_id"])
    s.conn.execute(
        insert.values(
            tenant=s.tenant,
            asset_id=asset_id,
            integration_id=integration_id,
            device_id=row.rmm_device_id or "",
            fingerprint=None,
            locked_fields=locked,
            updated_at=now,
        )
    )


def update_asset(s: TenantSession, asset_id: uuid.UUID, **changes: Any) -> None:
    """A person edits an asset. Fields the push also writes become locked for that asset."""
    require(s, SYNC_DEVICES)
    unknown = set(changes) - EDITABLE_FIELDS - EDITABLE_ATTRIBUTES
    if unknown:
        raise ValueError(f"These asset fields cannot be edited: {', '.join(sorted(unknown))}.")
    current = get_asset(s, asset_id)
    old = {
        k: current.attributes.get(k) if k in EDITABLE_ATTRIBUTES else getattr(current, k)
        for k in changes
    }
    diff = audit.diff(old, changes)
    if not diff:
        return
    now = utcnow()
    columns = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS and k in diff}
    attrs = {k: v for k, v in changes.items() if k in EDITABLE_ATTRIBUTES and k in diff}
    if attrs:
        columns["attributes"] = {**current.attributes, **attrs}
    s.conn.execute(
        assets.update()
        .where(assets.c.tenant == s.tenant, assets.c.asset_id == asset_id)
        .values(updated_at=now, **columns)
    )
    locked = sorted(set(current.locked_fields) | (set(diff) - _ALWAYS_PERSONAL))
    if locked != sorted(current.locked_fields):
        _set_locked(s, asset_id, locked, forget=False)
    s.insert(
        asset_history,
        history_id=uuid.uuid4(),
        asset_id=asset_id,
        changed_by=_actor(s),
        change_type="updated",
        changes={"source": "ninjadesk", **diff},
        changed_at=now,
    )


def unlock_fields(s: TenantSession, asset_id: uuid.UUID, fields: list[str]) -> None:
    """Hand fields back to the push (the next sync overwrites them again)."""
    require(s, SYNC_DEVICES)
    current = get_asset(s, asset_id)
    _set_locked(s, asset_id, sorted(set(current.locked_fields) - set(fields)), forget=True)


def asset_history_for(s: TenantSession, asset_id: uuid.UUID) -> list[HistoryEntry]:
    """Oldest first."""
    require(s, VIEW_DEVICES)
    h = asset_history.c
    rows = s.conn.execute(
        sa.select(h.history_id, h.change_type, h.changes, h.changed_by, h.changed_at)
        .where(h.tenant == s.tenant, h.asset_id == asset_id)
        .order_by(h.changed_at, h.history_id)
    )
    return [HistoryEntry(*r) for r in rows]


def lineage_for(s: TenantSession, asset_id: uuid.UUID) -> list[LineageEntry]:
    require(s, VIEW_DEVICES)
    t = ninjadesk_asset_device_lineage.c
    rows = s.conn.execute(
        sa.select(t.previous_device_id, t.new_device_id, t.matched_by, t.recorded_at)
        .where(t.tenant == s.tenant, t.asset_id == asset_id)
        .order_by(t.recorded_at)
    )
    return [LineageEntry(*r) for r in rows]
