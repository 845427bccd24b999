"""Apply NinjaOne activities that arrive live (relay webhooks) to the local cache.

Webhook payloads carry at most the slim device (no OS, hardware or inventory), so a device
change is never written from the payload alone: the device ids are collected for a moment and
fetched again in one filtered bulk call. Condition activities update the alert of their series
at once and go on to the alert pipeline. Everything here is idempotent: the relay may replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ninja_desk.cache import writes
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.activities import Activity
from ninja_desk.ninjaone.parsers import MalformedRecord, parse_activity
from ninja_desk.sync.engine import SyncEngine

log = logging.getLogger(__name__)

ConditionHandler = Callable[[Activity, dict[str, Any]], Awaitable[None]]
DevicesHandler = Callable[[list[int]], Awaitable[None]]


class LiveUpdater:
    def __init__(
        self,
        cache: LocalCache,
        engine: SyncEngine | None,
        *,
        on_condition: ConditionHandler | None = None,
        on_changed: Callable[[], None] | None = None,
        on_devices_refreshed: DevicesHandler | None = None,
        debounce_seconds: float = 1.0,
    ) -> None:
        self.cache = cache
        self.engine = engine
        self.on_condition = on_condition
        self.on_changed = on_changed or (lambda: None)
        # Called with the device ids just fetched again, so the agent can push them to the PSA
        # within seconds instead of at the next scheduled push.
        self.on_devices_refreshed = on_devices_refreshed
        self.debounce_seconds = debounce_seconds
        self._pending: set[int] = set()
        self._flush_task: asyncio.Task[None] | None = None

    async def apply_payload(self, payload: dict[str, Any]) -> Activity | None:
        """One NinjaOne activity (webhook body). Malformed payloads are logged and dropped."""
        try:
            activity = parse_activity(payload)
        except MalformedRecord as exc:
            log.warning("Ignored a webhook event NinjaDesk cannot read: %s", exc)
            return None
        if activity.activity_type == "CONDITION":
            await self.cache.write(self._apply_condition, activity)
            if self.on_condition is not None:
                await self.on_condition(activity, payload)
            # An AGENT_OFFLINE condition is how a device going offline usually shows up: fetch
            # the device too, so the devices table tells the truth now, not at the next sync.
            if activity.device_id is not None:
                self._pending.add(activity.device_id)
                self._schedule_flush()
        elif activity.device_id is not None:
            if activity.status_code == "NODE_DELETED":
                await self.cache.write(writes.tombstone_devices, [activity.device_id])
            self._pending.add(activity.device_id)
            self._schedule_flush()
        await self.cache.write(writes.record_activities, [activity])
        self.on_changed()
        return activity

    @staticmethod
    def _apply_condition(conn: Any, activity: Activity) -> None:
        writes.apply_condition_activity(conn, activity)
        writes.refresh_alert_counts(conn)

    def _schedule_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.debounce_seconds)
        await self.flush()

    async def flush(self) -> None:
        """Fetch the devices that changed since the last flush (one bulk call per dataset)."""
        ids, self._pending = sorted(self._pending), set()
        if not ids or self.engine is None:
            return
        try:
            await self.engine.sync_devices(ids)
        except Exception as exc:  # the next scheduled sync catches up
            log.warning("Could not refresh %d changed devices now (%s); the next sync will.",
                        len(ids), exc)  # fmt: skip
            self._pending.update(ids)
            return
        self.on_changed()
        if self.on_devices_refreshed is not None:
            await self.on_devices_refreshed(ids)

    async def aclose(self) -> None:
        if self._flush_task is not None:
            self._flush_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush_task
