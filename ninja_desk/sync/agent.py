"""The headless agent: webhooks, syncs and alert tickets around the clock, no Qt.

    agent = Agent(AgentConfig(...), cache=cache, psa=psa, engine=engine)
    await agent.run()            # until agent.stop() (SIGTERM in `ninja-desk agent`)

What it runs, all on one asyncio loop (database work in threads):
- the relay subscriber: every webhook goes through LiveUpdater into the local cache, and
  CONDITION activities into the alert pipeline (tickets within a second or two);
- alert polling: `/v2/alerts` reconciled into the pipeline, catching whatever the webhooks
  missed (relay gaps, an agent that was down) and resolving alerts that vanished;
- scheduled sync (incremental, falling back to full) and the PSA asset push after it;
- resets for alerts whose ticket was closed (rules with `reset_on_close`).

As a companion of Alga's own NinjaOne integration (`AgentConfig.companion`, see psa/setup.py)
it only keeps its own cache current: Alga pushes the assets and makes the alert tickets, so the
agent never does either. `run_once()` is one sync, asset push and alert round (`agent --once`).

Several agents and desktops may run at once: the relay cursor is per agent, and everything the
agent writes to the PSA is idempotent and claimed in the database (see alert_pipeline.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ninja_desk.cache.queries.activities import LAST_ACTIVITY_ID_SQL, new_conditions_sql
from ninja_desk.cache.queries.clients import organizations
from ninja_desk.cache.queries.snapshots import snapshots_from_cache
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.activities import Activity
from ninja_desk.ninjaone.parsers import MalformedRecord, parse_alert
from ninja_desk.psa import alga_events
from ninja_desk.psa.errors import SyncInProgress
from ninja_desk.psa.integration_settings import load_settings
from ninja_desk.psa.org_mapping import OrgChanges, record_seen_organizations
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.sync import alert_mirror
from ninja_desk.sync.alert_batch import IngestResult
from ninja_desk.sync.alert_pipeline import AlertPipeline
from ninja_desk.sync.alert_reset import closed_ticket_resets
from ninja_desk.sync.engine import SyncEngine
from ninja_desk.sync.live_updates import LiveUpdater
from ninja_desk.sync.psa_push import push_snapshots, record_sync_failure
from ninja_desk.sync.relay_subscriber import RelayEvent, RelaySubscriber
from ninja_desk.sync.scheduler import Scheduler

log = logging.getLogger(__name__)

ENV_RELAY_TOKEN = "NINJA_DESK_RELAY_TOKEN"


@dataclass
class AgentConfig:
    tenant: uuid.UUID
    integration_id: uuid.UUID
    relay_url: str | None = None
    relay_token: str | None = field(default=None, repr=False)
    ninjaone_url: str = ""
    sync_interval: float = 15 * 60
    full_sync_interval: float = 24 * 3600
    alert_poll_interval: float = 60.0
    psa_push: bool = True
    # Alga's own NinjaOne integration runs for this tenant: no asset push, no alert tickets.
    companion: bool = False
    cursor_file: Path | None = None
    # First runs: sync at once (assets and device facts for the pipeline), poll shortly after.
    first_poll_delay: float = 2.0
    first_sync_delay: float = 0.0


class FileCursorStore:
    """The relay cursor in a small JSON file, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> int | None:
        try:
            return int(json.loads(self.path.read_text())["seq"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, seq: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": seq}))
        os.replace(tmp, self.path)


@dataclass
class AgentStats:
    relay_events: int = 0
    polls: int = 0
    syncs: int = 0
    pushes: int = 0
    resets_sent: int = 0
    relay_state: str = "idle"
    # What the alert pipeline did for this agent, counted over all its batches.
    alerts: IngestResult = field(default_factory=IngestResult)

    @property
    def alerts_ingested(self) -> int:
        return self.alerts.events

    @property
    def tickets_created(self) -> int:
        return self.alerts.tickets_created


class Agent:
    def __init__(
        self,
        config: AgentConfig,
        *,
        cache: LocalCache,
        psa: PsaDatabase,
        engine: SyncEngine | None = None,
        pipeline: AlertPipeline | None = None,
        on_changed: Callable[[], None] | None = None,
        on_relay_state: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.cache = cache
        self.psa = psa
        self.engine = engine
        self.pipeline = pipeline or AlertPipeline(
            psa,
            config.tenant,
            config.integration_id,
            ninjaone_url=config.ninjaone_url,
            device_lookup=alert_mirror.device_lookup(cache),
        )
        # The desktop passes its UI bridge here; the headless agent has nobody to tell.
        self._on_changed = on_changed or (lambda: None)
        self._on_relay_state = on_relay_state or (lambda _state: None)
        self.live = LiveUpdater(
            cache,
            engine,
            on_changed=self._on_changed,
            on_devices_refreshed=self._push_refreshed_devices,
        )
        self.scheduler = Scheduler()
        self.stats = AgentStats()
        self._subscriber: RelaySubscriber | None = None
        self._stopping = asyncio.Event()
        self._last_full = 0.0
        self._activity_mark: int | None = None
        self.ready = asyncio.Event()

    # -- wiring ----------------------------------------------------------------------------

    @property
    def writes_psa(self) -> bool:
        """Whether this agent pushes assets and makes alert tickets (never as a companion)."""
        return not self.config.companion

    async def _ingest(self, activities: list[Activity], source: str) -> IngestResult | None:
        """Alert news through the pipeline (never as a companion: Alga's own integration
        makes the tickets; the cache has the activities either way)."""
        if not activities or not self.writes_psa:
            return None
        result = await asyncio.to_thread(self.pipeline.ingest_activities, activities, source)
        await self._after_ingest(result)
        return result

    async def _after_ingest(self, result: IngestResult) -> None:
        self.stats.alerts.add(result, counts_only=True)
        if result.tickets_created or result.tickets_auto_resolved:
            log.info("Alert pipeline: %s", result.summary())
        if result.outcomes:
            try:
                await alert_mirror.mirror(
                    self.cache, self.psa, self.config.tenant, result.outcomes.values()
                )
            except Exception:  # the PSA has it; the cache mirror is for offline display
                log.exception("Could not mirror alert decisions into the local cache")
            self._on_changed()

    async def _on_relay_event(self, event: RelayEvent) -> None:
        await self._on_relay_batch([event])

    async def _on_relay_batch(self, events: list[RelayEvent]) -> None:
        """Events that queued up while the previous ones were applied: the cache first, then
        every condition among them through the pipeline in one transaction (an alert storm
        costs one round of database work per batch instead of one per webhook)."""
        batch = await self.live.apply_batch([event.payload for event in events])
        await self._ingest(batch.conditions, "webhook")
        self.stats.relay_events += len(events)  # counted once applied

    async def _on_gap(self, oldest_retained: int) -> None:
        log.warning(
            "The relay no longer holds events before #%s; polling alerts and syncing to catch up.",
            oldest_retained,
        )
        self.scheduler.trigger("alert-poll")
        self.scheduler.trigger("sync")

    def _on_state(self, state: str) -> None:
        self.stats.relay_state = state
        self._on_relay_state(state)

    # -- scheduled jobs --------------------------------------------------------------------

    async def poll_alerts(self) -> IngestResult | None:
        if self.engine is None or not self.writes_psa:
            return None
        observed_at = time.time()
        alerts = []
        for raw in await self.engine.api.alerts():
            try:
                alerts.append(parse_alert(raw))
            except MalformedRecord as exc:  # no uid: it cannot be any series we hold
                log.warning("Ignored an alert NinjaDesk cannot read: %s", exc)
        result = await asyncio.to_thread(self.pipeline.reconcile, alerts, observed_at)
        await self._after_ingest(result)
        await self._reset_closed_tickets()
        self.stats.polls += 1
        return result

    async def _reset_closed_tickets(self) -> None:
        uids = await asyncio.to_thread(closed_ticket_resets, self.pipeline)
        if not uids or self.engine is None:
            return
        for uid in uids:
            try:
                await self.engine.api.reset_alert(
                    uid, {"source": "NinjaDesk", "reason": "PSA ticket closed"}
                )
                self.stats.resets_sent += 1
            except Exception as exc:
                log.warning(
                    "Could not reset alert %s in NinjaOne after its ticket closed: %s", uid, exc
                )

    async def sync_once(self) -> None:
        if self.engine is None:
            return
        now = time.time()
        mode = "full" if now - self._last_full >= self.config.full_sync_interval else "auto"
        try:
            result = await self.engine.sync(mode)
        except Exception as exc:
            # Alga shows the integration's state: a NinjaOne outage must read as one there.
            if self.writes_psa:
                await asyncio.to_thread(
                    record_sync_failure,
                    self.psa,
                    self.config.tenant,
                    self.config.integration_id,
                    f"The NinjaOne sync failed: {exc}",
                )
            raise
        if result.kind == "full":
            self._last_full = now
        self.stats.syncs += 1
        if not self.writes_psa:
            self._on_changed()
            return
        await self.feed_synced_activities()
        if self.config.psa_push:
            await self.push_assets(full=result.kind == "full")
        self._on_changed()

    async def feed_synced_activities(self) -> IngestResult | None:
        """CONDITION activities the incremental sync fetched (webhooks lost before the relay, or
        no relay at all) go through the pipeline too: replays of known ones change nothing."""
        mark = self._activity_mark
        sql, params = new_conditions_sql(mark if mark is not None else 2**62)
        rows = await asyncio.to_thread(self.cache.rows, sql, **params)
        if not rows:
            return None
        self._activity_mark = max(r["id"] for r in rows)
        # The cache holds them as the parser made them: rebuild those objects, not JSON.
        return await self._ingest([Activity(**r) for r in rows], "activities")

    async def push_assets(self, *, full: bool, device_ids: list[int] | None = None) -> None:
        """The cache into Alga as assets: the whole fleet, or just `device_ids` (a webhook
        changed them and they were fetched again just now)."""
        if not self.writes_psa:
            return
        snapshots = await asyncio.to_thread(snapshots_from_cache, self.cache, device_ids)
        if full:
            await asyncio.to_thread(self.record_organizations)
        try:
            await asyncio.to_thread(
                push_snapshots,
                self.psa,
                self.config.tenant,
                self.config.integration_id,
                snapshots,
                full=full,
            )
            self.stats.pushes += 1
        except SyncInProgress as exc:  # the running push or the next one carries them
            log.info("Skipped the PSA push: %s", exc)

    def start_alga_events(self) -> str | None:
        """Attach the publisher of Alga's event bus and send what a crash left queued.

        Returns the sentence `psa check` shows when Alga will not hear of NinjaDesk's tickets
        (no Alga Redis configured, or it is unreachable: the events stay queued)."""
        if not self.writes_psa:
            return None
        with self.psa.tenant_session(self.config.tenant, readonly=True) as s:
            settings = load_settings(s, self.config.integration_id)
        problem = alga_events.start(self.psa, self.config.tenant, settings)
        if problem:
            log.warning("%s", problem)
        return problem

    async def _push_refreshed_devices(self, device_ids: list[int]) -> None:
        if self.config.psa_push:
            await self.push_assets(full=False, device_ids=device_ids)

    def record_organizations(self) -> OrgChanges:
        """Tell the PSA which NinjaOne orgs exist now, so the mapping page can flag new and
        vanished ones (a full sync is the only time we know the complete list)."""
        orgs = organizations(self.cache)
        with self.psa.tenant_session(self.config.tenant, self.pipeline.user_id) as s:
            changes = record_seen_organizations(s, self.config.integration_id, orgs)
        if changes.appeared or changes.vanished:
            log.info(
                "NinjaOne organizations: %d new, %d gone since the last full sync.",
                len(changes.appeared),
                len(changes.vanished),
            )
        return changes

    # -- lifecycle -------------------------------------------------------------------------

    async def run(self) -> None:
        cfg = self.config
        await asyncio.to_thread(self.start_alga_events)
        # Activities already in the cache are history; only newer ones feed the pipeline.
        self._activity_mark = await asyncio.to_thread(self.cache.scalar, LAST_ACTIVITY_ID_SQL)
        if self.engine is not None:
            self.scheduler.every(
                "alert-poll",
                cfg.alert_poll_interval,
                self.poll_alerts,
                first_delay=cfg.first_poll_delay,
            )
            self.scheduler.every(
                "sync", cfg.sync_interval, self.sync_once, first_delay=cfg.first_sync_delay
            )
        tasks = [asyncio.create_task(self.scheduler.run(), name="agent-scheduler")]
        if cfg.relay_url and cfg.relay_token:
            cursor = FileCursorStore(cfg.cursor_file or Path("relay-cursor.json"))
            self._subscriber = RelaySubscriber(
                cfg.relay_url,
                cfg.relay_token,
                cursor,
                self._on_relay_event,
                on_gap=self._on_gap,
                on_state=self._on_state,
                on_batch=self._on_relay_batch,
            )
            tasks.append(asyncio.create_task(self._subscriber.run(), name="agent-relay"))
        self.ready.set()
        log.info(
            "NinjaDesk agent running (relay: %s, %s).",
            cfg.relay_url or "off",
            "companion: no asset push, no alert tickets" if cfg.companion else "primary",
        )
        try:
            await self._stopping.wait()
        finally:
            self.scheduler.stop()
            if self._subscriber is not None:
                await self._subscriber.stop()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=10)
            await self.live.aclose()
            log.info("NinjaDesk agent stopped.")

    def stop(self) -> None:
        self._stopping.set()

    async def run_once(self) -> AgentStats:
        """One round and back: a sync (full the first time), the asset push after it and an
        alert poll; the relay is not started. Failures raise (the caller exits non-zero)."""
        if self.engine is None:
            raise RuntimeError("run_once needs a NinjaOne connection (a sync engine).")
        await asyncio.to_thread(self.start_alga_events)
        self._activity_mark = await asyncio.to_thread(self.cache.scalar, LAST_ACTIVITY_ID_SQL)
        # Incremental when the cache allows it (the engine falls back to full when it must):
        # `--once` from cron should not cost a full sync every time.
        self._last_full = time.time()
        try:
            await self.sync_once()
            await self.poll_alerts()
        finally:
            await self.live.aclose()
        return self.stats
