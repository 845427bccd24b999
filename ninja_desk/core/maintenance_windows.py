"""Maintenance windows: while one is open for a client or a device, alerts make no tickets.

Two kinds: `once` (from `starts_at` to `ends_at`, epoch seconds) and `weekly` (on the given
weekdays, 0 = Monday, from `start_time` "HH:MM" for `duration_minutes`, in `timezone`). A weekly
window may run past midnight; it belongs to the weekday it starts on. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    window_id: str
    name: str
    kind: str  # once | weekly
    client_ids: frozenset[str] = frozenset()  # empty + no devices = every client
    device_ids: frozenset[int] = frozenset()
    starts_at: float | None = None
    ends_at: float | None = None
    weekdays: tuple[int, ...] = ()
    start_time: str = "00:00"
    duration_minutes: int = 60
    timezone: str = "UTC"
    enabled: bool = True
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def applies_to(self, client_id: str | None, device_id: int | None) -> bool:
        if not self.client_ids and not self.device_ids:
            return True
        if device_id is not None and device_id in self.device_ids:
            return True
        return client_id is not None and client_id in self.client_ids

    def is_open(self, at: float) -> bool:
        if not self.enabled:
            return False
        if self.kind == "once":
            return (self.starts_at or 0) <= at < (self.ends_at or 0)
        if self.kind == "weekly":
            return _weekly_open(self, at)
        return False


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _weekly_open(w: MaintenanceWindow, at: float) -> bool:
    tz = _zone(w.timezone)
    local = datetime.fromtimestamp(at, tz)
    try:
        hh, mm = (int(p) for p in w.start_time.split(":", 1))
    except ValueError:
        return False
    length = timedelta(minutes=max(0, w.duration_minutes))
    # Today's start and yesterday's (a window crossing midnight); longer than a day is odd but
    # allowed, so look back as many days as it lasts.
    for back in range(0, 1 + int(length.total_seconds() // 86400) + 1):
        day = (local - timedelta(days=back)).date()
        if day.weekday() not in w.weekdays:
            continue
        start = datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz)
        if start <= local < start + length:
            return True
    return False


def open_window(
    windows: Iterable[MaintenanceWindow], at: float, client_id: str | None, device_id: int | None
) -> MaintenanceWindow | None:
    """The first window that is open now for this client or device, or None."""
    for w in windows:
        if w.applies_to(client_id, device_id) and w.is_open(at):
            return w
    return None
