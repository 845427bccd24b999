"""The desktop's syncs: one at a time, cancellable, each ending in one outcome to show.

No Qt here. The window asks `start()` (F5, the Sync button, the tray, "sync these devices"),
`cancel()`, and reads `running`; it is told through two plain callbacks — `on_started` and
`on_finished(outcome)` — and passes the engine's own progress callback through. The
controller runs the sync on the running asyncio loop (qasync in the app), then the in-process
agent's follow-up (assets to the PSA, new conditions to the alert pipeline) after a fleet sync.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ninja_desk.sync.engine import SyncEngine
from ninja_desk.sync.progress import ProgressCallback, ignore_progress
from ninja_desk.sync.results import SyncResult
from ninja_desk.sync.services import BackgroundServices

log = logging.getLogger(__name__)

NOT_CONNECTED = (
    "Not connected to NinjaOne: you are looking at the local cache. "
    "Connect NinjaOne in Settings to sync."
)
ALREADY_RUNNING = "A sync is already running."
NO_LOOP = "Sync needs the app's event loop; start NinjaDesk with run_app()."
CANCELLED = "Sync cancelled; the cache keeps what the last sync saved."


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """How a sync ended, in the words the window shows."""

    message: str  # for the status bar, always
    problem: str | None = None  # for the notice banner: something the user should read
    result: SyncResult | None = None
    cancelled: bool = False


class SyncRefused(Exception):
    """The sync did not start; the message says why (one sentence)."""


class SyncController:
    def __init__(
        self,
        engine: Callable[[], SyncEngine | None],
        background: Callable[[], BackgroundServices | None],
        *,
        progress: ProgressCallback = ignore_progress,
        on_started: Callable[[], None] = lambda: None,
        on_finished: Callable[[SyncOutcome], None] = lambda _outcome: None,
    ) -> None:
        """`engine` and `background` are read at each start: NinjaOne may be connected, and
        the agent started, after the window was built."""
        self._engine = engine
        self._background = background
        self.progress = progress
        self.on_started = on_started
        self.on_finished = on_finished
        self.task: asyncio.Task[SyncOutcome] | None = None
        self.finished_count = 0
        self.last_outcome: SyncOutcome | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self, device_ids: list[int] | None = None) -> asyncio.Task[SyncOutcome]:
        """Start a sync (of `device_ids` only, when given); raises SyncRefused with the reason
        when it cannot start (one already running included: syncs never overlap)."""
        if self.running:
            raise SyncRefused(ALREADY_RUNNING)
        engine = self._engine()
        if engine is None:
            raise SyncRefused(NOT_CONNECTED)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise SyncRefused(NO_LOOP) from None
        self.task = asyncio.ensure_future(self._run(engine, list(device_ids or [])))
        return self.task

    def cancel(self) -> None:
        if self.running and self.task is not None:
            self.task.cancel()

    async def _run(self, engine: SyncEngine, device_ids: list[int]) -> SyncOutcome:
        self.on_started()
        outcome = SyncOutcome(CANCELLED, cancelled=True)
        try:
            outcome = await self._sync(engine, device_ids)
        except asyncio.CancelledError:
            outcome = SyncOutcome(CANCELLED, cancelled=True)
        except Exception as exc:
            log.exception("Sync failed")
            text = (
                f"Sync failed: {exc}. The cache still shows the last good sync; press F5 to retry."
            )
            outcome = SyncOutcome(text, problem=text)
        finally:
            self.finished_count += 1
            self.last_outcome = outcome
            self.on_finished(outcome)
        return outcome

    async def _sync(self, engine: SyncEngine, device_ids: list[int]) -> SyncOutcome:
        if device_ids:
            result = await engine.sync_devices(device_ids, progress=self.progress)
        else:
            result = await engine.sync("auto", self.progress)
        # A test engine may answer less than a SyncResult: the words fall back, not the sync.
        kind = str(getattr(result, "kind", "sync"))
        problem = None
        background = self._background()
        if background is not None and not device_ids:
            problem = await self._after_sync(background, kind == "full")
        message = (
            f"{kind.capitalize()} sync finished: {getattr(result, 'devices', 0)} devices"
            f" in {getattr(result, 'seconds', 0.0):.1f} s."
        )
        return SyncOutcome(message, problem=problem, result=result)

    @staticmethod
    async def _after_sync(background: BackgroundServices, full: bool) -> str | None:
        """Assets to the PSA and new conditions to the alert pipeline, after the cache."""
        try:
            await background.after_sync(full)
        except Exception as exc:  # the cache is synced; the PSA catches up on the next run
            log.exception("PSA update after sync failed")
            return f"Synced, but the PSA database was not updated: {exc}. It will retry."
        return None
