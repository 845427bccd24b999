"""Core events -> Qt signals, and refreshes coalesced on a short timer.

The sync engine, the relay subscriber and the alert pipeline know nothing of Qt; they call the
plain callbacks here (`sync_progress`, `relay_state`, `cache_changed`). The bridge re-emits them
as signals so every widget update runs on the GUI thread, and it folds bursts of "the cache
changed" into one `refresh` signal per interval: a webhook storm repaints the views once, not
once per event.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ninja_desk.sync.progress import SyncProgress

# Topics a view may care about; a refresh carries the set that changed since the last one.
DEVICES = "devices"
ALERTS = "alerts"
TICKETS = "tickets"
SYNC = "sync"
ALL_TOPICS = frozenset({DEVICES, ALERTS, TICKETS, SYNC})


class UiBridge(QObject):
    refresh = Signal(object)  # frozenset[str] of topics changed since the last refresh
    sync_progress_changed = Signal(str, int, str)  # stage, done, message
    relay_state_changed = Signal(str)
    connection_state_changed = Signal(str)

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 250) -> None:
        super().__init__(parent)
        self._dirty: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self.relay_state = "not configured"
        self.connection_state = "offline"

    # Plain callbacks for core code (safe to pass where a Callable is expected).

    def cache_changed(self, *topics: str) -> None:
        self._dirty.update(topics or ALL_TOPICS)
        if not self._timer.isActive():
            self._timer.start()

    def sync_progress(self, progress: SyncProgress) -> None:
        self.sync_progress_changed.emit(progress.stage, progress.done, progress.message)
        if progress.stage == "done":
            self.cache_changed()

    def set_relay_state(self, state: str) -> None:
        self.relay_state = state
        self.relay_state_changed.emit(state)

    def set_connection_state(self, state: str) -> None:
        self.connection_state = state
        self.connection_state_changed.emit(state)

    def flush(self) -> None:
        """Emit the pending refresh now (also what the timer calls)."""
        self._timer.stop()
        if not self._dirty:
            return
        topics, self._dirty = frozenset(self._dirty), set()
        self.refresh.emit(topics)

    @property
    def pending(self) -> frozenset[str]:
        return frozenset(self._dirty)
