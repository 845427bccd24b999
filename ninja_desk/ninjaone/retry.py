"""The one retry policy for NinjaOne calls, on tenacity.

What is retried and how long to wait:
- 429: NinjaOne's `Retry-After` (seconds or HTTP date) when it sends one, else the backoff; the
  wait is a pause on the shared rate limiter, so every caller holds off, not only this one.
- 5xx and transport errors on idempotent calls: exponential backoff with full jitter, so many
  clients never retry in lockstep.
- 401: the token is refreshed once and the call sent again at once (it costs no attempt).
Everything else is answered, not retried. tenacity gives us the attempt bookkeeping, stop and
jitter rules that four hand-written loops used to repeat, each slightly differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_random_exponential


class Throttled(Exception):
    """NinjaOne answered 429 (internal: the client turns the last one into NinjaOneRateLimited)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__("HTTP 429")
        self.response = response
        self.retry_after = parse_retry_after(response.headers.get("Retry-After"))


class ServerFailed(Exception):
    """NinjaOne answered 5xx to a call that may be sent again (internal)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class Unauthorized(Exception):
    """The token was refused and has just been refreshed: send again at once (internal)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6  # per call, across 429, 5xx and transport errors
    base_delay: float = 0.5
    max_delay: float = 30.0

    def retrying(
        self,
        *,
        idempotent: bool,
        pause_everyone: Callable[[float], None],
        on_retry: Callable[[], None],
    ) -> AsyncRetrying:
        """A tenacity controller for one call (the attempt function raises the internals above).

        `pause_everyone(seconds)` holds every caller of the integration (the 429 wait);
        `on_retry()` is told of each retry that costs an attempt, for accounting.
        """
        backoff = wait_random_exponential(multiplier=self.base_delay, max=self.max_delay)

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, Throttled | Unauthorized):
                return True
            return idempotent and isinstance(exc, ServerFailed | httpx.TransportError)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, Unauthorized):
                return 0.0
            delay = backoff(state)
            if isinstance(exc, Throttled):
                pause_everyone(exc.retry_after if exc.retry_after is not None else delay)
                return 0.0  # the next attempt waits on the limiter's shared pause
            return delay

        def stop(state: RetryCallState) -> bool:
            # The refresh-and-resend after a 401 happens at most once and is not a failure.
            refreshed = int(state.retry_object.statistics.get("refreshed", 0))
            return state.attempt_number >= self.max_attempts + refreshed

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, Unauthorized):
                state.retry_object.statistics["refreshed"] = 1
            else:
                on_retry()

        return AsyncRetrying(
            retry=retry_if_exception(retryable),
            wait=wait,
            stop=stop,
            before_sleep=before_sleep,
            reraise=True,
        )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
