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
from types import TracebackType


class ByteBudget:
    def __init__(self, total: int) -> None:
        self.total = max(1, total)
        self.free = self.total
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    @property
    def in_use(self) -> int:
        return self.total - self.free

    def _try_acquire(self, n: int) -> int | None:
        """The bytes held when they are free now and nobody queues before us, else None."""
        n = max(0, min(n, self.total))
        if not self._waiters and self.free >= n:
            self.free -= n
            return n
        return None

    async def _acquire(self, n: int) -> int:
        held = self._try_acquire(n)
        if held is not None:
            return held
        n = max(0, min(n, self.total))
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

    def reserve(self, n: int) -> Reserving:
        """`async with budget.reserve(n) as reservation:` holds n bytes for the block."""
        return Reserving(self, n)


class Reserving:
    """The context manager of ByteBudget.reserve: a plain class rather than an
    @asynccontextmanager generator, since every live write of every stream goes through it."""

    __slots__ = ("_budget", "_n", "_reservation")

    def __init__(self, budget: ByteBudget, n: int) -> None:
        self._budget = budget
        self._n = n
        self._reservation: Reservation | None = None

    async def __aenter__(self) -> Reservation:
        held = self._budget._try_acquire(self._n)
        if held is None:
            held = await self._budget._acquire(self._n)
        self._reservation = Reservation(self._budget, held)
        return self._reservation

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        reservation = self._reservation
        if reservation is not None:
            self._budget.release(reservation.held)
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
