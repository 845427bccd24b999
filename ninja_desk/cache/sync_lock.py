"""One sync at a time per data folder, across processes (desktop, agent, `ninja-desk sync`).

SQLite lets one writer in at a time, and a full sync holds its write transaction for the whole
run: a second sync on the same cache used to wait in SQLite's busy handler and die after ten
seconds with "database is locked". Taking an OS file lock next to the cache *before* the first
write lets the second sync wait visibly (the caller is told once, to show progress) or give up
at once with a sentence. The OS drops the lock when a process dies, so a crash never leaves it
stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from filelock import FileLock, Timeout

from ninja_desk.cache.database import unavailable
from ninja_desk.cache.errors import CacheBusy
from ninja_desk.paths import make_private

WAITING_MESSAGE = "Waiting for the other sync of this data folder to finish"
_POLL_SECONDS = 0.2


class SyncAlreadyRunning(CacheBusy):
    """Another process is syncing this data folder and the caller chose not to wait (longer)."""


def lock_path(cache_path: Path) -> Path:
    return cache_path.with_name(cache_path.name + ".sync-lock")


@contextlib.asynccontextmanager
async def sync_lock(
    cache_path: Path,
    *,
    on_wait: Callable[[], None] = lambda: None,
    max_wait: float | None = None,
) -> AsyncIterator[None]:
    """Hold the data folder's sync lock; `on_wait()` once if another sync has it.

    `max_wait=0` says so at once (SyncAlreadyRunning); None waits as long as the other runs.
    Never blocks the event loop: the lock is tried without blocking and polled.
    """
    path = lock_path(cache_path)
    lock = FileLock(path, mode=0o600, thread_local=False)
    deadline = None if max_wait is None else time.monotonic() + max_wait
    told = False
    while True:
        try:
            lock.acquire(blocking=False)
            break
        except Timeout:  # an OSError too, so first
            if deadline is not None and time.monotonic() >= deadline:
                raise SyncAlreadyRunning(
                    "Another NinjaDesk sync of this data folder is still running; "
                    "try again when it has finished."
                ) from None
            if not told:
                told = True
                on_wait()
            await asyncio.sleep(_POLL_SECONDS)
        except OSError as exc:  # a read-only or full folder: the same sentence as the cache's
            raise unavailable(exc, cache_path) from None  # type: ignore[misc]  # never None
    make_private(path)
    try:
        yield
    finally:
        lock.release()
