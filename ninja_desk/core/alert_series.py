"""One alert series (NinjaOne condition) and how events move it. Pure: no I/O.

Every source of alert news becomes an `AlertEvent` keyed by the series uid (a webhook's
`seriesUid` == `/v2/alerts` `uid`), built from the `Activity` or `Alert` the NinjaOne parsers
made (this module never reads NinjaOne JSON), and `apply_event` folds one event into a
`SeriesState`.
Activity ids increase per account, so the state keeps the newest id it has applied: an older
or repeated activity can still fill in facts the series lacks (severity, device, message) but
never changes its status. That is what makes replays no-ops and lets a RESET that overtook its
TRIGGERED win.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ninja_desk.core.activities import Activity, Alert
from ninja_desk.core.devices import Device
from ninja_desk.core.severity import SEVERITIES

# Event kinds. POLL = the series is listed by /v2/alerts (active now).
TRIGGERED = "TRIGGERED"
RESET = "RESET"
ACKNOWLEDGED = "ACKNOWLEDGED"
POLL = "POLL"
VANISHED = "VANISHED"  # /v2/alerts no longer lists an open series (reconciliation)
USER_ACK = "USER_ACK"  # a technician acknowledged it in NinjaDesk
USER_RESOLVE = "USER_RESOLVE"  # a technician resolved it in NinjaDesk
OTHER = "OTHER"

ACTIVE = "active"
ACKED = "acknowledged"
RESOLVED = "resolved"
OPEN_STATUSES = (ACTIVE, ACKED)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    series_uid: str
    kind: str
    activity_id: int | None
    event_time: float | None
    device_id: int | None = None
    # None = NinjaOne did not say (absent field); "NONE" = it said NONE.
    severity: str | None = None
    priority: str | None = None
    activity_type: str | None = None
    status_code: str | None = None
    source_type: str | None = None
    condition_name: str | None = None
    message: str | None = None
    organization_id: int | None = None
    node_class: str | None = None
    device_name: str | None = None
    rmm_user_id: int | None = None
    source: str = "webhook"  # webhook | poll | activities | user
    # What the event was read from (kept with the series as its last known source).
    origin: Activity | Alert | None = field(default=None, compare=False, hash=False)

    @property
    def order_key(self) -> tuple[int, float]:
        return (self.activity_id or 0, self.event_time or 0.0)


def _severity(value: str | None) -> str | None:
    """Upper case; a value NinjaOne may add later ranks as NONE (kept, never escalated)."""
    if not value:
        return None
    upper = value.upper()
    return upper if upper in SEVERITIES else "NONE"


def _kind_of(status_code: str | None) -> str:
    code = (status_code or "").upper()
    if code in (TRIGGERED, RESET, ACKNOWLEDGED):
        return code
    return OTHER


def _device_facts(device: Device | None) -> dict[str, Any]:
    if device is None:
        return {}
    return {
        "organization_id": device.organization_id,
        "node_class": device.node_class if device.node_class != "UNKNOWN" else None,
        "device_name": device.display_name or device.system_name,
    }


def event_from_activity(activity: Activity, source: str = "webhook") -> AlertEvent | None:
    """A parsed webhook delivery or `/v2/activities` row; None unless it belongs to a series."""
    if activity.series_uid is None:
        return None
    if not activity.activity_type.upper().startswith("CONDITION"):
        return None  # job and script series (ACTIONSET, SCRIPTING, ...) are not alerts
    return AlertEvent(
        series_uid=activity.series_uid,
        kind=_kind_of(activity.status_code),
        activity_id=activity.id,
        event_time=activity.activity_time,
        device_id=activity.device_id,
        severity=_severity(activity.severity),
        priority=activity.priority,
        activity_type=activity.activity_type,
        status_code=activity.status_code,
        source_type=activity.source_type or activity.message_code,
        # sourceName on activities is often a placeholder ("_average_"): not a condition name.
        condition_name=activity.condition_name,
        message=activity.message or None,
        rmm_user_id=activity.user_id,
        source=source,
        origin=activity,
        **_device_facts(activity.device),
    )


def event_from_alert(alert: Alert, observed_at: float) -> AlertEvent:
    """A parsed `/v2/alerts` row: the series is active as of `observed_at`."""
    return AlertEvent(
        series_uid=alert.uid,
        kind=POLL,
        activity_id=None,
        event_time=alert.create_time if alert.create_time is not None else observed_at,
        device_id=alert.device_id,
        severity=_severity(alert.severity),
        priority=alert.priority,
        activity_type="CONDITION",
        status_code=TRIGGERED,
        source_type=alert.source_type,
        condition_name=alert.condition_name or alert.source_name or None,
        message=alert.message or None,
        source="poll",
        origin=alert,
        **_device_facts(alert.device),
    )


@dataclass(frozen=True, slots=True)
class SeriesState:
    series_uid: str
    status: str = ACTIVE
    exists: bool = False
    last_activity_id: int = 0
    last_event_time: float = 0.0
    severity: str | None = None
    # True once the severity came from NinjaOne (not defaulted); a TRIGGERED may then fill it.
    severity_known: bool = False
    priority: str | None = None
    device_id: int | None = None
    message: str | None = None
    activity_type: str | None = None
    status_code: str | None = None
    source_type: str | None = None
    condition_name: str | None = None
    organization_id: int | None = None
    node_class: str | None = None
    device_name: str | None = None
    triggered_at: float | None = None
    acknowledged_at: float | None = None
    resolved_at: float | None = None
    resolved_reason: str | None = None
    repeat_count: int = 0
    # Set when the last status change came from an activity (not a poll): polls never undo it.
    status_from_activity: bool = False

    @property
    def is_open(self) -> bool:
        return self.exists and self.status in OPEN_STATUSES

    @property
    def seen_trigger(self) -> bool:
        """A RESET alone says too little to decide on a ticket; wait for the TRIGGERED."""
        return self.triggered_at is not None


@dataclass(frozen=True, slots=True)
class Transition:
    """What one event did to a series (the pipeline turns these into tickets and comments)."""

    before: SeriesState
    after: SeriesState
    opened: bool = False  # became active from nothing or from resolved
    repeated: bool = False  # triggered again while open
    resolved: bool = False
    acknowledged: bool = False
    stale: bool = False  # older than what the series already applied; status untouched

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _fill(state: SeriesState, ev: AlertEvent) -> SeriesState:
    """Facts the series lacks, from any event of it (even a stale one)."""
    updates: dict[str, Any] = {}
    for name in (
        "device_id",
        "message",
        "source_type",
        "condition_name",
        "organization_id",
        "node_class",
        "device_name",
        "priority",
    ):
        if getattr(state, name) is None and getattr(ev, name) is not None:
            updates[name] = getattr(ev, name)
    # The TRIGGERED activity (or the alert row) is the authority on a series' severity; any
    # other event only fills it in while it is unknown.
    authority = ev.kind in (TRIGGERED, POLL) or not state.severity_known
    news = state.severity != ev.severity or not state.severity_known
    if ev.severity is not None and authority and news:
        updates["severity"] = ev.severity
        updates["severity_known"] = True
    if state.activity_type is None and ev.activity_type is not None:
        updates["activity_type"] = ev.activity_type
    if ev.kind in (TRIGGERED, POLL) and state.triggered_at is None:
        # Even a stale TRIGGERED (overtaken by its RESET) tells when the condition began.
        updates["triggered_at"] = ev.event_time
    return replace(state, **updates) if updates else state


def apply_event(state: SeriesState, ev: AlertEvent) -> Transition:
    before = state
    state = _fill(state, ev)
    if ev.kind == POLL:
        return _apply_poll(before, state, ev)
    if ev.kind == VANISHED:
        return vanish(state, ev.event_time or 0.0)
    if ev.kind == USER_ACK:
        if state.exists and state.status == ACTIVE:
            after = replace(state, status=ACKED, acknowledged_at=ev.event_time)
            return Transition(before, after, acknowledged=True)
        return Transition(before, state, stale=True)
    if ev.kind == USER_RESOLVE:
        if state.is_open:
            after = replace(
                state,
                status=RESOLVED,
                resolved_at=ev.event_time,
                resolved_reason=ev.message or "resolved in NinjaDesk",
                status_from_activity=False,
            )
            return Transition(before, after, resolved=True)
        return Transition(before, state, stale=True)
    if ev.kind == OTHER or ev.activity_id is None:
        return Transition(before, replace(state, exists=True), stale=False)
    if state.exists and ev.activity_id <= state.last_activity_id:
        return Transition(before, state, stale=True)
    state = replace(
        state,
        exists=True,
        last_activity_id=ev.activity_id,
        last_event_time=max(state.last_event_time, ev.event_time or 0.0),
        status_code=ev.status_code or state.status_code,
        activity_type=ev.activity_type or state.activity_type,
    )
    if ev.message and ev.kind == TRIGGERED:
        state = replace(state, message=ev.message)
    was_open = before.exists and before.status in OPEN_STATUSES
    if ev.kind == TRIGGERED:
        if was_open:
            return Transition(
                before, replace(state, repeat_count=state.repeat_count + 1), repeated=True
            )
        return Transition(before, _reopened(state, ev.event_time, by_activity=True), opened=True)
    if ev.kind == RESET:
        if before.exists and before.status == RESOLVED:
            # Already resolved (by an earlier RESET, a technician or reconciliation): keep who
            # and why; only note that NinjaOne has now reset it too.
            return Transition(before, replace(state, status_from_activity=True))
        state = replace(
            state,
            status=RESOLVED,
            resolved_at=ev.event_time,
            resolved_reason="reset in NinjaOne",
            status_from_activity=True,
        )
        return Transition(before, state, resolved=was_open)
    # ACKNOWLEDGED
    if state.status == ACTIVE and was_open:
        state = replace(state, status=ACKED, acknowledged_at=ev.event_time)
        return Transition(before, state, acknowledged=True)
    if not before.exists:
        # An acknowledgement of a series we never saw: it is open and acknowledged.
        state = replace(
            state, status=ACKED, acknowledged_at=ev.event_time, triggered_at=ev.event_time
        )
        return Transition(before, state, opened=True, acknowledged=True)
    return Transition(before, state)


def _apply_poll(before: SeriesState, state: SeriesState, ev: AlertEvent) -> Transition:
    if not before.exists:
        state = replace(
            state,
            exists=True,
            status=ACTIVE,
            triggered_at=ev.event_time,
            last_event_time=ev.event_time or 0.0,
        )
        return Transition(before, state, opened=True)
    if before.status != RESOLVED:
        return Transition(before, state)
    # Listed again after being resolved: only a *newer* trigger than the resolution reopens it
    # (a poll that started before a RESET arrived must not undo the RESET).
    if (ev.event_time or 0.0) > (before.resolved_at or 0.0) and not (
        before.status_from_activity and (ev.event_time or 0.0) <= before.last_event_time
    ):
        state = _reopened(state, ev.event_time, by_activity=False)
        state = replace(state, last_event_time=max(before.last_event_time, ev.event_time or 0.0))
        return Transition(before, state, opened=True)
    return Transition(before, state)


def _reopened(state: SeriesState, at: float | None, *, by_activity: bool) -> SeriesState:
    """Active again from `at`: a new occurrence, so the last one's acknowledgement and
    resolution no longer apply."""
    return replace(
        state,
        status=ACTIVE,
        triggered_at=at,
        resolved_at=None,
        resolved_reason=None,
        acknowledged_at=None,
        status_from_activity=by_activity,
    )


def vanish(state: SeriesState, observed_at: float) -> Transition:
    """The series is open but `/v2/alerts` (fetched at `observed_at`) no longer lists it."""
    if not state.is_open or state.last_event_time > observed_at:
        return Transition(state, state, stale=True)
    after = replace(
        state,
        status=RESOLVED,
        resolved_at=observed_at,
        resolved_reason="no longer listed by NinjaOne (/v2/alerts)",
    )
    return Transition(state, after, resolved=True)


def fold(state: SeriesState, events: list[AlertEvent]) -> list[Transition]:
    """Apply events in activity order (a batch may hold a RESET and its TRIGGERED)."""
    out = []
    # Polls and reconciliation carry no activity id: they go after the activities they saw.
    for ev in sorted(events, key=fold_order):
        t = apply_event(state, ev)
        state = t.after
        out.append(t)
    return out


def fold_order(ev: AlertEvent) -> tuple[bool, tuple[int, float]]:
    return (ev.activity_id is None, ev.order_key)


def condition_key(state: SeriesState) -> str:
    """What makes two alerts 'the same condition' for storm grouping."""
    return (state.source_type or state.condition_name or state.message or "?")[:200]
