"""The sync service: picks full or incremental, records every run, one run at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AbstractAsyncContextManager

from ninja_desk.cache import store as cache_store
from ninja_desk.cache.store import LocalCache
from ninja_desk.cache.sync_lock import WAITING_MESSAGE, sync_lock
from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.sync.full_sync import FullSync
from ninja_desk.sync.incremental_sync import IncrementalSync, NeedsFullSync
from ninja_desk.sync.progress import ProgressCallback, SyncProgress, ignore_progress
from ninja_desk.sync.results import SyncResult

log = logging.getLogger(__name__)

# What sync_runs keeps of a SyncResult.
_RECORDED = ("devices", "organizations", "software_rows", "api_calls", "api_calls_by_endpoint",
             "skipped_records")  # fmt: skip


class SyncEngine:
    def __init__(self, api: NinjaOneApi, cache: LocalCache) -> None:
        self.api = api
        self.cache = cache
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._lock.locked()

    async def sync(
        self, mode: str = "auto", progress: ProgressCallback = ignore_progress
    ) -> SyncResult:
        """mode: "full", "incremental" (falls back to full when it must) or "auto"."""
        if mode not in ("auto", "full", "incremental"):
            raise ValueError(f"unknown sync mode {mode!r}")
        async with self._lock, self._data_dir_lock(progress):
            fell_back: str | None = None
            if mode != "full":
                try:
                    return await self._run("incremental", progress)
                except NeedsFullSync as reason:
                    fell_back = str(reason)
                    log.info("Running a full sync instead of an incremental one: %s.", reason)
                    progress(SyncProgress("fallback", 0, f"Full sync needed: {reason}"))
            result = await self._run("full", progress)
            result.fell_back = fell_back
            return result

    async def sync_devices(
        self, device_ids: list[int], progress: ProgressCallback = ignore_progress
    ) -> SyncResult:
        """Fetch just these devices again (bulk action "sync selected", webhook follow-ups)."""
        async with self._lock, self._data_dir_lock(progress):
            return await self._run("devices", progress, device_ids=device_ids)

    def _data_dir_lock(self, progress: ProgressCallback) -> AbstractAsyncContextManager[None]:
        """Another process syncing this data folder: wait for it, saying so (no lock error)."""
        return sync_lock(
            self.cache.path, on_wait=lambda: progress(SyncProgress("waiting", 0, WAITING_MESSAGE))
        )

    async def _run(
        self, kind: str, progress: ProgressCallback, device_ids: list[int] | None = None
    ) -> SyncResult:
        client = self.api.client
        calls_before = client.calls.copy()
        started = time.perf_counter()
        run_id = await self.cache.write(cache_store.start_run, kind)
        job = (
            FullSync(self.api, self.cache, progress)
            if kind == "full"
            else IncrementalSync(self.api, self.cache, progress)
        )
        status, error = "failed", None
        try:
            if device_ids is not None and isinstance(job, IncrementalSync):
                await job.refresh_devices(device_ids, run_id)
            else:
                await job.run(run_id)
            status = "ok"
        except NeedsFullSync as exc:
            status, error = "superseded", str(exc)
            raise
        except asyncio.CancelledError:
            status, error = "cancelled", "cancelled by the user"
            raise
        except Exception as exc:
            error = str(exc) or type(exc).__name__
            raise
        finally:
            calls = client.calls - calls_before
            result = self._result(kind, run_id, job, calls, time.perf_counter() - started)
            recorded = {name: getattr(result, name) for name in _RECORDED}
            await asyncio.shield(
                self.cache.write(
                    cache_store.finish_run, run_id, status=status, error=error, **recorded
                )
            )
        progress(SyncProgress("done", result.devices, f"{kind.capitalize()} sync finished"))
        return result

    @staticmethod
    def _result(
        kind: str, run_id: int, job: FullSync | IncrementalSync, calls, seconds: float
    ) -> SyncResult:
        by_endpoint = dict(sorted(calls.items()))
        return SyncResult(
            kind=kind,
            run_id=run_id,
            devices=job.devices,
            organizations=len(job.organizations) if isinstance(job, FullSync) else 0,
            software_rows=job.software_rows if isinstance(job, FullSync) else 0,
            tombstoned=job.tombstoned,
            activities=len(job.activities) if isinstance(job, IncrementalSync) else 0,
            skipped_records=job.skips.count,
            api_calls=sum(by_endpoint.values()),
            api_calls_by_endpoint=by_endpoint,
            seconds=round(seconds, 3),
        )
