"""The live tail: one reader per instance follows the log and fans out to every stream.

Streams never trust a notification's content, only that "something new may exist": the feed
reads the log after its own last seq and keeps recent events in memory. A stream whose cursor
is inside that window is served from memory; an older cursor reads the database (replay) until
it catches up. Because both paths are "everything after my cursor, in seq order", the switch
from replay to live can neither skip nor repeat an event.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass

from ninja_desk.core.relay_protocol import event_head, sse_event_head
from ninja_desk.core.tasks import cancel_and_wait
from ninja_desk.relay.store import PageEvent, RelayStore, StoredEvent

log = logging.getLogger(__name__)

READ_PAGE = 1000
READ_BYTES = 8 * 1024 * 1024
# Entries one after() call looks at when filtering by endpoint (bounds its CPU time).
SCAN = 5000


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """A live event as every stream sends it: the SSE message, encoded once for all streams
    (and in place of the payload text, so the window costs no more than before)."""

    seq: int
    endpoint: str
    frame: bytes


def sse_frame(event: StoredEvent | PageEvent) -> bytes:
    payload = event.payload.encode() if isinstance(event.payload, str) else event.payload
    head = (
        sse_event_head(event.seq) + event_head(event.seq, event.endpoint, event.received_at)
    ).encode()
    return b"".join((head, payload, b"}\n\n"))


class EventFeed:
    def __init__(
        self,
        store: RelayStore,
        *,
        window: int = 20_000,
        window_bytes: int = 64 * 1024 * 1024,
        poll_interval: float | None = None,
    ) -> None:
        self._store = store
        # Bounded by count and by payload bytes: webhooks may be up to 1 MiB each.
        self._window = max(1, window)
        self._window_bytes = window_bytes
        self._bytes = 0
        # Fallback poll: catches other instances' commits if a NOTIFY is ever missed.
        self._poll_interval = poll_interval
        self._seqs: list[int] = []
        self._events: list[FeedEvent] = []
        # Every committed event with seq in (_base, last_seq] is in memory.
        self._base = 0
        self.last_seq = 0
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        bounds = await asyncio.to_thread(self._store.bounds)
        self._base = self.last_seq = bounds.last_seq
        self._task = asyncio.create_task(self._run(), name="relay-feed")

    async def close(self) -> None:
        await cancel_and_wait([self._task])
        self._changed.set()

    def poke(self) -> None:
        """Something may have been committed (locally or by another instance)."""
        self._wake.set()

    def publish(self, events: list[StoredEvent]) -> None:
        """Events this instance just committed.

        With a private store (SQLite) this process is the only writer, so its commits are the
        whole log, in order: append them directly and skip a database read per batch. A shared
        store may hold other instances' events in between, so there we re-read the log.
        """
        if self._store.shared or not events or events[0].seq <= self.last_seq:
            self.poke()
            return
        self._append(events)

    def after(
        self,
        cursor: int,
        limit: int = 1000,
        max_bytes: int | None = None,
        endpoints: Collection[str] | None = None,
    ) -> tuple[list[FeedEvent], int, int] | None:
        """(events, scanned_through, payload bytes) after cursor from memory, or None when the
        cursor predates the window. At most `limit` events and `max_bytes` (but at least one
        event), only `endpoints`' events when given; the cursor may move to scanned_through
        even when nothing matched."""
        if cursor < self._base:
            return None
        start = bisect.bisect_right(self._seqs, cursor)
        end = min(len(self._events), start + max(limit, SCAN if endpoints is not None else 0))
        events: list[FeedEvent] = []
        size = 0
        scanned = max(cursor, self._seqs[end - 1]) if end > start else cursor
        for i in range(start, end):
            event = self._events[i]
            if endpoints is not None and event.endpoint not in endpoints:
                continue
            n = len(event.frame)
            if events and max_bytes is not None and size + n > max_bytes:
                scanned = event.seq - 1
                break
            events.append(event)
            size += n
            if len(events) >= limit:
                scanned = event.seq
                break
        return events, scanned, size

    async def wait_beyond(self, cursor: int, timeout: float) -> bool:
        """Wait until an event newer than cursor is known; False on timeout."""
        changed = self._changed
        if self.last_seq > cursor:
            return True
        try:
            # asyncio.timeout rather than wait_for: one layer less on every live wake-up.
            async with asyncio.timeout(timeout):
                await changed.wait()
        except TimeoutError:
            return self.last_seq > cursor
        return True

    async def _run(self) -> None:
        while True:
            try:
                if self._poll_interval is None:
                    await self._wake.wait()
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval)
                self._wake.clear()
                await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay feed could not read new events (%s); retrying", exc)
                await asyncio.sleep(0.5)
                self._wake.set()

    async def _catch_up(self) -> None:
        while True:
            page = await asyncio.to_thread(
                self._store.read_page, self.last_seq, READ_PAGE, READ_BYTES
            )
            # publish() may have appended some of these while the read ran.
            events = [e for e in page.events if e.seq > self.last_seq]
            if events:
                self._append(events)
            if page.scanned_through >= page.top:
                return

    def _append(self, events: list[StoredEvent] | list[PageEvent]) -> None:
        framed = [FeedEvent(e.seq, e.endpoint, sse_frame(e)) for e in events]
        self._seqs.extend(e.seq for e in framed)
        self._events.extend(framed)
        self._bytes += sum(len(e.frame) for e in framed)
        self.last_seq = framed[-1].seq
        self._trim()
        # Swap before set: waiters of this round wake, later waiters get a fresh event.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _trim(self) -> None:
        # Trim in chunks (a quarter of the window) so the list copy is amortised.
        excess = len(self._seqs) - self._window
        if excess <= self._window // 4 and self._bytes <= self._window_bytes:
            return
        drop = max(excess, 0)
        dropped_bytes = sum(len(e.frame) for e in self._events[:drop])
        target = self._window_bytes * 3 // 4
        while drop < len(self._events) - 1 and self._bytes - dropped_bytes > target:
            dropped_bytes += len(self._events[drop].frame)
            drop += 1
        if drop == 0:
            return
        self._base = self._seqs[drop - 1]
        self._bytes -= dropped_bytes
        del self._seqs[:drop]
        del self._events[:drop]
