"""Incremental sync from `/v2/activities` (newerThan the stored high-water mark).

Only the devices the activities touch are fetched again (one filtered devices-detailed call and
one filtered call per inventory report), so renames, moves and deletions made while the app was
closed are caught. `lastContact` is never used as a change filter: a renamed device need not
have checked in.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ninja_desk.cache import writes
from ninja_desk.cache.device_rows import device_row
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.activities import Activity
from ninja_desk.ninjaone.api import NinjaOneApi, device_id_filter
from ninja_desk.ninjaone.parsers import (
    parse_activity,
    parse_alert,
    parse_device,
    parse_location,
    parse_organization,
)
from ninja_desk.sync.full_sync import REPORT_ROWS, SkipCounter
from ninja_desk.sync.progress import ProgressCallback, SyncProgress

log = logging.getLogger(__name__)

# Activity types that say nothing about the device record or its inventory.
_NON_DEVICE_TYPES = frozenset({"CONDITION", "ACTIONSET", "ACTION", "SCRIPTING", "CONDITION_ACTION",
                               "CONDITION_ACTIONSET"})  # fmt: skip
# Keep `df=id in (...)` URLs comfortably short.
_IDS_PER_CALL = 400


class NeedsFullSync(Exception):
    """Incremental sync cannot be trusted; the message says why."""


class IncrementalSync:
    def __init__(
        self,
        api: NinjaOneApi,
        cache: LocalCache,
        progress: ProgressCallback,
        *,
        max_activities: int = 5000,
        max_age_seconds: float = 7 * 86400,
    ) -> None:
        self.api = api
        self.cache = cache
        self.progress = progress
        self.max_activities = max_activities
        self.max_age_seconds = max_age_seconds
        self.skips = SkipCounter()
        self.activities: list[Activity] = []
        self.devices = 0
        self.tombstoned = 0

    def high_water(self) -> int:
        raw = self.cache.meta("activities_high_water")
        if raw is None or not raw.lstrip("-").isdigit():
            raise NeedsFullSync("there is no activity high-water mark yet")
        last_sync = self.cache.meta("last_sync_at")
        if last_sync is None or time.time() - float(last_sync) > self.max_age_seconds:
            days = self.max_age_seconds / 86400
            raise NeedsFullSync(f"the last sync is older than {days:g} days")
        return int(raw)

    async def run(self, run_id: int) -> None:
        mark = self.high_water()
        raw, last_activity_id = await self.api.activities_since(mark)
        if len(raw) >= self.max_activities:
            raise NeedsFullSync(f"more than {self.max_activities} changes since the last sync")
        self.activities = self.skips.parse_all(parse_activity, raw)
        self.progress(SyncProgress("activities", len(self.activities), "Changes since last sync"))
        touched = sorted(
            {a.device_id for a in self.activities
             if a.device_id is not None and a.activity_type not in _NON_DEVICE_TYPES}
        )  # fmt: skip
        new_mark = max([mark, *(a.id for a in self.activities)])
        if last_activity_id is not None and not raw:
            new_mark = max(new_mark, last_activity_id)
        await self.refresh_devices(
            touched,
            run_id,
            refresh_alerts=any(a.activity_type == "CONDITION" for a in self.activities),
            high_water=new_mark,
        )

    async def refresh_devices(
        self,
        device_ids: list[int],
        run_id: int,
        *,
        refresh_alerts: bool = False,
        high_water: int | None = None,
    ) -> None:
        """Fetch these devices and their inventory again; tombstone those NinjaOne lost."""
        touched = sorted(set(device_ids))
        devices_raw: list[dict[str, Any]] = []
        reports: dict[str, list[Any]] = {table: [] for table in REPORT_ROWS}
        for start in range(0, len(touched), _IDS_PER_CALL):
            df = device_id_filter(touched[start : start + _IDS_PER_CALL])
            async for page in self.api.devices_detailed(df):
                devices_raw.extend(page)
            for table, (parser, to_row) in REPORT_ROWS.items():
                async for page in self.api.report(table, df):
                    reports[table].extend(to_row(x) for x in self.skips.parse_all(parser, page))
        devices = self.skips.parse_all(parse_device, devices_raw)
        self.devices = len(devices)
        known_orgs = {r["id"] for r in self.cache.rows("SELECT id FROM organizations")}
        orgs, locations = [], []
        if any(d.organization_id not in known_orgs for d in devices):
            async for page in self.api.organizations():
                orgs.extend(self.skips.parse_all(parse_organization, page))
            async for page in self.api.locations():
                locations.extend(self.skips.parse_all(parse_location, page))
        alerts = (
            self.skips.parse_all(parse_alert, await self.api.alerts()) if refresh_alerts else None
        )
        returned = {d.id for d in devices}
        gone = [i for i in touched if i not in returned]

        def apply(conn: Any) -> None:
            if orgs:
                writes.replace_organizations(conn, orgs)
                writes.replace_locations(conn, locations)
            writes.upsert_devices(conn, [device_row(d) for d in devices], run_id)
            self.tombstoned = writes.tombstone_devices(conn, gone)
            writes.clear_children(conn, touched)
            for table, rows in reports.items():
                writes.insert_children(conn, table, rows)
            writes.refresh_derived(conn, touched)
            for activity in self.activities:
                if activity.activity_type == "CONDITION":
                    writes.apply_condition_activity(conn, activity)
            if alerts is not None:
                writes.replace_active_alerts(conn, alerts)
            writes.refresh_alert_counts(conn)
            writes.record_activities(conn, self.activities)
            if high_water is not None:
                writes.set_meta(conn, "activities_high_water", high_water)
                writes.set_meta(conn, "last_sync_at", time.time())

        await self.cache.write(apply)
