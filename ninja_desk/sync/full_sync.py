"""Full sync: every dataset from NinjaOne's bulk endpoints, never one call per device.

Datasets are fetched concurrently (under the client's shared rate limiter) and streamed page by
page into one cache transaction on the writer thread, so memory stays flat and a failed or
cancelled run leaves the previous cache untouched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from ninja_desk.cache import writes
from ninja_desk.cache.device_rows import (
    antivirus_row,
    device_row,
    os_patch_row,
    software_patch_row,
    software_row,
)
from ninja_desk.cache.store import LocalCache, WriteSession
from ninja_desk.core.organizations import Location, Organization
from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.ninjaone.parsers import (
    MalformedRecord,
    parse_alert,
    parse_antivirus_row,
    parse_device,
    parse_location,
    parse_organization,
    parse_os_patch_row,
    parse_software_patch_row,
    parse_software_row,
)
from ninja_desk.sync.progress import ProgressCallback, SyncProgress

log = logging.getLogger(__name__)

# table -> (parser, row builder)
REPORT_ROWS: dict[str, tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple]]] = {
    "software": (parse_software_row, software_row),
    "os_patches": (parse_os_patch_row, os_patch_row),
    "software_patches": (parse_software_patch_row, software_patch_row),
    "antivirus": (parse_antivirus_row, antivirus_row),
}


class SkipCounter:
    """Counts malformed records; logs the first of each kind so one bad row is visible."""

    def __init__(self) -> None:
        self.count = 0
        self._logged: set[str] = set()

    def parse_all(self, parser: Callable[[dict[str, Any]], Any], raws: list[Any]) -> list[Any]:
        parsed = []
        for raw in raws:
            try:
                if not isinstance(raw, dict):
                    raise MalformedRecord(f"not an object: {str(raw)[:80]}")
                parsed.append(parser(raw))
            except MalformedRecord as exc:
                self.count += 1
                if parser.__name__ not in self._logged:
                    self._logged.add(parser.__name__)
                    log.warning(
                        "Skipped a malformed NinjaOne record (%s): %s", parser.__name__, exc
                    )
        return parsed


class FullSync:
    def __init__(self, api: NinjaOneApi, cache: LocalCache, progress: ProgressCallback) -> None:
        self.api = api
        self.cache = cache
        self.progress = progress
        self.skips = SkipCounter()
        self.devices = 0
        self.software_rows = 0
        self.organizations: list[Organization] = []
        self.locations: list[Location] = []
        self.tombstoned = 0

    async def run(self, run_id: int) -> None:
        # Take the high-water mark first: activities that land during the sync are replayed
        # by the next incremental run, and applying them twice is harmless.
        high_water = await self.api.last_activity_id()
        async with self.cache.transaction() as tx:
            await tx.run(writes.clear_children)
            alerts_raw: list[dict[str, Any]] = []

            async def fetch_alerts() -> None:
                alerts_raw.extend(await self.api.alerts())

            await asyncio.gather(
                self._organizations(),
                self._locations(),
                self._devices(tx, run_id),
                *(self._report(tx, table) for table in REPORT_ROWS),
                fetch_alerts(),
            )
            alerts = self.skips.parse_all(parse_alert, alerts_raw)
            await tx.run(self._finish, run_id, alerts, high_water)

    def _finish(self, conn: Any, run_id: int, alerts: list[Any], high_water: int | None) -> None:
        writes.replace_organizations(conn, self.organizations)
        writes.replace_locations(conn, self.locations)
        self.tombstoned = writes.tombstone_unseen(conn, run_id)
        writes.refresh_derived(conn)
        writes.replace_active_alerts(conn, alerts)
        writes.refresh_alert_counts(conn)
        if high_water is not None:
            writes.set_meta(conn, "activities_high_water", high_water)
        writes.set_meta(conn, "last_full_sync_at", time.time())
        writes.set_meta(conn, "last_sync_at", time.time())

    async def _organizations(self) -> None:
        async for page in self.api.organizations():
            self.organizations.extend(self.skips.parse_all(parse_organization, page))
        self.progress(SyncProgress("organizations", len(self.organizations), "Organizations"))

    async def _locations(self) -> None:
        async for page in self.api.locations():
            self.locations.extend(self.skips.parse_all(parse_location, page))

    async def _devices(self, tx: WriteSession, run_id: int) -> None:
        pipeline = WritePipeline(tx)
        async for page in self.api.devices_detailed():
            rows = [device_row(d) for d in self.skips.parse_all(parse_device, page)]
            await pipeline.submit(writes.upsert_devices, rows, run_id)
            self.devices += len(rows)
            self.progress(SyncProgress("devices", self.devices, f"{self.devices} devices"))
        await pipeline.drain()

    async def _report(self, tx: WriteSession, table: str) -> None:
        parser, to_row = REPORT_ROWS[table]
        done = 0
        pipeline = WritePipeline(tx)
        async for page in self.api.report(table):
            rows = [to_row(item) for item in self.skips.parse_all(parser, page)]
            await pipeline.submit(writes.insert_children, table, rows)
            done += len(rows)
            self.progress(SyncProgress(table, done, f"{done} {table.replace('_', ' ')} rows"))
        await pipeline.drain()
        if table == "software":
            self.software_rows = done


class WritePipeline:
    """Lets the next page download while the writer thread stores the previous one.

    At most one write per dataset is in flight, so memory stays bounded to about two pages.
    """

    def __init__(self, tx: WriteSession) -> None:
        self._tx = tx
        self._pending: asyncio.Future[Any] | None = None

    async def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        await self.drain()
        self._pending = asyncio.ensure_future(self._tx.run(fn, *args))

    async def drain(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            await pending
