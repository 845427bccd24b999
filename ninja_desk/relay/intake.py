"""Group commit: one writer thread turns concurrent webhook requests into one transaction.

Each request puts its event on a queue and awaits a future. The writer thread takes everything
that queued up while the previous batch was committing, stores it in one transaction (one
fsync), and then hands the results back to the event loop, which resolves every future. Under
load the batches grow by themselves; idle, a lone request commits at once. The thread blocks
on the disk, so the event loop keeps accepting connections while it syncs.

The thread takes its next batch as soon as a commit returns, without waiting for the event
loop to come round (with a busy loop that wait used to sit between every two commits), and a
batch costs one hand-over each way: no executor work item, concurrent future or asyncio task
in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable

from ninja_desk.relay.store import Appended, Incoming, RelayStore, RelayStoreError, StoredEvent

log = logging.getLogger(__name__)

MAX_BATCH = 512

_Pending = tuple[Incoming, "asyncio.Future[int | None]"]


class IntakeWriter:
    def __init__(
        self, store: RelayStore, on_commit: Callable[[list[StoredEvent], bool], None]
    ) -> None:
        """`on_commit(events, forward)` runs on the loop after each commit that stored events;
        `forward` says whether the commit wrote outbox rows."""
        self._store = store
        self._on_commit = on_commit
        # Thread-safe and unbounded: submit() never waits. None tells the thread to stop.
        self._queue: queue.SimpleQueue[list[_Pending] | None] = queue.SimpleQueue()
        # Requests of the current loop iteration, handed over together at its end: waking
        # the thread is a context switch on the loop's core, once per group, not per request.
        self._gathering: list[_Pending] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        # One thread: the writer's connection stays hot and commits never interleave.
        self._thread: threading.Thread | None = None
        # Commits and webhooks per commit, for /metrics (batch size = items / batches).
        self.batches = 0
        self.items = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="relay-writer", daemon=True)
        self._thread.start()

    async def close(self) -> None:
        """Stop after the batch in progress; requests still queued are cancelled."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(None)
        await asyncio.to_thread(thread.join)
        self._thread = None
        self._gathering, left = [], self._gathering
        while True:
            try:
                group = self._queue.get_nowait()
            except queue.Empty:
                break
            left.extend(group or ())
        for _, future in left:
            future.cancel()

    async def submit(self, item: Incoming) -> int | None:
        """The new seq once committed, or None for a duplicate. Raises RelayStoreError."""
        if self._thread is None:
            raise RelayStoreError("the relay's intake is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int | None] = loop.create_future()
        if not self._gathering:
            loop.call_soon(self._hand_over)
        self._gathering.append((item, future))
        return await future

    def _hand_over(self) -> None:
        gathered, self._gathering = self._gathering, []
        self._queue.put(gathered)

    # -- the writer thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = list(first)
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.extend(more)
            # A request whose client went away before its turn is not stored (reading the
            # flag from this thread is a benign race: a later cancel is handled on the loop).
            live = [(item, fut) for item, fut in batch if not fut.cancelled()]
            if live:
                try:
                    result: Appended | BaseException = self._store.append(
                        [item for item, _ in live]
                    )
                except Exception as exc:
                    log.error("relay could not store a batch of %d events: %s", len(live), exc)
                    result = exc
                self._hand_back(live, result)
            if stop:
                return

    def _hand_back(self, live: list[_Pending], result: Appended | BaseException) -> None:
        assert self._loop is not None
        # A closed loop (RuntimeError) has nobody waiting for these answers any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._finish, live, result)

    # -- back on the event loop -----------------------------------------------------------
    def _finish(self, live: list[_Pending], result: Appended | BaseException) -> None:
        if isinstance(result, BaseException):
            for _, fut in live:
                if not fut.done():
                    fut.set_exception(result)
            return
        self.batches += 1
        self.items += len(live)
        for (_, fut), seq in zip(live, result.seqs, strict=True):
            if not fut.done():
                fut.set_result(seq)
        committed = [
            StoredEvent(seq, item.endpoint, item.received_at, item.payload)
            for (item, _), seq in zip(live, result.seqs, strict=True)
            if seq is not None
        ]
        if committed:
            self._on_commit(committed, result.forward)
