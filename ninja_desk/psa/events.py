"""A tiny in-process pub/sub for PSA events (`rmm.device.created`, `rmm.sync.completed`, ...).

Subscribers are plain callables. They run after the transaction that produced the event has
committed, so they never see (or act on) data that was rolled back. The same events are
appended to `events_outbox` inside that transaction for anything outside this process.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

DEVICE_CREATED = "rmm.device.created"
DEVICE_UPDATED = "rmm.device.updated"
DEVICE_DELETED = "rmm.device.deleted"
DEVICE_SYNCED = "rmm.device.synced"
SYNC_STARTED = "rmm.sync.started"
SYNC_COMPLETED = "rmm.sync.completed"
SYNC_FAILED = "rmm.sync.failed"


@dataclass(frozen=True, slots=True)
class Event:
    tenant: uuid.UUID
    type: str
    payload: dict[str, Any]
    actor_user_id: uuid.UUID | None = None
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


Subscriber = Callable[[Event], object]


class EventBus:
    """Subscribe to an exact type (`rmm.sync.completed`), a prefix (`rmm.device.*`) or `*`."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[str, Subscriber]] = []
        self._lock = threading.Lock()

    def subscribe(self, pattern: str, subscriber: Subscriber) -> Callable[[], None]:
        """Returns a function that unsubscribes."""
        entry = (pattern, subscriber)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe

    def dispatch(self, events: Iterable[Event]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for event in events:
            for pattern, subscriber in subscribers:
                if _matches(pattern, event.type):
                    try:
                        subscriber(event)
                    except Exception:
                        # One broken subscriber must not stop the others or fail the sync.
                        log.exception("PSA event subscriber failed on %s", event.type)


def _matches(pattern: str, event_type: str) -> bool:
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])
