"""Push NinjaOne devices into the PSA as assets.

    result = push_snapshots(psa, tenant, integration_id, snapshots, full=True)

One push = one lock (sync_lock) + one transaction. State for the whole batch is loaded in a
handful of queries and written with executemany/multi-row statements; nothing talks to the
database per device. The push is idempotent: re-running it with the same snapshots changes
nothing, and the unique (tenant, integration, device) constraint makes a duplicate asset
impossible even if two pushers ever raced past the lock.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.core.device_identity import Candidate, IdentityIndex, fingerprint
from ninja_desk.core.snapshots import DeviceSnapshot
from ninja_desk.psa import events, outbox
from ninja_desk.psa.bulk import chunks, dialect_insert, in_ids
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.integrations import record_sync_status
from ninja_desk.psa.org_mapping import load_mappings
from ninja_desk.psa.permissions import SYNC_DEVICES, require
from ninja_desk.psa.schema import (
    EXTENSION_TABLES,
    asset_device_lineage,
    asset_history,
    assets,
    rmm_integrations,
    tenant_external_entity_mappings,
)
from ninja_desk.psa.sync_lock import push_lock
from ninja_desk.psa.tenancy import PsaDatabase, TenantSession
from ninja_desk.sync.psa_fields import (
    ASSET_FIELDS,
    EXTENSION_FIELDS,
    HEARTBEAT_FIELDS,
    DesiredAsset,
    desired_asset,
)
from ninja_desk.sync.psa_software import software_fingerprint, sync_software

log = logging.getLogger(__name__)

_STATE_COLUMNS = (
    "asset_id",
    "rmm_device_id",
    "status",
    "rmm_sync_status",
    "locked_fields",
    "software_fingerprint",
    *ASSET_FIELDS,
)


@dataclass(slots=True)
class PushResult:
    created: int = 0
    updated: int = 0
    moved: int = 0
    retired: int = 0
    revived: int = 0
    relinked: int = 0  # re-imaged machines matched to their old asset
    unchanged: int = 0  # includes heartbeat-only refreshes
    heartbeats: int = 0  # last seen / agent status refreshed, nothing else
    skipped_unmapped: int = 0
    software_updated: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class _State:
    """An existing asset as the push sees it."""

    asset_id: uuid.UUID
    device_id: str | None
    values: dict[str, Any]
    ext: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Plan:
    asset_inserts: list[dict[str, Any]] = field(default_factory=list)
    asset_updates: list[dict[str, Any]] = field(default_factory=list)
    ext_inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ext_updates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ext_deletes: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    retirements: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    mappings: list[dict[str, Any]] = field(default_factory=list)
    software: list[tuple[uuid.UUID, Sequence[Any]]] = field(default_factory=list)
    fingerprints: list[dict[str, Any]] = field(default_factory=list)


def push_snapshots(
    psa: PsaDatabase,
    tenant: uuid.UUID,
    integration_id: uuid.UUID,
    snapshots: Sequence[DeviceSnapshot],
    *,
    source: str = "ninjaone-sync",
    full: bool,
    user_id: uuid.UUID | None = None,
    lock_wait: float = 0.0,
) -> PushResult:
    """Upsert devices of mapped, auto-synced orgs as assets; retire deleted ones.

    `full=True` means `snapshots` is the whole fleet: assets whose device is absent are retired.
    Raises SyncInProgress if another machine holds the lock for longer than `lock_wait` s.
    """
    started = time.perf_counter()
    with push_lock(psa, tenant, integration_id, wait=lock_wait):
        with psa.tenant_session(tenant, user_id) as s:
            require(s, SYNC_DEVICES)
            outbox.publish(
                s,
                events.SYNC_STARTED,
                {"integration_id": str(integration_id), "full": full, "devices": len(snapshots)},
            )
        try:
            with psa.tenant_session(tenant, user_id) as s:
                result = _push(s, integration_id, snapshots, source, full)
                result.seconds = round(time.perf_counter() - started, 3)
                record_sync_status(s, integration_id, "ok", full=full)
                outbox.publish(
                    s,
                    events.SYNC_COMPLETED,
                    {"integration_id": str(integration_id), "full": full, **asdict(result)},
                )
        except Exception as exc:
            with psa.tenant_session(tenant, user_id) as s:
                outbox.publish(
                    s,
                    events.SYNC_FAILED,
                    {"integration_id": str(integration_id), "error": str(exc)},
                )
            raise
    return result


def _load_existing(s: TenantSession, integration_id: uuid.UUID) -> dict[str, _State]:
    cols = [assets.c[c] for c in _STATE_COLUMNS]
    rows = s.conn.execute(
        sa.select(*cols).where(
            assets.c.tenant == s.tenant, assets.c.rmm_integration_id == integration_id
        )
    )
    by_id: dict[uuid.UUID, _State] = {}
    for row in rows:
        values = dict(row._mapping)
        by_id[row.asset_id] = _State(row.asset_id, row.rmm_device_id, values)
    _load_extensions(s, by_id)
    return {st.device_id: st for st in by_id.values() if st.device_id is not None}


def _load_extensions(s: TenantSession, by_id: dict[uuid.UUID, _State]) -> None:
    """Extension rows by primary key, per type. (A join to `assets` planned badly on freshly
    filled PostgreSQL tables without statistics: seconds instead of milliseconds.)"""
    wanted: dict[str, list[uuid.UUID]] = {}
    for state in by_id.values():
        wanted.setdefault(state.values["asset_type"], []).append(state.asset_id)
    for asset_type, ids in wanted.items():
        table = EXTENSION_TABLES.get(asset_type)
        if table is None:
            continue
        cols = [table.c[c] for c in EXTENSION_FIELDS[asset_type]]
        for clause in in_ids(s.conn, table.c.asset_id, ids):
            query = sa.select(table.c.asset_id, *cols).where(table.c.tenant == s.tenant, clause)
            for row in s.conn.execute(query):
                values = dict(row._mapping)
                by_id[values.pop("asset_id")].ext = values


def _unbound_candidates(s: TenantSession, client_ids: set[Any]) -> dict[uuid.UUID, _State]:
    """Assets entered by hand (no RMM device yet) in the clients new devices belong to."""
    cols = [assets.c[c] for c in _STATE_COLUMNS]
    found: dict[uuid.UUID, _State] = {}
    for part in chunks(sorted(client_ids, key=str)):
        rows = s.conn.execute(
            sa.select(*cols).where(
                assets.c.tenant == s.tenant,
                assets.c.rmm_device_id.is_(None),
                assets.c.client_id.in_(part),
            )
        )
        for row in rows:
            found[row.asset_id] = _State(row.asset_id, None, dict(row._mapping))
    return found


def _push(
    s: TenantSession,
    integration_id: uuid.UUID,
    snapshots: Sequence[DeviceSnapshot],
    source: str,
    full: bool,
) -> PushResult:
    now = utcnow()
    result = PushResult()
    plan = _Plan()
    mappings = load_mappings(s, integration_id)
    instance_url = s.conn.scalar(
        sa.select(rmm_integrations.c.instance_url).where(
            rmm_integrations.c.tenant == s.tenant,
            rmm_integrations.c.integration_id == integration_id,
        )
    )
    if instance_url is None:
        raise NotFound("That NinjaOne connection does not exist in this tenant.")

    def client_for(org_id: str | None) -> uuid.UUID | None:
        row = mappings.get(org_id or "")
        return row.client_id if row is not None and row.auto_sync else None

    latest: dict[str, DeviceSnapshot] = {str(sn.device.id): sn for sn in snapshots}
    present = {k for k, sn in latest.items() if not sn.deleted}
    existing = _load_existing(s, integration_id)

    updates: list[tuple[_State, DesiredAsset, DeviceSnapshot, str | None, str | None]] = []
    new: list[tuple[DesiredAsset, DeviceSnapshot]] = []
    for device_id in sorted(present):
        snap = latest[device_id]
        client_id = client_for(str(snap.device.organization_id))
        if client_id is None:
            result.skipped_unmapped += 1
            continue
        desired = desired_asset(snap, client_id, instance_url)
        state = existing.get(device_id)
        if state is not None:
            updates.append((state, desired, snap, None, None))
        else:
            new.append((desired, snap))

    if new:
        # Candidates: this integration's assets whose device is gone, and hand-made assets.
        # "Gone" means retired, or absent from a *full* push: a device merely missing from an
        # incremental batch is still alive and its asset is not up for grabs.
        pool: dict[uuid.UUID, _State] = {
            st.asset_id: st
            for key, st in existing.items()
            if key not in present
            and (st.values["rmm_sync_status"] == "deleted" or (full and key not in latest))
        }
        unbound = _unbound_candidates(s, {d.asset["client_id"] for d, _ in new})
        pool.update(unbound)
        index = IdentityIndex(
            Candidate(
                st.asset_id,
                st.values["client_id"],
                st.device_id,
                fingerprint(
                    st.values["serial_number"],
                    st.values["manufacturer"],
                    st.values["mac_addresses"] or [],
                ),
            )
            for st in pool.values()
        )
        matched_unbound: dict[uuid.UUID, _State] = {}
        for desired, snap in new:
            fp = fingerprint(desired.serial, desired.manufacturer, desired.macs)
            match = index.match(desired.asset["client_id"], fp)
            if match is None:
                _plan_create(s, plan, result, integration_id, desired, snap, source, now)
                continue
            state = pool[match.candidate.asset_id]
            if state.device_id is not None:
                existing.pop(state.device_id, None)
            else:
                matched_unbound[state.asset_id] = state
            updates.append((state, desired, snap, state.device_id, match.matched_by))
        if matched_unbound:
            _load_extensions(s, matched_unbound)

    for state, desired, snap, previous_device, matched_by in updates:
        _plan_update(
            s,
            plan,
            result,
            integration_id,
            state,
            desired,
            snap,
            source,
            now,
            previous_device,
            matched_by,
        )

    # Deleted devices, and on a full push every device NinjaOne no longer lists.
    gone = {k for k, sn in latest.items() if sn.deleted}
    if full:
        gone |= {k for k in existing if k not in latest}
    for device_id in sorted(gone):
        state = existing.get(device_id)
        if state is None or state.values["rmm_sync_status"] == "deleted":
            continue
        if client_for(state.values["rmm_organization_id"]) is None:
            continue  # the org is unmapped or not auto-synced: hands off its assets
        _plan_retire(s, plan, result, state, source, now)

    _write(s, plan, now)
    if result.heartbeats:
        # One summary instead of one event per online machine per sync: the outbox would
        # otherwise grow by the fleet size on every run.
        outbox.publish(
            s,
            events.DEVICE_SYNCED,
            {"integration_id": str(integration_id), "heartbeats": result.heartbeats},
        )
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _history(
    s: TenantSession,
    asset_id: uuid.UUID,
    change_type: str,
    changes: dict[str, tuple[Any, Any]],
    source: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "tenant": s.tenant,
        "history_id": uuid.uuid4(),
        "asset_id": asset_id,
        "changed_by": s.user_id,
        "change_type": change_type,
        "changes": {k: {"old": _jsonable(o), "new": _jsonable(n)} for k, (o, n) in changes.items()},
        "source": source,
        "changed_at": now,
    }


def _mapping_row(
    s: TenantSession, asset_id: uuid.UUID, desired: DesiredAsset, now: datetime
) -> dict[str, Any]:
    return {
        "tenant": s.tenant,
        "id": uuid.uuid4(),
        "integration_type": "ninjaone",
        "alga_entity_type": "asset",
        "alga_entity_id": str(asset_id),
        "external_entity_id": desired.device_id,
        "external_realm_id": desired.org_id,
        "sync_status": "synced",
        "last_synced_at": now,
    }


def _plan_create(
    s: TenantSession,
    plan: _Plan,
    result: PushResult,
    integration_id: uuid.UUID,
    desired: DesiredAsset,
    snap: DeviceSnapshot,
    source: str,
    now: datetime,
) -> None:
    asset_id = uuid.uuid4()
    row = {
        "tenant": s.tenant,
        "asset_id": asset_id,
        **desired.asset,
        "status": "active",
        "rmm_integration_id": integration_id,
        "rmm_device_id": desired.device_id,
        "rmm_sync_status": "synced",
        "rmm_last_synced_at": now,
        "locked_fields": [],
        "custom_attributes": {},
        "created_at": now,
        "updated_at": now,
    }
    if snap.software:
        fp = software_fingerprint(snap.software)
        row["software_fingerprint"] = fp
        plan.software.append((asset_id, snap.software))
    else:
        row["software_fingerprint"] = None
    plan.asset_inserts.append(row)
    if desired.asset_type in EXTENSION_TABLES:
        plan.ext_inserts.setdefault(desired.asset_type, []).append(
            {"tenant": s.tenant, "asset_id": asset_id, **desired.extension}
        )
    # The identity-bearing fields only: the rest is in the asset row itself, and 10,000 fat
    # history rows would dominate the cost of a first push.
    initial = {
        k: (None, v)
        for k, v in desired.asset.items()
        if v is not None and v != [] and k not in HEARTBEAT_FIELDS
    }
    plan.history.append(_history(s, asset_id, "created", initial, source, now))
    plan.mappings.append(_mapping_row(s, asset_id, desired, now))
    outbox.publish(
        s,
        events.DEVICE_CREATED,
        {
            "asset_id": str(asset_id),
            "device_id": desired.device_id,
            "client_id": str(desired.asset["client_id"]),
        },
    )
    result.created += 1


def _plan_update(
    s: TenantSession,
    plan: _Plan,
    result: PushResult,
    integration_id: uuid.UUID,
    state: _State,
    desired: DesiredAsset,
    snap: DeviceSnapshot,
    source: str,
    now: datetime,
    previous_device: str | None,
    matched_by: str | None,
) -> None:
    locked = set(state.values.get("locked_fields") or [])
    old_type = state.values["asset_type"]
    new_type = old_type if "asset_type" in locked else desired.asset_type

    asset_values: dict[str, Any] = {}
    changes: dict[str, tuple[Any, Any]] = {}
    for key in ASSET_FIELDS:
        old = state.values[key]
        new = old if key in locked else desired.asset[key]
        asset_values[key] = new
        if new != old:
            changes[key] = (old, new)

    ext_values: dict[str, Any] = {}
    type_changed = new_type != old_type
    ext_changed = type_changed
    for key in EXTENSION_FIELDS[new_type]:
        old = state.ext.get(key)
        new = old if key in locked and not type_changed else desired.extension.get(key)
        ext_values[key] = new
        if new != old:
            ext_changed = True
            changes.setdefault(key, (old, new))

    relink = previous_device != desired.device_id and matched_by is not None
    # Revive what the push itself retired; a status a person set (locked) stays theirs.
    revive = state.values["rmm_sync_status"] == "deleted"
    status = state.values["status"]
    if revive and "status" not in locked:
        status = "active"
    logged = {k: v for k, v in changes.items() if k not in HEARTBEAT_FIELDS}
    moved = "client_id" in logged

    fp = software_fingerprint(snap.software) if snap.software else None
    if fp is not None and fp != state.values["software_fingerprint"]:
        plan.software.append((state.asset_id, snap.software))
        plan.fingerprints.append({"b_asset_id": state.asset_id, "b_fp": fp})
        result.software_updated += 1

    if not changes and not relink and not revive:
        result.unchanged += 1
        return

    row = {f"b_{k}": v for k, v in asset_values.items()}
    row.update(
        b_asset_id=state.asset_id,
        b_status=status,
        b_rmm_sync_status="synced",
        b_retired_at=None,
        b_rmm_device_id=desired.device_id,
        b_rmm_integration_id=integration_id,
        b_rmm_last_synced_at=now,
        b_updated_at=now,
    )
    plan.asset_updates.append(row)
    if ext_changed and new_type in EXTENSION_TABLES:
        if new_type != old_type or not state.ext:
            plan.ext_inserts.setdefault(new_type, []).append(
                {"tenant": s.tenant, "asset_id": state.asset_id, **ext_values}
            )
        else:
            plan.ext_updates.setdefault(new_type, []).append(
                {"b_asset_id": state.asset_id, **{f"b_{k}": v for k, v in ext_values.items()}}
            )
    if new_type != old_type and old_type in EXTENSION_TABLES and state.ext:
        plan.ext_deletes.setdefault(old_type, []).append(state.asset_id)

    if not logged and not relink and not revive:
        result.unchanged += 1  # heartbeat only: written, not history
        result.heartbeats += 1
        return

    if status != state.values["status"]:
        logged["status"] = (state.values["status"], status)
    if revive:
        logged["rmm_sync_status"] = ("deleted", "synced")
    # A re-imaged machine coming back onto its retired asset is a relink first of all.
    if relink:
        change_type, result.relinked = "relinked", result.relinked + 1
    elif revive:
        change_type, result.revived = "revived", result.revived + 1
    elif moved:
        change_type, result.moved = "moved", result.moved + 1
    else:
        change_type, result.updated = "updated", result.updated + 1
    if relink:
        logged["rmm_device_id"] = (previous_device, desired.device_id)
        plan.lineage.append(
            {
                "tenant": s.tenant,
                "lineage_id": uuid.uuid4(),
                "asset_id": state.asset_id,
                "integration_id": integration_id,
                "previous_device_id": previous_device,
                "new_device_id": desired.device_id,
                "matched_by": matched_by,
                "recorded_at": now,
            }
        )
    plan.history.append(_history(s, state.asset_id, change_type, logged, source, now))
    if relink or moved or "rmm_organization_id" in logged or revive:
        plan.mappings.append(_mapping_row(s, state.asset_id, desired, now))
    outbox.publish(
        s,
        events.DEVICE_UPDATED,
        {
            "asset_id": str(state.asset_id),
            "device_id": desired.device_id,
            "change": change_type,
            "fields": sorted(logged),
        },
    )


def _plan_retire(
    s: TenantSession, plan: _Plan, result: PushResult, state: _State, source: str, now: datetime
) -> None:
    # Never deleted: tickets, history and software rows keep pointing at it, and a device that
    # comes back (restored VM, re-approved agent) revives the same asset.
    locked = set(state.values.get("locked_fields") or [])
    status = state.values["status"] if "status" in locked else "inactive"
    plan.retirements.append({"b_asset_id": state.asset_id, "b_status": status})
    plan.history.append(
        _history(
            s,
            state.asset_id,
            "retired",
            {"status": (state.values["status"], status), "rmm_sync_status": ("synced", "deleted")},
            source,
            now,
        )
    )
    outbox.publish(
        s, events.DEVICE_DELETED, {"asset_id": str(state.asset_id), "device_id": state.device_id}
    )
    result.retired += 1


def _where_asset(table: sa.Table, s: TenantSession) -> Any:
    return sa.and_(table.c.tenant == s.tenant, table.c.asset_id == sa.bindparam("b_asset_id"))


def _write(s: TenantSession, plan: _Plan, now: datetime) -> None:
    c = s.conn
    if plan.asset_inserts:
        c.execute(assets.insert(), plan.asset_inserts)
    if plan.asset_updates:
        cols = [k[2:] for k in plan.asset_updates[0] if k != "b_asset_id"]
        c.execute(
            assets.update()
            .where(_where_asset(assets, s))
            .values({col: sa.bindparam(f"b_{col}") for col in cols}),
            plan.asset_updates,
        )
    for asset_type, ids in plan.ext_deletes.items():
        table = EXTENSION_TABLES[asset_type]
        for part in chunks(ids):
            c.execute(table.delete().where(table.c.tenant == s.tenant, table.c.asset_id.in_(part)))
    for asset_type, rows in plan.ext_inserts.items():
        c.execute(EXTENSION_TABLES[asset_type].insert(), rows)
    for asset_type, rows in plan.ext_updates.items():
        table = EXTENSION_TABLES[asset_type]
        cols = EXTENSION_FIELDS[asset_type]
        c.execute(
            table.update()
            .where(_where_asset(table, s))
            .values({col: sa.bindparam(f"b_{col}") for col in cols}),
            rows,
        )
    if plan.retirements:
        c.execute(
            assets.update()
            .where(_where_asset(assets, s))
            .values(
                status=sa.bindparam("b_status"),
                rmm_sync_status="deleted",
                retired_at=now,
                updated_at=now,
            ),
            plan.retirements,
        )
    if plan.history:
        c.execute(asset_history.insert(), plan.history)
    if plan.lineage:
        c.execute(asset_device_lineage.insert(), plan.lineage)
    if plan.mappings:
        teem = tenant_external_entity_mappings
        insert = dialect_insert(c, teem)
        c.execute(
            insert.on_conflict_do_update(
                index_elements=["tenant", "integration_type", "alga_entity_type", "alga_entity_id"],
                set_={
                    "external_entity_id": insert.excluded.external_entity_id,
                    "external_realm_id": insert.excluded.external_realm_id,
                    "sync_status": insert.excluded.sync_status,
                    "last_synced_at": insert.excluded.last_synced_at,
                },
            ),
            plan.mappings,
        )
    if plan.software:
        sync_software(s, plan.software, now)
    if plan.fingerprints:
        c.execute(
            assets.update()
            .where(_where_asset(assets, s))
            .values(software_fingerprint=sa.bindparam("b_fp")),
            plan.fingerprints,
        )
