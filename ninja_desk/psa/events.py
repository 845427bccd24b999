"""A tiny in-process pub/sub for PSA events (`rmm.device.created`, `rmm.sync.completed`, ...).

Subscribers are plain callables. They run after the transaction that produced the event has
committed, so they never see (or act on) data that was rolled back. The same events are
appended to `ninjadesk_events_outbox` inside that transaction for anything outside this process.
Events for Alga's own bus (`alga_event=True`: TICKET_CREATED, ...) go to the outbox only; the
publisher in alga_events.py sends them to Alga's Redis streams after commit.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

log = logging.getLogger(__name__)

_T = TypeVar("_T")

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
    alga_event: bool = False


Subscriber = Callable[[Event], object]


class EventBus:
    """Subscribe to an exact type (`rmm.sync.completed`), a prefix (`rmm.device.*`) or `*`."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[str, Subscriber]] = []
        self._alga_hooks: list[Callable[[set[uuid.UUID]], object]] = []
        self._lock = threading.Lock()

    def on_alga_events(self, hook: Callable[[set[uuid.UUID]], object]) -> Callable[[], None]:
        """Call `hook(tenants)` after each commit that queued Alga bus events (the publisher
        drains the outbox then). Returns a function that detaches it."""
        return self._attach(self._alga_hooks, hook)

    def subscribe(self, pattern: str, subscriber: Subscriber) -> Callable[[], None]:
        """Returns a function that unsubscribes."""
        return self._attach(self._subscribers, (pattern, subscriber))

    def _attach(self, into: list[_T], item: _T) -> Callable[[], None]:
        """Add `item` under the lock; the returned function removes it (once, idempotently)."""
        with self._lock:
            into.append(item)

        def detach() -> None:
            with self._lock:
                if item in into:
                    into.remove(item)

        return detach

    def dispatch(self, events: Iterable[Event]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
            hooks = list(self._alga_hooks)
        events = list(events)
        for event in events:
            if event.alga_event:
                continue  # Alga's bus, not ours: published from the outbox
            for pattern, subscriber in subscribers:
                if _matches(pattern, event.type):
                    try:
                        subscriber(event)
                    except Exception:
                        # One broken subscriber must not stop the others or fail the sync.
                        log.exception("PSA event subscriber failed on %s", event.type)
        alga_tenants = {e.tenant for e in events if e.alga_event}
        if alga_tenants:
            for hook in hooks:
                try:
                    hook(alga_tenants)
                except Exception:
                    log.exception("Publishing Alga events after commit failed")


def _matches(pattern: str, event_type: str) -> bool:
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])
