"""One alert series (NinjaOne condition) and how events move it. Pure: no I/O.

Every source of alert news becomes an `AlertEvent` keyed by the series uid (a webhook's
`seriesUid` == `/v2/alerts` `uid`), and `apply_event` folds one event into a `SeriesState`.
Activity ids increase per account, so the state keeps the newest id it has applied: an older
or repeated activity can still fill in facts the series lacks (severity, device, message) but
never changes its status. That is what makes replays no-ops and lets a RESET that overtook its
TRIGGERED win.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ninja_desk.core.severity import SEVERITIES
from ninja_desk.core.timestamps import epoch_seconds

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
    source: str = "webhook"  # webhook | poll | activities
    payload: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def order_key(self) -> tuple[int, float]:
        return (self.activity_id or 0, self.event_time or 0.0)


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _severity(value: Any) -> str | None:
    text = _str(value)
    if text is None:
        return None
    upper = text.upper()
    return upper if upper in SEVERITIES else "NONE"


def _kind_of(status_code: str | None) -> str:
    code = (status_code or "").upper()
    if code in (TRIGGERED, RESET, ACKNOWLEDGED):
        return code
    return OTHER


def event_from_activity(raw: dict[str, Any], source: str = "webhook") -> AlertEvent | None:
    """A webhook delivery or a `/v2/activities` row; None unless it belongs to a series."""
    series = _str(raw.get("seriesUid"))
    if series is None:
        return None
    kind_of_activity = _str(raw.get("activityType"))
    if kind_of_activity is not None and not kind_of_activity.upper().startswith("CONDITION"):
        return None  # job and script series (ACTIONSET, SCRIPTING, ...) are not alerts
    device = raw.get("device") if isinstance(raw.get("device"), dict) else None
    refs = (device or {}).get("references") or {}
    org_ref = refs.get("organization") if isinstance(refs, dict) else None
    org_id = _int((device or {}).get("organizationId"))
    if org_id is None and isinstance(org_ref, dict):
        org_id = _int(org_ref.get("id"))
    status_code = _str(raw.get("statusCode"))
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    message_code = ((data or {}).get("message") or {}) if isinstance(data, dict) else {}
    return AlertEvent(
        series_uid=series,
        kind=_kind_of(status_code),
        activity_id=_int(raw.get("id")),
        event_time=epoch_seconds(raw.get("activityTime")),
        device_id=_int(raw.get("deviceId")) or _int((device or {}).get("id")),
        severity=_severity(raw.get("severity")),
        priority=_str(raw.get("priority")),
        activity_type=_str(raw.get("activityType")),
        status_code=status_code,
        source_type=_str(raw.get("sourceType"))
        or (_str(message_code.get("code")) if isinstance(message_code, dict) else None),
        # sourceName on activities is often a placeholder ("_average_"): not a condition name.
        condition_name=_str(raw.get("conditionName")),
        message=_str(raw.get("message")),
        organization_id=org_id,
        node_class=_str((device or {}).get("nodeClass")),
        device_name=_str((device or {}).get("displayName"))
        or _str((device or {}).get("systemName")),
        rmm_user_id=_int(raw.get("userId")),
        source=source,
        payload=raw,
    )


def event_from_alert_row(raw: dict[str, Any], observed_at: float) -> AlertEvent | None:
    """A `/v2/alerts` row: the series is active as of `observed_at`."""
    uid = _str(raw.get("uid"))
    if uid is None:
        return None
    device = raw.get("device") if isinstance(raw.get("device"), dict) else None
    created = epoch_seconds(raw.get("createTime"))
    return AlertEvent(
        series_uid=uid,
        kind=POLL,
        activity_id=None,
        event_time=created if created is not None else observed_at,
        device_id=_int(raw.get("deviceId")),
        severity=_severity(raw.get("severity")),
        priority=_str(raw.get("priority")),
        activity_type="CONDITION",
        status_code=TRIGGERED,
        source_type=_str(raw.get("sourceType")),
        condition_name=_str(raw.get("conditionName")) or _str(raw.get("sourceName")),
        message=_str(raw.get("message")),
        organization_id=_int((device or {}).get("organizationId")),
        node_class=_str((device or {}).get("nodeClass")),
        device_name=_str((device or {}).get("displayName")),
        source="poll",
        payload=raw,
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
        state = replace(
            state,
            status=ACTIVE,
            triggered_at=ev.event_time,
            resolved_at=None,
            resolved_reason=None,
            acknowledged_at=None,
            status_from_activity=True,
        )
        return Transition(before, state, opened=True)
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
        state = replace(
            state,
            status=ACTIVE,
            triggered_at=ev.event_time,
            resolved_at=None,
            resolved_reason=None,
            status_from_activity=False,
            last_event_time=max(before.last_event_time, ev.event_time or 0.0),
        )
        return Transition(before, state, opened=True)
    return Transition(before, state)


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
