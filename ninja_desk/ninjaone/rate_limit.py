"""Client-side throttle shared by every NinjaOne call of one integration.

Two mechanisms: a token bucket that spaces calls out (NinjaOne publishes no limits, so we stay
polite by default), and a shared pause: when NinjaOne says `Retry-After`, *every* caller waits,
not only the one that got the 429, so no request goes out before the server asked.
"""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    def __init__(self, rate_per_second: float = 20.0, burst: int = 20) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("rate_per_second must be > 0 and burst >= 1")
        self._rate = rate_per_second
        self._burst = float(burst)
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause_for(self, seconds: float) -> None:
        """Hold every caller for `seconds` from now (extends, never shortens, a pause)."""
        self._paused_until = max(self._paused_until, time.monotonic() + max(0.0, seconds))

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    async def wait_out_pause(self) -> None:
        # A loop, not an Event: another 429 may push the deadline later while we sleep.
        while (remaining := self._paused_until - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(remaining)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self._rate)
