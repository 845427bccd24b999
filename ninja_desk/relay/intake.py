"""Group commit: one writer task turns concurrent webhook requests into one transaction.

Each request puts its event on a queue and awaits a future. The writer takes everything that
queued up while the previous batch was committing, stores it in one transaction (one fsync),
and then resolves every future. Under load the batches grow by themselves; idle, a lone
request commits at once. The blocking store call runs on a dedicated thread so the event
loop keeps accepting connections while the disk syncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ninja_desk.relay.store import Appended, Incoming, RelayStore, StoredEvent

log = logging.getLogger(__name__)

MAX_BATCH = 512


class IntakeWriter:
    def __init__(
        self, store: RelayStore, on_commit: Callable[[list[StoredEvent], bool], None]
    ) -> None:
        """`on_commit(events, forward)` runs on the loop after each commit that stored events;
        `forward` says whether the commit wrote outbox rows."""
        self._store = store
        self._on_commit = on_commit
        self._queue: asyncio.Queue[tuple[Incoming, asyncio.Future[int | None]]] = asyncio.Queue()
        # One thread: the writer's SQLite connection stays hot and commits never interleave.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-writer")
        self._task: asyncio.Task[None] | None = None
        # Commits and webhooks per commit, for /metrics (batch size = items / batches).
        self.batches = 0
        self.items = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="relay-intake-writer")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=True)

    async def submit(self, item: Incoming) -> int | None:
        """The new seq once committed, or None for a duplicate. Raises RelayStoreError."""
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))  # unbounded: never waits
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            live = [(item, fut) for item, fut in batch if not fut.cancelled()]
            if not live:
                continue
            try:
                appended: Appended = await loop.run_in_executor(
                    self._executor, self._store.append, [item for item, _ in live]
                )
            except asyncio.CancelledError:
                for _, fut in live:
                    if not fut.done():
                        fut.cancel()
                raise
            except Exception as exc:
                log.error("relay could not store a batch of %d events: %s", len(live), exc)
                for _, fut in live:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.batches += 1
            self.items += len(live)
            results = appended.seqs
            for (_, fut), seq in zip(live, results, strict=True):
                if not fut.done():
                    fut.set_result(seq)
            committed = [
                StoredEvent(seq, item.endpoint, item.received_at, item.payload)
                for (item, _), seq in zip(live, results, strict=True)
                if seq is not None
            ]
            if committed:
                self._on_commit(committed, appended.forward)
