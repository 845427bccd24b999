"""Mirror pipeline decisions and tickets into the local cache, so the UI shows them offline.

Writes the cache's `alerts.decision / ticket_id / ticket_number` (and status for alerts resolved
or acknowledged in NinjaDesk), `psa_tickets` and `psa_ticket_devices`. Runs on the cache's
single writer like every other cache write.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from ninja_desk.cache.queries.devices import alert_facts
from ninja_desk.cache.store import LocalCache
from ninja_desk.psa.schema import (
    asset_associations,
    assets,
    clients,
    rmm_alerts,
)
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tickets import list_tickets
from ninja_desk.sync.alert_batch import SeriesOutcome


def ticket_rows(
    psa: PsaDatabase, tenant: uuid.UUID, ticket_ids: Iterable[uuid.UUID]
) -> list[dict[str, Any]]:
    """The PSA tickets as the cache mirror stores them (with linked NinjaOne device ids)."""
    ids = sorted(set(ticket_ids), key=str)
    if not ids:
        return []
    with psa.tenant_session(tenant) as s:
        rows = list_tickets(s, ticket_ids=ids)
        client_names = dict(
            s.conn.execute(
                sa.select(clients.c.client_id, clients.c.client_name).where(
                    clients.c.tenant == tenant,
                    clients.c.client_id.in_({r.client_id for r in rows}),
                )
            ).all()
        )
        aa = asset_associations
        devices = s.conn.execute(
            sa.select(aa.c.entity_id, assets.c.rmm_device_id)
            .select_from(
                aa.join(
                    assets,
                    sa.and_(assets.c.tenant == aa.c.tenant, assets.c.asset_id == aa.c.asset_id),
                )
            )
            .where(aa.c.tenant == tenant, aa.c.entity_type == "ticket", aa.c.entity_id.in_(ids))
        ).all()
        series = s.conn.execute(
            sa.select(rmm_alerts.c.ticket_id, sa.func.min(rmm_alerts.c.external_alert_id))
            .where(rmm_alerts.c.tenant == tenant, rmm_alerts.c.ticket_id.in_(ids))
            .group_by(rmm_alerts.c.ticket_id)
        ).all()
    by_ticket: dict[uuid.UUID, list[int]] = {}
    for ticket_id, device_id in devices:
        if device_id and str(device_id).isdigit():
            by_ticket.setdefault(ticket_id, []).append(int(device_id))
    first_series = dict(series)
    return [
        {
            "id": str(r.ticket_id),
            "number": r.ticket_number,
            "title": r.title,
            "status": r.status,
            "is_closed": 1 if r.is_closed else 0,
            "priority": r.priority,
            "client_id": str(r.client_id),
            "client_name": client_names.get(r.client_id),
            "alert_uid": first_series.get(r.ticket_id),
            "created_at": r.entered_at.timestamp() if r.entered_at else None,
            "updated_at": r.updated_at.timestamp() if r.updated_at else None,
            "devices": sorted(set(by_ticket.get(r.ticket_id, []))),
        }
        for r in rows
    ]


def apply(
    conn: Any,
    outcomes: Iterable[SeriesOutcome],
    tickets_rows: Iterable[dict[str, Any]] = (),
    *,
    acknowledged_by: str | None = None,
) -> None:
    """Cache writer job: `cache.write(apply, outcomes, ticket_rows(...))`."""
    for o in outcomes:
        decision = json.dumps(o.decision) if o.decision is not None else None
        conn.exec_driver_sql(
            # The series' severity is the pipeline's verdict (the trigger's or a poll's); an
            # unknown one (None) never hides what the cache already knows.
            "INSERT INTO alerts (uid, device_id, severity, status) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(uid) DO UPDATE SET severity = coalesce(excluded.severity, severity)",
            (
                o.series_uid,
                o.device_id,
                o.severity,
                "RESET" if o.status == "resolved" else "TRIGGERED",
            ),
        )
        conn.exec_driver_sql(
            "UPDATE alerts SET decision = ?, ticket_id = ?, ticket_number = ? WHERE uid = ?",
            (decision, str(o.ticket_id) if o.ticket_id else None, o.ticket_number, o.series_uid),
        )
        if o.status == "resolved":
            conn.exec_driver_sql(
                "UPDATE alerts SET status = 'RESET', resolved_at = coalesce(resolved_at, ?) "
                "WHERE uid = ?",
                (_now(), o.series_uid),
            )
        elif o.status == "acknowledged":
            conn.exec_driver_sql(
                "UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, ?), "
                "acknowledged_by = coalesce(?, acknowledged_by) WHERE uid = ?",
                (_now(), acknowledged_by, o.series_uid),
            )
    for t in tickets_rows:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO psa_tickets (id, number, title, status, is_closed, priority, "
            "client_id, client_name, alert_uid, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                t["id"],
                t["number"],
                t["title"],
                t["status"],
                t.get("is_closed", 0),
                t["priority"],
                t["client_id"],
                t["client_name"],
                t["alert_uid"],
                t["created_at"],
                t["updated_at"],
            ),
        )
        conn.exec_driver_sql("DELETE FROM psa_ticket_devices WHERE ticket_id = ?", (t["id"],))
        if t["devices"]:
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO psa_ticket_devices (ticket_id, device_id) VALUES (?, ?)",
                [(t["id"], d) for d in t["devices"]],
            )
        if t["client_id"] and t["client_name"]:
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO psa_clients (id, name) VALUES (?, ?)",
                (t["client_id"], t["client_name"]),
            )


async def mirror(
    cache: LocalCache,
    psa: PsaDatabase,
    tenant: uuid.UUID,
    outcomes: Iterable[SeriesOutcome],
    *,
    acknowledged_by: str | None = None,
) -> None:
    """Read the touched tickets from the PSA (off the loop) and write everything to the cache."""
    import asyncio

    outcomes = list(outcomes)
    ids = [o.ticket_id for o in outcomes if o.ticket_id]
    rows = await asyncio.to_thread(ticket_rows, psa, tenant, ids) if ids else []
    await cache.write(apply, outcomes, rows, acknowledged_by=acknowledged_by)


def device_lookup(
    cache: LocalCache,
) -> Callable[[Sequence[int]], dict[int, dict[str, Any]]]:
    """Device facts for the pipeline (org, class, name, OS, IPs, last user) from the cache."""

    def lookup(device_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        return alert_facts(cache, device_ids)

    return lookup


def _now() -> float:
    import time

    return time.time()
