"""PSA clients and tickets mirrored into the local cache, so the desktop shows them offline.

Incremental: each run reads the tickets updated since the previous run (plus every client,
a small table) and writes them with the same rows the alert pipeline's mirror uses.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from ninja_desk.cache.store import LocalCache
from ninja_desk.psa.clients import list_clients
from ninja_desk.psa.tickets import list_tickets
from ninja_desk.sync import alert_mirror

# Clocks of desktops and the database server differ a little; re-read a short overlap.
_OVERLAP = timedelta(minutes=2)


class PsaMirror:
    def __init__(self, cache: LocalCache, psa: Any) -> None:
        self.cache = cache
        self.psa = psa  # a DesktopPsa (db, tenant, user)
        self.since: datetime | None = None

    def _read(self) -> tuple[list[tuple[str, str]], list[dict[str, Any]], datetime]:
        started = datetime.now(UTC)
        with self.psa.session() as s:
            clients = [(str(c.client_id), c.name) for c in list_clients(s)]
            changed = list_tickets(s, updated_since=self.since)
        rows = alert_mirror.ticket_rows(
            self.psa.db, self.psa.tenant, [t.ticket_id for t in changed]
        )
        return clients, rows, started

    async def run_once(self) -> int:
        """Mirror what changed; returns how many tickets were written."""
        clients, rows, started = await asyncio.to_thread(self._read)

        def write(conn: Any) -> None:
            if clients:
                conn.exec_driver_sql(
                    "INSERT OR REPLACE INTO psa_clients (id, name) VALUES (?, ?)", clients
                )
            alert_mirror.apply(conn, [], rows)

        await self.cache.write(write)
        self.since = started - _OVERLAP
        return len(rows)
