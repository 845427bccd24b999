"""Request statistics for `/_sim/stats`: per endpoint, per status, and clients that came back
before a `Retry-After` they had been given elapsed.

Early requests are keyed by client (the token's client_id, else the remote address). A request
counts as early when it arrives more than 50 ms after the 429 was sent (earlier arrivals were
already in flight: concurrent requests cannot have seen the header) and more than 50 ms before
the Retry-After elapses (clock granularity). The first 50 are listed in `early_details`.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

# Clock granularity and scheduling jitter: a retry this close to the deadline is on time.
EARLY_TOLERANCE = 0.05
# A request this soon after a 429 may have left the client before it could read the 429: its
# event loop parses and hands over pages between reads, and on a loaded 2-core box (CI, with
# steal time) that took longer than 50 ms. Later than this, the client should have waited.
IN_FLIGHT_WINDOW = 0.2


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.endpoint_statuses: dict[str, Counter[int]] = {}
        self.early_requests = 0
        self.early_by_client: Counter[str] = Counter()
        # client -> (when the Retry-After was given, when it elapses)
        self.retry_not_before: dict[str, tuple[float, float]] = {}
        self.early_details: list[dict[str, Any]] = []
        self.faults: Counter[str] = Counter()
        self.webhooks: Counter[str] = Counter()
        self.webhook_last_error: str | None = None
        # endpoint -> [total seconds, max seconds] spent in the handler (incl. latency faults)
        self.serve_times: dict[str, list[float]] = {}
        self.started = time.time()

    def check_early(self, client: str, now: float, endpoint: str = "") -> bool:
        window = self.retry_not_before.get(client)
        if window is None:
            return False
        given_at, deadline = window
        if now + EARLY_TOLERANCE >= deadline:
            del self.retry_not_before[client]
            return False
        if now < given_at + IN_FLIGHT_WINDOW:
            # Arrived right behind the 429: already in flight (a concurrent request) when the
            # client got its Retry-After, so it could not have waited.
            return False
        self.early_requests += 1
        self.early_by_client[client] += 1
        if len(self.early_details) < 50:
            self.early_details.append(
                {
                    "client": client,
                    "endpoint": endpoint,
                    "after_429_s": round(now - given_at, 4),
                    "early_by_s": round(deadline - now, 4),
                }
            )
        return True

    def note_retry_after(self, client: str, now: float, seconds: float) -> None:
        previous = self.retry_not_before.get(client)
        if previous is not None and previous[1] >= now + seconds:
            return
        self.retry_not_before[client] = (now, now + seconds)

    def record(self, endpoint: str, status: int, seconds: float = 0.0) -> None:
        self.requests[endpoint] += 1
        self.statuses[status] += 1
        self.endpoint_statuses.setdefault(endpoint, Counter())[status] += 1
        timing = self.serve_times.setdefault(endpoint, [0.0, 0.0])
        timing[0] += seconds
        timing[1] = max(timing[1], seconds)

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "total_requests": sum(self.requests.values()),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "endpoints": {
                ep: {str(k): v for k, v in c.items()} for ep, c in self.endpoint_statuses.items()
            },
            "serve_ms": {
                ep: {
                    "total": round(t[0] * 1000, 1),
                    "max": round(t[1] * 1000, 1),
                    "mean": round(t[0] * 1000 / max(self.requests[ep], 1), 2),
                }
                for ep, t in self.serve_times.items()
            },
            "early_requests": self.early_requests,
            "early_by_client": dict(self.early_by_client),
            "early_details": list(self.early_details),
            "faults": dict(self.faults),
            "webhooks": dict(self.webhooks) | {"last_error": self.webhook_last_error},
            "since": self.started,
        }
