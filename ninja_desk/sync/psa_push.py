"""Push NinjaOne devices into Alga's assets, the way Alga's own NinjaOne sync writes them.

    result = push_snapshots(psa, tenant, integration_id, snapshots, full=True)

An asset is found again through `tenant_external_entity_mappings` (integration_type 'ninjaone',
alga_entity_type 'asset', external_entity_id = device id), else through assets.rmm_provider /
rmm_device_id, so an asset that Alga's own sync created is the row NinjaDesk updates. History
goes to `asset_history` (change_type created / updated, changes {source: 'ninjaone_sync',
device_id, integration_id, field diffs}, changed_by = the integration's service user).

One push = one lock (sync_lock) + one transaction. State for the whole batch is read in a
handful of queries and written with executemany / multi-row statements, never per device.
`ninjadesk_asset_sync` keeps a fingerprint of what the push last wrote per asset: a device whose
fingerprint did not change costs no read of its asset row and no write. Fields a person edited
through NinjaDesk (its `locked_fields`) are never overwritten.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from ninja_desk.core.device_identity import Candidate, IdentityIndex, fingerprint
from ninja_desk.core.snapshots import DeviceSnapshot
from ninja_desk.psa import audit, events, outbox
from ninja_desk.psa.bulk import analyze_if_grown, dialect_insert, in_ids, insert_many
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.integration_settings import load_settings, service_user
from ninja_desk.psa.integrations import record_sync_status
from ninja_desk.psa.org_mapping import load_mappings
from ninja_desk.psa.permissions import SYNC_DEVICES, require
from ninja_desk.psa.schema import (
    EXTENSION_TABLES,
    asset_associations,
    asset_history,
    assets,
    ninjadesk_asset_device_lineage,
    ninjadesk_asset_sync,
    rmm_alerts,
    rmm_integrations,
    tickets,
)
from ninja_desk.psa.schema import tenant_external_entity_mappings as teem
from ninja_desk.psa.sync_lock import lock_push_transaction, push_lock
from ninja_desk.psa.tenancy import PsaDatabase, TenantSession
from ninja_desk.sync.psa_fields import (
    ASSET_FIELDS,
    ATTRIBUTE_FIELDS,
    EXTENSION_FIELDS,
    HEARTBEAT_FIELDS,
    DesiredAsset,
    desired_asset,
    snapshot_fingerprint,
)
from ninja_desk.sync.psa_software import SoftwareChanges, software_fingerprint, sync_software

log = logging.getLogger(__name__)

SOURCE = "ninjaone_sync"  # Alga's own word in asset_history.changes.source
PROVIDER = "ninjaone"


@dataclass(slots=True)
class PushResult:
    created: int = 0
    updated: int = 0
    moved: int = 0
    retired: int = 0
    revived: int = 0
    relinked: int = 0  # re-imaged machines matched to their old asset
    adopted: int = 0  # assets Alga's own sync (or a person) made, now kept by NinjaDesk
    unchanged: int = 0  # includes heartbeat-only refreshes
    heartbeats: int = 0  # last seen / agent status refreshed, nothing else
    skipped_unmapped: int = 0
    software_updated: int = 0
    tickets_linked: int = 0  # alert tickets made before their asset existed, linked now
    seconds: float = 0.0
    # Where the time went (read / plan / write / software / history), for the bench and logs.
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _SyncRow:
    device_id: str
    fingerprint: str | None
    software_fingerprint: str | None
    locked_fields: list[str]


@dataclass(slots=True)
class _Ref:
    """An asset as the push first sees it: a few columns, no extension, no attributes."""

    asset_id: uuid.UUID
    device_id: str | None
    status: str
    org_id: str | None
    mapped: bool  # has its tenant_external_entity_mappings row
    deleted: bool  # retired because NinjaOne deleted the device
    sync: _SyncRow | None = None


@dataclass(slots=True)
class _Full:
    """An asset whose fingerprint changed: every column the push compares."""

    values: dict[str, Any]
    ext: dict[str, Any] | None


@dataclass(slots=True)
class _Plan:
    asset_inserts: list[dict[str, Any]] = field(default_factory=list)
    asset_updates: list[dict[str, Any]] = field(default_factory=list)
    ext_inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ext_updates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ext_deletes: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    retirements: list[dict[str, Any]] = field(default_factory=list)
    # asset id -> the history `changes` (flushed after software, which may add to them)
    history: dict[uuid.UUID, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    device_of: dict[uuid.UUID, str] = field(default_factory=dict)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    mappings: list[dict[str, Any]] = field(default_factory=list)
    sync_rows: list[dict[str, Any]] = field(default_factory=list)
    software: list[tuple[uuid.UUID, Sequence[Any]]] = field(default_factory=list)
    new_asset_ids: set[uuid.UUID] = field(default_factory=set)
    bound_devices: dict[str, uuid.UUID] = field(default_factory=dict)  # newly given an asset


def push_snapshots(
    psa: PsaDatabase,
    tenant: uuid.UUID,
    integration_id: uuid.UUID,
    snapshots: Sequence[DeviceSnapshot],
    *,
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
            record_sync_status(s, integration_id, "syncing")
            outbox.publish(
                s,
                events.SYNC_STARTED,
                {"integration_id": str(integration_id), "full": full, "devices": len(snapshots)},
            )
        try:
            with psa.tenant_session(tenant, user_id) as s:
                result = _push(s, integration_id, snapshots, full)
                result.seconds = round(time.perf_counter() - started, 3)
                record_sync_status(s, integration_id, "completed", full=full)
                outbox.publish(
                    s,
                    events.SYNC_COMPLETED,
                    {"integration_id": str(integration_id), "full": full, **asdict(result)},
                )
        except Exception as exc:
            record_sync_failure(psa, tenant, integration_id, str(exc), user_id=user_id)
            raise
    return result


def record_sync_failure(
    psa: PsaDatabase,
    tenant: uuid.UUID,
    integration_id: uuid.UUID,
    error: str,
    *,
    user_id: uuid.UUID | None = None,
) -> None:
    """sync_status 'error' + sync_error, and rmm.sync.failed (also for a NinjaOne outage)."""
    with psa.tenant_session(tenant, user_id) as s:
        record_sync_status(s, integration_id, "error", error=error)
        outbox.publish(
            s, events.SYNC_FAILED, {"integration_id": str(integration_id), "error": error}
        )


# -- reading -------------------------------------------------------------------------------


def _any(conn: sa.Connection, column: Any, values: Sequence[Any]) -> Any:
    """`column` in `values` as one clause (callers keep `values` under one chunk)."""
    return next(in_ids(conn, column, values), sa.false())


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


# An incremental push of up to this many devices (a webhook, a few changed machines) reads
# only their assets and the retired ones, not the whole fleet.
_FEW_DEVICES = 1000


def _load_refs(
    s: TenantSession, integration_id: uuid.UUID, device_ids: Sequence[str] | None = None
) -> dict[str, _Ref]:
    """Device id -> its asset: Alga's external mapping first, then assets.rmm_device_id.

    Three reads, shaped so no uuid is parsed per row without need: the mapping's text ids are
    matched against each asset's text form. With `device_ids`, only those devices' assets and
    the retired ones (candidates for a re-imaged machine) are read.
    """
    c = s.conn
    mapped: dict[str, tuple[str, bool]] = {}
    teem_query = sa.select(
        teem.c.alga_entity_id, teem.c.external_entity_id, teem.c.sync_status
    ).where(
        teem.c.tenant == s.tenant,
        teem.c.integration_type == PROVIDER,
        teem.c.alga_entity_type == "asset",
    )
    if device_ids is not None:
        teem_query = teem_query.where(
            sa.or_(_any(c, teem.c.external_entity_id, device_ids), teem.c.sync_status == "error")
        )
    for alga_id, device_id, sync_status in c.execute(teem_query):
        mapped[alga_id.lower()] = (device_id, sync_status == "error")

    a, t = assets.c, ninjadesk_asset_sync.c
    query = sa.select(
        a.asset_id,
        a.rmm_device_id,
        a.status,
        a.rmm_organization_id,
        t.device_id,
        t.fingerprint,
        t.software_fingerprint,
    ).select_from(
        assets.outerjoin(
            ninjadesk_asset_sync,
            sa.and_(
                t.tenant == a.tenant, t.asset_id == a.asset_id, t.integration_id == integration_id
            ),
        )
    )
    fleet = query.where(a.tenant == s.tenant, a.rmm_provider == PROVIDER)
    if device_ids is not None:
        fleet = fleet.where(sa.or_(_any(c, a.rmm_device_id, device_ids), a.status == "inactive"))
    rows = list(c.execute(fleet))
    seen = {str(r.asset_id) for r in rows}
    missing = [i for i in (_uuid(k) for k in mapped if k not in seen) if i is not None]
    for clause in in_ids(c, a.asset_id, missing):
        rows.extend(c.execute(query.where(a.tenant == s.tenant, clause)))
    # Few assets have locked fields: decode only theirs.
    mine = sa.and_(t.tenant == s.tenant, t.integration_id == integration_id)
    locked = dict(
        c.execute(
            sa.select(t.asset_id, t.locked_fields).where(
                mine, sa.cast(t.locked_fields, sa.Text) != "[]"
            )
        ).all()
    )

    by_device: dict[str, _Ref] = {}
    by_rmm: dict[str, _Ref] = {}
    for r in sorted(rows, key=lambda r: r.asset_id.bytes):
        link = mapped.get(str(r.asset_id))
        device_id = link[0] if link else r.rmm_device_id
        if device_id is None:
            continue
        sync = None
        if r.device_id is not None:
            sync = _SyncRow(
                r.device_id,
                r.fingerprint,
                r.software_fingerprint,
                list(locked.get(r.asset_id) or []),
            )
        ref = _Ref(
            r.asset_id,
            device_id,
            r.status,
            r.rmm_organization_id,
            mapped=link is not None,
            deleted=r.status == "inactive" or (link is not None and link[1]),
            sync=sync,
        )
        # One asset per device: mapped before matched by rmm_device_id, live before retired.
        found = by_device if link is not None else by_rmm
        if device_id not in found or (found[device_id].deleted and not ref.deleted):
            found[device_id] = ref
    for device_id, ref in by_rmm.items():
        by_device.setdefault(device_id, ref)
    return by_device


_FULL_COLUMNS = (
    "asset_id",
    "asset_type",
    "attributes",
    "rmm_provider",
    "rmm_device_id",
    *(f for f in ASSET_FIELDS if f != "asset_type"),
)


def _load_full(s: TenantSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, _Full]:
    """Asset rows and their extension rows, by primary key, per type. (A join planned badly
    on freshly filled PostgreSQL tables without statistics: seconds instead of milliseconds.)"""
    found: dict[uuid.UUID, _Full] = {}
    cols = [assets.c[c] for c in _FULL_COLUMNS]
    for clause in in_ids(s.conn, assets.c.asset_id, list(ids)):
        for row in s.conn.execute(sa.select(*cols).where(assets.c.tenant == s.tenant, clause)):
            found[row.asset_id] = _Full(dict(row._mapping), None)
    by_type: dict[str, list[uuid.UUID]] = {}
    for asset_id, full in found.items():
        by_type.setdefault(full.values["asset_type"], []).append(asset_id)
    for asset_type, type_ids in by_type.items():
        table = EXTENSION_TABLES.get(asset_type)
        fields = EXTENSION_FIELDS.get(asset_type)
        if table is None or not fields:
            continue
        ext_cols = [table.c[f] for f in fields]
        for clause in in_ids(s.conn, table.c.asset_id, type_ids):
            query = sa.select(table.c.asset_id, *ext_cols).where(table.c.tenant == s.tenant, clause)
            for row in s.conn.execute(query):
                values = dict(row._mapping)
                found[values.pop("asset_id")].ext = values
    return found


def _unbound_candidates(s: TenantSession, client_ids: set[Any]) -> list[dict[str, Any]]:
    """Assets entered by hand (no RMM device) in the clients new devices belong to."""
    a = assets.c
    out: list[dict[str, Any]] = []
    for clause in in_ids(s.conn, a.client_id, sorted(client_ids, key=str)):
        rows = s.conn.execute(
            sa.select(a.asset_id, a.client_id, a.serial_number, a.attributes).where(
                a.tenant == s.tenant, a.rmm_device_id.is_(None), a.rmm_provider.is_(None), clause
            )
        )
        out.extend(dict(r._mapping) for r in rows)
    return out


def _identity(serial: str | None, attributes: dict[str, Any] | None) -> Any:
    attrs = attributes or {}
    macs = attrs.get("mac_addresses") or []
    return fingerprint(serial, attrs.get("manufacturer"), macs if isinstance(macs, list) else [])


# -- planning ------------------------------------------------------------------------------


def _push(
    s: TenantSession,
    integration_id: uuid.UUID,
    snapshots: Sequence[DeviceSnapshot],
    full: bool,
) -> PushResult:
    lock_push_transaction(s, integration_id)
    if not s.is_postgres:
        # A first push writes ~100 MB of pages (400k software rows): with SQLite's default
        # 2 MB page cache they are evicted and re-read while the indexes grow.
        s.conn.exec_driver_sql("PRAGMA cache_size = -65536")
    now = utcnow()
    result = PushResult()
    plan = _Plan()
    instance_url = s.conn.scalar(
        sa.select(rmm_integrations.c.instance_url).where(
            rmm_integrations.c.tenant == s.tenant,
            rmm_integrations.c.integration_id == integration_id,
        )
    )
    if instance_url is None:
        exists = s.conn.scalar(
            sa.select(sa.func.count()).where(
                rmm_integrations.c.tenant == s.tenant,
                rmm_integrations.c.integration_id == integration_id,
            )
        )
        if not exists:
            raise NotFound("That NinjaOne connection does not exist in this tenant.")
    changed_by = service_user(s, load_settings(s, integration_id))
    mappings = load_mappings(s, integration_id)

    def client_for(org_id: str | None) -> uuid.UUID | None:
        row = mappings.get(org_id or "")
        return row.client_id if row is not None and row.auto_sync else None

    latest: dict[str, DeviceSnapshot] = {str(sn.device.id): sn for sn in snapshots}
    present = {k for k, sn in latest.items() if not sn.deleted}
    clock = time.perf_counter()
    few = None if full or len(latest) > _FEW_DEVICES else sorted(latest)
    refs = _load_refs(s, integration_id, few)
    result.phases["read"] = round(time.perf_counter() - clock, 3)
    ctx = _Ctx(s, integration_id, plan, result, changed_by, now)

    updates: list[tuple[_Ref, DesiredAsset, DeviceSnapshot, str | None]] = []
    new: list[tuple[DesiredAsset, DeviceSnapshot]] = []
    for device_id in sorted(present):
        snap = latest[device_id]
        client_id = client_for(str(snap.device.organization_id))
        if client_id is None:
            result.skipped_unmapped += 1
            continue
        fp = snapshot_fingerprint(snap, client_id, instance_url)
        ref = refs.get(device_id)
        sync = ref.sync if ref is not None else None
        if (
            ref is not None
            and sync is not None
            and not ref.deleted
            and sync.fingerprint == fp
            and sync.device_id == device_id
        ):
            _plan_unchanged(ctx, ref, sync, snap)
            continue
        desired = desired_asset(snap, client_id, instance_url, fingerprint=fp)
        if ref is not None:
            updates.append((ref, desired, snap, None))
        else:
            new.append((desired, snap))

    if new:
        updates.extend(_match_new(ctx, refs, new, latest, present, full))

    loaded = _load_full(s, [ref.asset_id for ref, *_ in updates]) if updates else {}
    for ref, desired, snap, matched_by in updates:
        full_row = loaded.get(ref.asset_id)
        if full_row is not None:
            _plan_update(ctx, ref, full_row, desired, snap, matched_by)

    # Deleted devices, and on a full push every device NinjaOne no longer lists.
    gone = {k for k, sn in latest.items() if sn.deleted}
    if full:
        gone |= {k for k in refs if k not in latest}
    for device_id in sorted(gone):
        ref = refs.get(device_id)
        if ref is None or ref.deleted or device_id in plan.bound_devices:
            continue
        if client_for(ref.org_id) is None:
            continue  # the org is unmapped or not auto-synced: hands off its assets
        _plan_retire(ctx, ref)

    result.phases["plan"] = round(time.perf_counter() - clock - result.phases["read"], 3)
    _write(ctx)
    if result.heartbeats:
        # One summary instead of one event per online machine per sync.
        outbox.publish(
            s,
            events.DEVICE_SYNCED,
            {"integration_id": str(integration_id), "heartbeats": result.heartbeats},
        )
    return result


@dataclass(slots=True)
class _Ctx:
    s: TenantSession
    integration_id: uuid.UUID
    plan: _Plan
    result: PushResult
    changed_by: uuid.UUID
    now: datetime


def _match_new(
    ctx: _Ctx,
    refs: dict[str, _Ref],
    new: list[tuple[DesiredAsset, DeviceSnapshot]],
    latest: dict[str, DeviceSnapshot],
    present: set[str],
    full: bool,
) -> list[tuple[_Ref, DesiredAsset, DeviceSnapshot, str | None]]:
    """Re-imaged machines back onto their old asset, hand-made assets adopted; the rest created.

    Candidates: this integration's assets whose device is gone (retired, or absent from a
    *full* push: a device merely missing from an incremental batch is alive) and assets entered
    by hand without a device.
    """
    s = ctx.s
    pool = {
        ref.asset_id: ref
        for key, ref in refs.items()
        if key not in present and (ref.deleted or (full and key not in latest))
    }
    details = _load_full(s, list(pool)) if pool else {}
    candidates = [
        Candidate(
            ref.asset_id,
            details[ref.asset_id].values["client_id"],
            ref.device_id,
            _identity(
                details[ref.asset_id].values["serial_number"],
                details[ref.asset_id].values["attributes"],
            ),
        )
        for ref in pool.values()
        if ref.asset_id in details
    ]
    for row in _unbound_candidates(s, {d.asset["client_id"] for d, _ in new}):
        pool[row["asset_id"]] = _Ref(row["asset_id"], None, "", None, mapped=False, deleted=False)
        candidates.append(
            Candidate(
                row["asset_id"],
                row["client_id"],
                None,
                _identity(row["serial_number"], row["attributes"]),
            )
        )
    index = IdentityIndex(candidates)
    out: list[tuple[_Ref, DesiredAsset, DeviceSnapshot, str | None]] = []
    for desired, snap in new:
        match = None
        if candidates:  # a first push has none: no identity to work out
            fp = fingerprint(desired.serial, desired.manufacturer, desired.macs)
            match = index.match(desired.asset["client_id"], fp)
        if match is None:
            _plan_create(ctx, desired, snap)
            continue
        # core keeps ids opaque (object); every candidate here was built from an asset UUID.
        ref = pool[cast(uuid.UUID, match.candidate.asset_id)]
        if ref.device_id is not None:
            refs.pop(ref.device_id, None)  # its old device is not retired separately
        out.append((ref, desired, snap, match.matched_by))
    return out


def _changes(device_id: str, integration_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "device_id": int(device_id) if device_id.isdigit() else device_id,
        "integration_id": str(integration_id),
        **extra,
    }


def _mapping_row(ctx: _Ctx, asset_id: uuid.UUID, desired: DesiredAsset) -> dict[str, Any]:
    return {
        "tenant": ctx.s.tenant,
        "id": uuid.uuid4(),
        "integration_type": PROVIDER,
        "alga_entity_type": "asset",
        "alga_entity_id": str(asset_id),
        "external_entity_id": desired.device_id,
        "external_realm_id": desired.org_id,
        "sync_status": "synced",
        "last_synced_at": ctx.now,
        "metadata": {"deviceName": desired.asset["name"], "nodeClass": desired.node_class},
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }


def _sync_row(
    ctx: _Ctx, asset_id: uuid.UUID, device_id: str, fp: str | None, software_fp: str | None
) -> dict[str, Any]:
    return {
        "tenant": ctx.s.tenant,
        "asset_id": asset_id,
        "integration_id": ctx.integration_id,
        "device_id": device_id,
        "fingerprint": fp,
        "software_fingerprint": software_fp,
        "locked_fields": [],
        "updated_at": ctx.now,
    }


def _plan_create(ctx: _Ctx, desired: DesiredAsset, snap: DeviceSnapshot) -> None:
    s, plan, now = ctx.s, ctx.plan, ctx.now
    asset_id = uuid.uuid4()
    plan.asset_inserts.append(
        {
            "tenant": s.tenant,
            "asset_id": asset_id,
            "asset_tag": desired.asset_tag,
            **desired.asset,
            "rmm_provider": PROVIDER,
            "rmm_device_id": desired.device_id,
            "last_rmm_sync_at": now,
            "attributes": desired.attributes,
            "created_at": now,
            "updated_at": now,
        }
    )
    if desired.extension:
        plan.ext_inserts.setdefault(desired.asset_type, []).append(
            {"tenant": s.tenant, "asset_id": asset_id, **desired.extension}
        )
    software_fp = None
    if snap.software:
        software_fp = software_fingerprint(snap.software)
        plan.software.append((asset_id, snap.software))
    plan.sync_rows.append(
        _sync_row(ctx, asset_id, desired.device_id, desired.fingerprint, software_fp)
    )
    plan.mappings.append(_mapping_row(ctx, asset_id, desired))
    plan.history[asset_id] = ("created", _changes(desired.device_id, ctx.integration_id))
    plan.device_of[asset_id] = desired.device_id
    plan.new_asset_ids.add(asset_id)
    plan.bound_devices[desired.device_id] = asset_id
    outbox.publish(
        s,
        events.DEVICE_CREATED,
        {
            "asset_id": str(asset_id),
            "device_id": desired.device_id,
            "organization_id": desired.org_id,
            "client_id": str(desired.asset["client_id"]),
            "integration_id": str(ctx.integration_id),
        },
    )
    ctx.result.created += 1


def _plan_unchanged(ctx: _Ctx, ref: _Ref, sync: _SyncRow, snap: DeviceSnapshot) -> None:
    """Fingerprint unchanged: nothing to read and nothing to write, unless the software did."""
    ctx.result.unchanged += 1
    if not snap.software:
        return
    software_fp = software_fingerprint(snap.software)
    if software_fp == sync.software_fingerprint:
        return
    ctx.plan.software.append((ref.asset_id, snap.software))
    ctx.plan.device_of[ref.asset_id] = sync.device_id
    ctx.plan.sync_rows.append(
        _sync_row(ctx, ref.asset_id, sync.device_id, sync.fingerprint, software_fp)
    )
    ctx.result.software_updated += 1


def _plan_update(
    ctx: _Ctx,
    ref: _Ref,
    full: _Full,
    desired: DesiredAsset,
    snap: DeviceSnapshot,
    matched_by: str | None,
) -> None:
    s, plan, result, now = ctx.s, ctx.plan, ctx.result, ctx.now
    locked = set(ref.sync.locked_fields if ref.sync else ())
    software_fp = software_fingerprint(snap.software) if snap.software else None
    old_software_fp = ref.sync.software_fingerprint if ref.sync else None
    if software_fp is not None and software_fp != old_software_fp:
        plan.software.append((ref.asset_id, snap.software))
        result.software_updated += 1
        plan.device_of[ref.asset_id] = desired.device_id

    old = full.values
    changes: dict[str, tuple[Any, Any]] = {}
    values: dict[str, Any] = {}
    for key in ASSET_FIELDS:
        new = old[key] if key in locked else desired.asset[key]
        values[key] = new
        if new != old[key]:
            changes[key] = (old[key], new)
    for key, new in (("rmm_provider", PROVIDER), ("rmm_device_id", desired.device_id)):
        values[key] = new
        if old[key] != new:
            changes[key] = (old[key], new)
    attributes = dict(old["attributes"] or {})
    for key in ATTRIBUTE_FIELDS:
        if key in locked:
            continue
        if attributes.get(key) != desired.attributes[key]:
            changes[key] = (attributes.get(key), desired.attributes[key])
        attributes[key] = desired.attributes[key]
    values["attributes"] = attributes

    old_type, new_type = old["asset_type"], values["asset_type"]
    ext_values: dict[str, Any] | None = None
    if new_type == desired.asset_type and desired.extension:
        ext_values = {}
        before = full.ext if old_type == new_type and full.ext is not None else {}
        for key, new in desired.extension.items():
            if (key in locked or key in desired.unknown) and key in before:
                new = before[key]
            ext_values[key] = new
            if before.get(key) != new:
                changes.setdefault(key, (before.get(key), new))

    revived = ref.deleted
    relink = matched_by is not None
    adopted = not relink and (not ref.mapped or ref.sync is None)
    logged = {k: v for k, v in changes.items() if k not in HEARTBEAT_FIELDS}
    moved = "client_id" in logged

    plan.sync_rows.append(
        _sync_row(
            ctx,
            ref.asset_id,
            desired.device_id,
            desired.fingerprint,
            software_fp if software_fp is not None else old_software_fp,
        )
    )
    if relink or adopted or revived or moved or "rmm_organization_id" in changes or logged:
        plan.mappings.append(_mapping_row(ctx, ref.asset_id, desired))
    if not changes and not revived:
        result.unchanged += 1
        return

    plan.asset_updates.append(
        {
            **{f"b_{k}": v for k, v in values.items()},
            "b_asset_id": ref.asset_id,
            "b_last_rmm_sync_at": now,
            "b_updated_at": now,
        }
    )
    if ext_values is not None:
        table_rows = {"tenant": s.tenant, "asset_id": ref.asset_id, **ext_values}
        if old_type != new_type or full.ext is None:
            plan.ext_inserts.setdefault(new_type, []).append(table_rows)
        elif ext_values != full.ext:
            plan.ext_updates.setdefault(new_type, []).append(
                {"b_asset_id": ref.asset_id, **{f"b_{k}": v for k, v in ext_values.items()}}
            )
    if old_type != new_type and full.ext is not None and old_type in EXTENSION_TABLES:
        plan.ext_deletes.setdefault(old_type, []).append(ref.asset_id)

    if not logged and not relink and not revived:
        result.unchanged += 1  # heartbeat only: written, no history
        result.heartbeats += 1
        return

    if relink:
        reason, result.relinked = "relinked", result.relinked + 1
        plan.bound_devices[desired.device_id] = ref.asset_id
        plan.lineage.append(
            {
                "tenant": s.tenant,
                "lineage_id": uuid.uuid4(),
                "asset_id": ref.asset_id,
                "integration_id": ctx.integration_id,
                "previous_device_id": ref.device_id,
                "new_device_id": desired.device_id,
                "matched_by": matched_by,
                "recorded_at": now,
            }
        )
    elif revived:
        reason, result.revived = "device_restored_in_rmm", result.revived + 1
    elif moved:
        reason, result.moved = "moved", result.moved + 1
    elif adopted:
        reason, result.adopted = "adopted", result.adopted + 1
    else:
        reason, result.updated = None, result.updated + 1
    diff = {
        k: {"old": audit.jsonable(before), "new": audit.jsonable(after)}
        for k, (before, after) in sorted(logged.items())
    }
    extra = {"reason": reason} if reason else {}
    plan.history[ref.asset_id] = (
        "updated",
        _changes(desired.device_id, ctx.integration_id, **extra, **diff),
    )
    plan.device_of[ref.asset_id] = desired.device_id
    outbox.publish(
        s,
        events.DEVICE_UPDATED,
        {
            "asset_id": str(ref.asset_id),
            "device_id": desired.device_id,
            "change": reason or "updated",
            "fields": sorted(logged),
            "integration_id": str(ctx.integration_id),
        },
    )


def _plan_retire(ctx: _Ctx, ref: _Ref) -> None:
    # Never deleted: tickets, history and software rows keep pointing at it, and a device that
    # comes back (restored VM, re-approved agent) revives the same asset.
    locked = set(ref.sync.locked_fields if ref.sync else ())
    status = ref.status if "status" in locked else "inactive"
    device_id = ref.device_id or ""
    ctx.plan.retirements.append(
        {"b_asset_id": ref.asset_id, "b_status": status, "b_alga_id": str(ref.asset_id)}
    )
    diff = {"status": {"old": ref.status, "new": status}} if status != ref.status else {}
    ctx.plan.history[ref.asset_id] = (
        "updated",
        _changes(device_id, ctx.integration_id, reason="device_deleted_in_rmm", **diff),
    )
    outbox.publish(
        ctx.s,
        events.DEVICE_DELETED,
        {
            "asset_id": str(ref.asset_id),
            "device_id": device_id,
            "integration_id": str(ctx.integration_id),
        },
    )
    ctx.result.retired += 1


# -- writing -------------------------------------------------------------------------------


def _where_asset(table: sa.Table, s: TenantSession) -> Any:
    return sa.and_(table.c.tenant == s.tenant, table.c.asset_id == sa.bindparam("b_asset_id"))


def _update_by_asset(
    s: TenantSession, table: sa.Table, cols: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """One executemany UPDATE of `cols` keyed by asset; each row binds `b_asset_id` and
    `b_<col>` (the `b_` prefix keeps bind names apart from column names)."""
    s.conn.execute(
        table.update()
        .where(_where_asset(table, s))
        .values({col: sa.bindparam(f"b_{col}") for col in cols}),
        rows,
    )


def _write(ctx: _Ctx) -> None:
    s, plan, now = ctx.s, ctx.plan, ctx.now
    started = time.perf_counter()
    c = s.conn
    if plan.asset_inserts:
        insert_many(c, assets, plan.asset_inserts)
        analyze_if_grown(s.conn, "assets", len(plan.asset_inserts))
    if plan.asset_updates:
        cols = [k[2:] for k in plan.asset_updates[0] if k != "b_asset_id"]
        _update_by_asset(s, assets, cols, plan.asset_updates)
    for asset_type, ids in plan.ext_deletes.items():
        table = EXTENSION_TABLES[asset_type]
        for clause in in_ids(c, table.c.asset_id, ids):
            c.execute(table.delete().where(table.c.tenant == s.tenant, clause))
    for asset_type, rows in plan.ext_inserts.items():
        # An upsert: a row left in a type's table by anyone else must not fail the push.
        insert_many(
            c,
            EXTENSION_TABLES[asset_type],
            rows,
            conflict=("tenant", "asset_id"),
            update=EXTENSION_FIELDS[asset_type],
        )
    for asset_type, rows in plan.ext_updates.items():
        _update_by_asset(s, EXTENSION_TABLES[asset_type], EXTENSION_FIELDS[asset_type], rows)
    if plan.retirements:
        c.execute(
            assets.update()
            .where(_where_asset(assets, s))
            .values(status=sa.bindparam("b_status"), agent_status="offline", updated_at=now),
            plan.retirements,
        )
        c.execute(
            teem.update()
            .where(
                teem.c.tenant == s.tenant,
                teem.c.integration_type == PROVIDER,
                teem.c.alga_entity_type == "asset",
                teem.c.alga_entity_id == sa.bindparam("b_alga_id"),
            )
            .values(
                sync_status="error",
                metadata={"deleted": True, "deletedAt": now.isoformat()},
                updated_at=now,
            ),
            plan.retirements,
        )
        # A returning device must be compared and written again.
        t = ninjadesk_asset_sync
        c.execute(
            t.update().where(_where_asset(t, s)).values(fingerprint=None, updated_at=now),
            plan.retirements,
        )
    if plan.lineage:
        insert_many(c, ninjadesk_asset_device_lineage, plan.lineage)
    if plan.mappings:
        insert_many(
            c,
            teem,
            plan.mappings,
            conflict=("tenant", "integration_type", "alga_entity_type", "alga_entity_id"),
            update=(
                "external_entity_id",
                "external_realm_id",
                "sync_status",
                "last_synced_at",
                "metadata",
                "updated_at",
            ),
        )
    if plan.sync_rows:
        insert_many(
            c,
            ninjadesk_asset_sync,
            plan.sync_rows,
            conflict=("tenant", "asset_id"),
            update=(
                "integration_id",
                "device_id",
                "fingerprint",
                "software_fingerprint",
                "updated_at",
            ),
        )
    ctx.result.phases["write"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    software = SoftwareChanges()
    if plan.software:
        software = sync_software(s, plan.software, now, new_assets=frozenset(plan.new_asset_ids))
    ctx.result.phases["software"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    _write_history(ctx, software)
    if plan.bound_devices:
        ctx.result.tickets_linked = link_waiting_alerts(
            s, ctx.integration_id, plan.bound_devices, ctx.changed_by
        )
    ctx.result.phases["history"] = round(time.perf_counter() - started, 3)


def _write_history(ctx: _Ctx, software: SoftwareChanges) -> None:
    plan = ctx.plan
    for asset_id in software.installed.keys() | software.removed.keys():
        entry = {
            "installed": software.installed.get(asset_id, []),
            "removed": software.removed.get(asset_id, []),
        }
        if asset_id not in plan.history:
            plan.history[asset_id] = (
                "updated",
                _changes(plan.device_of[asset_id], ctx.integration_id),
            )
        plan.history[asset_id][1]["software"] = entry
    if not plan.history:
        return
    insert_many(
        ctx.s.conn,
        asset_history,
        [
            {
                "tenant": ctx.s.tenant,
                "history_id": uuid.uuid4(),
                "asset_id": asset_id,
                "changed_by": ctx.changed_by,
                "change_type": change_type,
                "changes": changes,
                "changed_at": ctx.now,
            }
            for asset_id, (change_type, changes) in plan.history.items()
        ],
    )


def link_waiting_alerts(
    s: TenantSession,
    integration_id: uuid.UUID,
    devices: dict[str, uuid.UUID],
    created_by: uuid.UUID,
) -> int:
    """Alerts that arrived before their device's asset existed get it now; their open tickets
    get the asset link Alga's RMM tickets carry (asset_associations, 'related').

    Returns how many tickets were linked.
    """
    r = rmm_alerts.c
    waiting: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]] = []
    for clause in in_ids(s.conn, r.external_device_id, sorted(devices)):
        rows = s.conn.execute(
            sa.select(r.alert_id, r.external_device_id, r.ticket_id).where(
                r.tenant == s.tenant,
                r.integration_id == integration_id,
                r.asset_id.is_(None),
                clause,
            )
        )
        waiting.extend((a, devices[d], t) for a, d, t in rows)
    if not waiting:
        return 0
    now = utcnow()
    s.conn.execute(
        rmm_alerts.update()
        .where(r.tenant == s.tenant, r.alert_id == sa.bindparam("b_alert"))
        .values(asset_id=sa.bindparam("b_asset"), updated_at=now),
        [{"b_alert": alert_id, "b_asset": asset_id} for alert_id, asset_id, _ in waiting],
    )
    asset_of = {ticket: asset for _, asset, ticket in waiting if ticket is not None}
    if not asset_of:
        return 0
    t = tickets.c
    open_tickets: list[uuid.UUID] = []
    for clause in in_ids(s.conn, t.ticket_id, sorted(asset_of, key=str)):
        open_tickets.extend(
            s.conn.scalars(
                sa.select(t.ticket_id).where(t.tenant == s.tenant, t.is_closed.is_(False), clause)
            )
        )
    if not open_tickets:
        return 0
    insert = dialect_insert(s.conn, asset_associations).on_conflict_do_nothing(
        index_elements=["tenant", "asset_id", "entity_id", "entity_type"]
    )
    s.conn.execute(
        insert,
        [
            {
                "tenant": s.tenant,
                "asset_id": asset_of[ticket],
                "entity_id": ticket,
                "entity_type": "ticket",
                "relationship_type": "related",
                "created_by": created_by,
                "created_at": now,
            }
            for ticket in open_tickets
        ],
    )
    return len(open_tickets)
