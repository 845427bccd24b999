"""The relay's memory budget: bytes of event payload that replies may hold at once.

Every page a stream or batch request reads (from the database or the in-memory tail) first
reserves its bytes here; the reservation is released once the page has been handed to the
socket and drained. When the budget is spent, further readers wait their turn (first come,
first served) instead of reading, so 500 streams replaying 1 MiB events cost the budget, not
500 pages. A single page is bounded by `page_bytes` (the per-subscriber budget).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ByteBudget:
    def __init__(self, total: int) -> None:
        self.total = max(1, total)
        self.free = self.total
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    @property
    def in_use(self) -> int:
        return self.total - self.free

    async def _acquire(self, n: int) -> int:
        n = max(0, min(n, self.total))
        if not self._waiters and self.free >= n:
            self.free -= n
            return n
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (n, future)
        self._waiters.append(entry)
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                # Granted just as we were cancelled: hand the bytes back.
                self.release(n)
            else:
                self._waiters.remove(entry)
                self._wake()
            raise
        return n

    def release(self, n: int) -> None:
        self.free = min(self.total, self.free + n)
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.free:
            n, future = self._waiters.popleft()
            if future.done():
                continue
            self.free -= n
            future.set_result(None)

    @asynccontextmanager
    async def reserve(self, n: int) -> AsyncIterator[Reservation]:
        held = await self._acquire(n)
        reservation = Reservation(self, held)
        try:
            yield reservation
        finally:
            self.release(reservation.held)
            reservation.held = 0


class Reservation:
    __slots__ = ("_budget", "held")

    def __init__(self, budget: ByteBudget, held: int) -> None:
        self._budget = budget
        self.held = held

    def shrink(self, to: int) -> None:
        """Keep only `to` bytes (the page turned out smaller than reserved)."""
        if to < self.held:
            self._budget.release(self.held - to)
            self.held = max(0, to)
