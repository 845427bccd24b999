"""New-critical-alert notices: who shows them (Notifier) and when (CriticalAlertWatcher).

No Qt here. The tray, the in-window banner and the tests' fake all implement `Notifier`.
The watcher decides what deserves a notice: each new critical alert once; a storm (more than
`burst_limit` within `window_s`) folds into one "12 new critical alerts" notice; nothing while
the first sync of the session is catching up or while notifications are paused.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Notice:
    title: str
    message: str
    alert_uid: str | None = None  # None: a summary; clicking it opens the critical alert list
    count: int = 1


class Notifier(Protocol):
    def show(self, notice: Notice) -> None: ...


class FakeNotifier:
    """Records notices (tests)."""

    def __init__(self) -> None:
        self.shown: list[Notice] = []

    def show(self, notice: Notice) -> None:
        self.shown.append(notice)


class CallbackNotifier:
    """Adapts a plain callable (the main window's banner) to `Notifier`."""

    def __init__(self, show: Callable[[Notice], None]) -> None:
        self._show = show

    def show(self, notice: Notice) -> None:
        self._show(notice)


def alert_notice(alert: Mapping[str, Any]) -> Notice:
    device = alert.get("device_name") or f"device {alert.get('device_id')}"
    message = alert.get("message") or alert.get("condition_name") or "Critical condition"
    return Notice(f"Critical alert on {device}", str(message), str(alert["uid"]))


def summary_notice(count: int) -> Notice:
    return Notice(
        f"{count} new critical alerts",
        "Open NinjaDesk to review them.",
        alert_uid=None,
        count=count,
    )


class CriticalAlertWatcher:
    def __init__(
        self,
        *,
        burst_limit: int = 3,
        window_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst_limit = burst_limit
        self.window_s = window_s
        self.clock = clock
        self.known: set[str] = set()
        self.catching_up = True
        self.paused = False
        self._sent: deque[float] = deque()
        self._held: list[Mapping[str, Any]] = []

    def baseline(self, alerts: Iterable[Mapping[str, Any]]) -> None:
        """Mark these as seen without a notice (startup, end of the first sync)."""
        self.known.update(str(a["uid"]) for a in alerts)

    def observe(self, alerts: Iterable[Mapping[str, Any]]) -> list[Notice]:
        """Feed the current unacknowledged critical alerts; returns the notices to show now."""
        new = [a for a in alerts if str(a["uid"]) not in self.known]
        self.known.update(str(a["uid"]) for a in new)
        if not new or self.catching_up or self.paused:
            return []
        now = self.clock()
        while self._sent and now - self._sent[0] >= self.window_s:
            self._sent.popleft()
        if len(new) > self.burst_limit:
            count = len(new) + len(self._held)
            self._held.clear()
            self._sent.append(now)
            return [summary_notice(count)]
        notices: list[Notice] = []
        for alert in new:
            if len(self._sent) < self.burst_limit:
                self._sent.append(now)
                notices.append(alert_notice(alert))
            else:
                self._held.append(alert)
        return notices

    @property
    def holding(self) -> int:
        return len(self._held)

    def flush(self) -> list[Notice]:
        """After the window: one notice for what was held back (call from a timer)."""
        if not self._held:
            return []
        now = self.clock()
        if self._sent and now - self._sent[-1] < self.window_s:
            return []
        held, self._held = self._held, []
        self._sent.append(now)
        if self.paused:
            return []
        return [alert_notice(held[0])] if len(held) == 1 else [summary_notice(len(held))]
