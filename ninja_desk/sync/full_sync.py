"""Full sync: every dataset from NinjaOne's bulk endpoints, never one call per device.

Datasets are fetched concurrently (under the client's shared rate limiter) and streamed page by
page into one cache transaction on the writer thread, so memory stays flat and a failed or
cancelled run leaves the previous cache untouched. Pages are parsed on the writer thread too:
the event loop only fetches and decodes, so the next page is already asked for while the
previous one is parsed and stored, and the sync runs at the pace pages arrive.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from ninja_desk.cache import writes
from ninja_desk.cache.device_rows import (
    antivirus_row,
    device_row,
    os_patch_row,
    software_patch_row,
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
    software_row_values,
)
from ninja_desk.sync.progress import ProgressCallback, SyncProgress

log = logging.getLogger(__name__)

RowBuilder = Callable[[dict[str, Any]], tuple[Any, ...]]


def _rows_of(
    parser: Callable[[dict[str, Any]], Any], to_row: Callable[[Any], tuple[Any, ...]]
) -> RowBuilder:
    def build(raw: dict[str, Any]) -> tuple[Any, ...]:
        return to_row(parser(raw))

    build.__name__ = parser.__name__  # the skip log names the parser
    return build


# table -> NinjaOne report record -> cache row. Software (2M rows at 50,000 devices) skips the
# dataclass: its parser's values are the cache row (tests/unit/test_sync_rows.py holds them equal).
REPORT_ROWS: dict[str, RowBuilder] = {
    "software": software_row_values,
    "os_patches": _rows_of(parse_os_patch_row, os_patch_row),
    "software_patches": _rows_of(parse_software_patch_row, software_patch_row),
    "antivirus": _rows_of(parse_antivirus_row, antivirus_row),
}
_device_rows = _rows_of(parse_device, device_row)


class SkipCounter:
    """Counts malformed records; logs the first of each kind so one bad row is visible."""

    def __init__(self) -> None:
        self.count = 0
        self._logged: set[str] = set()
        # Pages are parsed on the writer thread and on the loop at once.
        self._lock = threading.Lock()

    def parse_all(self, parser: Callable[[dict[str, Any]], Any], raws: list[Any]) -> list[Any]:
        parsed: list[Any] = []
        append = parsed.append
        for raw in raws:
            try:
                if raw.__class__ is not dict:
                    raise MalformedRecord(f"not an object: {str(raw)[:80]}")
                append(parser(raw))
            except MalformedRecord as exc:
                self._skipped(parser.__name__, exc)
        return parsed

    def _skipped(self, parser: str, exc: MalformedRecord) -> None:
        with self._lock:
            self.count += 1
            first = parser not in self._logged
            self._logged.add(parser)
        if first:
            log.warning("Skipped a malformed NinjaOne record (%s): %s", parser, exc)


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
            await tx.run(writes.begin_bulk_load)
            alerts_raw: list[dict[str, Any]] = []

            async def fetch_alerts() -> None:
                alerts_raw.extend(await self.api.alerts())

            await _all_or_none(
                self._organizations(),
                self._locations(),
                self._devices(tx, run_id),
                *(self._report(tx, table) for table in REPORT_ROWS),
                fetch_alerts(),
            )
            alerts = self.skips.parse_all(parse_alert, alerts_raw)
            await tx.run(self._finish, run_id, alerts, high_water)

    def _finish(self, conn: Any, run_id: int, alerts: list[Any], high_water: int | None) -> None:
        writes.end_bulk_load(conn)
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
        def store(conn: Any, page: list[Any]) -> int:
            rows = self.skips.parse_all(_device_rows, page)
            writes.upsert_devices(conn, rows, run_id)
            return len(rows)

        pipeline = WritePipeline(tx)
        async for page in self.api.devices_detailed():
            await pipeline.submit(store, page)
            self.progress(SyncProgress("devices", pipeline.stored, f"{pipeline.stored} devices"))
        self.devices = await pipeline.drain()

    async def _report(self, tx: WriteSession, table: str) -> None:
        to_row = REPORT_ROWS[table]

        def store(conn: Any, page: list[Any]) -> int:
            return writes.insert_children(conn, table, self.skips.parse_all(to_row, page))

        label = table.replace("_", " ")
        pipeline = WritePipeline(tx)
        async for page in self.api.report(table):
            await pipeline.submit(store, page)
            self.progress(SyncProgress(table, pipeline.stored, f"{pipeline.stored} {label} rows"))
        done = await pipeline.drain()
        if table == "software":
            self.software_rows = done


async def _all_or_none(*steps: Awaitable[None]) -> None:
    """Run the steps at once; the first failure cancels the others and waits for them, so
    none is left writing into the transaction that is about to roll back."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class WritePipeline:
    """Lets the next pages download while the writer thread parses and stores earlier ones.

    At most `depth` writes per dataset are queued on the writer, so memory stays bounded to a
    few pages; two let a dataset's fetching ride over the moments the one writer thread is
    busy with another dataset's page. Each write returns how many rows it stored; `stored`
    is the running total of the writes that finished.
    """

    def __init__(self, tx: WriteSession, depth: int = 2) -> None:
        self._tx = tx
        self._depth = depth
        self._pending: deque[asyncio.Future[int]] = deque()
        self.stored = 0

    async def submit(self, fn: Callable[..., int], *args: Any) -> None:
        while len(self._pending) >= self._depth:
            await self._take()
        self._pending.append(asyncio.ensure_future(self._tx.run(fn, *args)))

    async def drain(self) -> int:
        while self._pending:
            await self._take()
        return self.stored

    async def _take(self) -> None:
        try:
            self.stored += await self._pending.popleft()
        except BaseException:
            # The sync fails or is cancelled: later writes are of no use, and nobody else
            # would collect their outcome.
            for later in self._pending:
                later.cancel()
            self._pending.clear()
            raise
