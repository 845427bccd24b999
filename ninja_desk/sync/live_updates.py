"""Apply NinjaOne activities that arrive live (relay webhooks) to the local cache.

Webhook payloads carry at most the slim device (no OS, hardware or inventory), so a device
change is never written from the payload alone: the device ids are collected for a moment and
fetched again in one filtered bulk call. Condition activities update the alert of their series
at once and are handed back to the caller (the agent passes them on to the alert pipeline).
Everything here is idempotent: the relay may replay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ninja_desk.cache import writes
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.activities import Activity
from ninja_desk.core.tasks import cancel_and_wait
from ninja_desk.ninjaone.parsers import MalformedRecord, parse_activity
from ninja_desk.sync.engine import SyncEngine

log = logging.getLogger(__name__)

DevicesHandler = Callable[[list[int]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LiveBatch:
    """What one batch of webhook bodies did to the cache, and what goes on from here."""

    # Every readable activity, parsed once, in arrival order.
    activities: list[Activity] = field(default_factory=list)
    unreadable: int = 0

    @property
    def conditions(self) -> list[Activity]:
        """The CONDITION activities: alert news for the pipeline."""
        return [a for a in self.activities if a.activity_type == "CONDITION"]


class LiveUpdater:
    def __init__(
        self,
        cache: LocalCache,
        engine: SyncEngine | None,
        *,
        on_changed: Callable[[], None] | None = None,
        on_devices_refreshed: DevicesHandler | None = None,
        debounce_seconds: float = 1.0,
    ) -> None:
        self.cache = cache
        self.engine = engine
        self.on_changed = on_changed or (lambda: None)
        # Called with the device ids just fetched again, so the agent can push them to the PSA
        # within seconds instead of at the next scheduled push.
        self.on_devices_refreshed = on_devices_refreshed
        self.debounce_seconds = debounce_seconds
        self._pending: set[int] = set()
        self._flush_task: asyncio.Task[None] | None = None

    async def apply_batch(self, payloads: Sequence[dict[str, Any]]) -> LiveBatch:
        """NinjaOne activities (webhook bodies) into the cache in one transaction; returns them
        parsed. Unreadable payloads are logged and dropped."""
        activities: list[Activity] = []
        unreadable = 0
        for payload in payloads:
            try:
                activities.append(parse_activity(payload))
            except MalformedRecord as exc:
                log.warning("Ignored a webhook event NinjaDesk cannot read: %s", exc)
                unreadable += 1
        if activities:
            await self.cache.write(self._apply, activities)
            # Any activity of a device may change how it looks; an AGENT_OFFLINE condition is
            # how a device going offline usually shows up. Fetch them all again, shortly.
            self._pending.update(a.device_id for a in activities if a.device_id is not None)
            if self._pending:
                self._schedule_flush()
            self.on_changed()
        return LiveBatch(activities, unreadable)

    @staticmethod
    def _apply(conn: Connection, activities: list[Activity]) -> None:
        conditions = [a for a in activities if a.activity_type == "CONDITION"]
        for activity in conditions:
            writes.apply_condition_activity(conn, activity)
        deleted = [
            a.device_id
            for a in activities
            if a.status_code == "NODE_DELETED" and a.activity_type != "CONDITION" and a.device_id
        ]
        writes.tombstone_devices(conn, deleted)
        if conditions:
            writes.refresh_alert_counts(conn)
        writes.record_activities(conn, activities)

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
        await cancel_and_wait([self._flush_task])
