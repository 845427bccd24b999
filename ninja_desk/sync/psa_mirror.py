"""PSA clients and tickets mirrored into the local cache, so the desktop shows them offline.

Incremental: each run reads the tickets updated since the previous run (plus every client,
a small table) and writes them with the same rows the alert pipeline's mirror uses. Tickets the
technician has opened (their detail is cached) get their detail refreshed too.

Each run first sends the technician's queued ticket edits (sync/ticket_edit_service.py): the
mirror runs every minute while the desktop is up, so edits made while Alga's database was
unreachable go out within a minute of it coming back, and the mirror then reads them back.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from ninja_desk.cache import psa_mirror_writes, ticket_outbox
from ninja_desk.cache.psa_mirror_writes import PsaTicketRow
from ninja_desk.cache.store import LocalCache
from ninja_desk.psa.clients import list_clients
from ninja_desk.psa.tickets import list_tickets, ticket_detail
from ninja_desk.sync import alert_mirror
from ninja_desk.sync.ticket_edit_service import SendReport, TicketEditService

log = logging.getLogger(__name__)

# Clocks of desktops and the database server differ a little; re-read a short overlap.
_OVERLAP = timedelta(minutes=2)


class PsaMirror:
    def __init__(self, cache: LocalCache, psa: Any) -> None:
        self.cache = cache
        self.psa = psa  # a DesktopPsa (db, tenant, user)
        self.since: datetime | None = None
        self.edits = TicketEditService(cache, psa)
        self.last_send: SendReport | None = None
        self._recovered = False

    def _read(self) -> tuple[list[tuple[str, str]], list[PsaTicketRow], list[Any], datetime]:
        started = datetime.now(UTC)
        opened = ticket_outbox.detailed_ticket_ids(self.cache)
        with self.psa.session() as s:
            clients = [(str(c.client_id), c.name) for c in list_clients(s)]
            changed = list_tickets(s, updated_since=self.since)
            details = [ticket_detail(s, t.ticket_id) for t in changed if str(t.ticket_id) in opened]
        rows = alert_mirror.ticket_rows(
            self.psa.db, self.psa.tenant, [t.ticket_id for t in changed]
        )
        return clients, rows, details, started

    async def send_edits(self) -> SendReport | None:
        """Send queued ticket edits (only a desktop that acts as someone has any to send)."""
        if getattr(self.psa, "user_id", None) is None or not hasattr(self.psa, "tenant_session"):
            return None
        try:
            if not self._recovered:  # edits of a cache that was rebuilt at this start
                self._recovered = True
                await asyncio.to_thread(self.edits.recover_blocking)
            self.last_send = await self.edits.send_pending()
        except Exception as exc:  # the queue stays; the mirror itself still runs
            log.warning("Sending queued ticket edits failed: %s", exc)
            return None
        return self.last_send

    async def run_once(self) -> int:
        """Send queued edits, then mirror what changed; returns how many tickets were written."""
        await self.send_edits()
        clients, rows, details, started = await asyncio.to_thread(self._read)
        tenant = str(self.psa.tenant)

        def write(conn: Connection) -> None:
            psa_mirror_writes.upsert_psa_clients(conn, clients)
            alert_mirror.apply(conn, [], rows)
            for detail in details:
                ticket_outbox.store_detail(conn, tenant, detail.ticket_id, detail.to_json())

        await self.cache.write(write)
        self.since = started - _OVERLAP
        return len(rows)
