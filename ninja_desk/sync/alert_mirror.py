"""Mirror pipeline decisions and tickets into the local cache, so the UI shows them offline.

Writes the cache's `alerts.decision / ticket_id / ticket_number` (and status for alerts resolved
or acknowledged in NinjaDesk), `psa_tickets` and `psa_ticket_devices`. Runs on the cache's
single writer like every other cache write; the statements are in cache/psa_mirror_writes.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from ninja_desk.cache import psa_mirror_writes as mirror_writes
from ninja_desk.cache.psa_mirror_writes import PsaTicketRow
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
) -> list[PsaTicketRow]:
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
    conn: Connection,
    outcomes: Iterable[SeriesOutcome],
    tickets_rows: Iterable[PsaTicketRow] = (),
    *,
    acknowledged_by: str | None = None,
) -> None:
    """Cache writer job: `cache.write(apply, outcomes, ticket_rows(...))`."""
    for o in outcomes:
        # The series' severity is the pipeline's verdict (the trigger's or a poll's).
        mirror_writes.upsert_alert_series(
            conn, o.series_uid, o.device_id, o.severity, resolved=o.status == "resolved"
        )
        mirror_writes.set_alert_decision(
            conn,
            o.series_uid,
            o.decision,
            str(o.ticket_id) if o.ticket_id else None,
            o.ticket_number,
        )
        if o.status == "resolved":
            mirror_writes.mark_alert_resolved(conn, o.series_uid, _now())
        elif o.status == "acknowledged":
            mirror_writes.mark_alert_acknowledged(conn, o.series_uid, _now(), acknowledged_by)
    mirror_writes.upsert_psa_tickets(conn, tickets_rows)


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
