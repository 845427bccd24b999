"""Incremental sync from `/v2/activities` (newerThan the stored high-water mark).

Only the devices the activities touch are fetched again (one filtered devices-detailed call and
one filtered call per inventory report), so renames, moves and deletions made while the app was
closed are caught. `lastContact` is never used as a change filter: a renamed device need not
have checked in.

Online/offline state needs more than the activities: NinjaOne records a device going offline
only when an offline condition is configured (then as a CONDITION activity), and otherwise not
at all. So every incremental sync also reads the offline device list (`df=offline`, a page or
two of the slim device list) and fetches again every device whose state differs from the cache.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ninja_desk.cache import writes
from ninja_desk.cache.device_rows import device_row
from ninja_desk.cache.queries.devices import KNOWN_ORGANIZATIONS_SQL, LIVE_STATUS_SQL
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.activities import Activity
from ninja_desk.ninjaone.api import NinjaOneApi, device_id_filter
from ninja_desk.ninjaone.pagination import iter_id_pages
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

# Activity types that say nothing about the device record or its inventory. CONDITION is not
# one of them: an agent-offline condition is how NinjaOne reports a device going offline, and
# a condition changes the device's health status.
_NON_DEVICE_TYPES = frozenset({"ACTIONSET", "ACTION", "SCRIPTING", "CONDITION_ACTION",
                               "CONDITION_ACTIONSET"})  # fmt: skip
# The status pass reads at most this many pages of the offline list; a fleet with more offline
# devices than that falls back to trusting the activities for the rest (and says so in the log).
_MAX_STATUS_PAGES = 5
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
        # Devices whose online/offline state the status pass found changed, and the share of
        # those no activity mentioned (offline changes without a configured condition).
        self.status_changes: list[int] = []
        self.silent_status_changes: list[int] = []

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
        from_activities = {
            a.device_id for a in self.activities
            if a.device_id is not None and a.activity_type not in _NON_DEVICE_TYPES
        }  # fmt: skip
        self.status_changes = await self.status_pass()
        self.silent_status_changes = [i for i in self.status_changes if i not in from_activities]
        if self.status_changes:
            self.progress(
                SyncProgress(
                    "status",
                    len(self.status_changes),
                    f"{len(self.status_changes)} devices went online or offline",
                )
            )
        touched = sorted(from_activities | set(self.status_changes))
        new_mark = max([mark, *(a.id for a in self.activities)])
        if last_activity_id is not None and not raw:
            new_mark = max(new_mark, last_activity_id)
        await self.refresh_devices(
            touched,
            run_id,
            refresh_alerts=any(a.activity_type == "CONDITION" for a in self.activities),
            high_water=new_mark,
        )

    async def offline_device_ids(self) -> set[int] | None:
        """Ids NinjaOne lists as offline now; None if the list is longer than we read."""
        found: set[int] = set()
        pages = 0
        async for page in iter_id_pages(
            self.api.client, "/devices", {"df": "offline"}, page_size=self.api.list_page_size
        ):
            found.update(
                d["id"] for d in page if isinstance(d, dict) and isinstance(d.get("id"), int)
            )
            pages += 1
            if pages >= _MAX_STATUS_PAGES and len(page) >= self.api.list_page_size:
                log.info("More than %d devices are offline; status pass stopped.", len(found))
                return None
        return found

    async def status_pass(self) -> list[int]:
        """Devices whose online/offline state in the cache is no longer true."""
        offline_now = await self.offline_device_ids()
        if offline_now is None:
            return []
        cached = self.cache.rows(LIVE_STATUS_SQL)
        known = {r["id"] for r in cached}
        changed = {
            r["id"]
            for r in cached
            # Unknown state (no `offline` field) stays unknown unless NinjaOne lists it offline.
            if (r["id"] in offline_now) != bool(r["offline"])
            and (r["offline"] is not None or r["id"] in offline_now)
        }
        # Offline devices the cache has never seen: added while the app was closed.
        changed |= offline_now - known
        return sorted(changed)

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
            for table, to_row in REPORT_ROWS.items():
                async for page in self.api.report(table, df):
                    reports[table].extend(self.skips.parse_all(to_row, page))
        devices = self.skips.parse_all(parse_device, devices_raw)
        self.devices = len(devices)
        known_orgs = {r["id"] for r in self.cache.rows(KNOWN_ORGANIZATIONS_SQL)}
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
