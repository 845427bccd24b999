"""Request statistics for `/_sim/stats`: per endpoint, per status, and clients that came back
before a `Retry-After` they had been given elapsed."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

# Clock granularity and scheduling jitter: a retry this close to the deadline is on time.
EARLY_TOLERANCE = 0.05


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.endpoint_statuses: dict[str, Counter[int]] = {}
        self.early_requests = 0
        self.early_by_client: Counter[str] = Counter()
        self.retry_not_before: dict[str, float] = {}
        self.faults: Counter[str] = Counter()
        self.webhooks: Counter[str] = Counter()
        self.webhook_last_error: str | None = None
        # endpoint -> [total seconds, max seconds] spent in the handler (incl. latency faults)
        self.serve_times: dict[str, list[float]] = {}
        self.started = time.time()

    def check_early(self, client: str, now: float) -> bool:
        deadline = self.retry_not_before.get(client)
        if deadline is None:
            return False
        if now + EARLY_TOLERANCE < deadline:
            self.early_requests += 1
            self.early_by_client[client] += 1
            return True
        del self.retry_not_before[client]
        return False

    def note_retry_after(self, client: str, now: float, seconds: float) -> None:
        self.retry_not_before[client] = max(self.retry_not_before.get(client, 0.0), now + seconds)

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
            "endpoints": {ep: {str(k): v for k, v in c.items()}
                          for ep, c in self.endpoint_statuses.items()},
            "serve_ms": {ep: {"total": round(t[0] * 1000, 1), "max": round(t[1] * 1000, 1),
                              "mean": round(t[0] * 1000 / max(self.requests[ep], 1), 2)}
                         for ep, t in self.serve_times.items()},
            "early_requests": self.early_requests,
            "early_by_client": dict(self.early_by_client),
            "faults": dict(self.faults),
            "webhooks": dict(self.webhooks) | {"last_error": self.webhook_last_error},
            "since": self.started,
        }
