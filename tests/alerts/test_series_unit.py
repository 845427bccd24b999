"""Pure series logic: every alert payload shape, pairing on the series uid, ordering, replays."""

from __future__ import annotations

import pytest

from ninja_desk.core import alert_series as S
from ninja_desk.core.alert_series import SeriesState, apply_event, fold
from ninja_desk.ninjaone.parsers import parse_activity, parse_alert
from tests.alerts.payloads import load

SERIES = "e6b0b0bd-5753-445d-9e4a-71c08983cbd5"


@pytest.mark.parametrize(
    ("name", "kind", "device", "org", "severity"),
    [
        ("webhook_condition_triggered_expanded.json", S.TRIGGERED, 102, 1, None),
        ("webhook_condition_triggered_plain.json", S.TRIGGERED, 102, None, None),
        ("webhook_condition_reset_expanded.json", S.RESET, 102, 1, None),
        ("alerts/webhook_condition_reset_plain.json", S.RESET, 102, None, None),
        ("webhook_condition_acknowledged.json", S.ACKNOWLEDGED, 101, 1, None),
        ("alerts/webhook_condition_acknowledged_plain.json", S.ACKNOWLEDGED, 101, None, None),
        ("alerts/webhook_condition_triggered_with_severity.json", S.TRIGGERED, 102, 1, "MAJOR"),
    ],
)
def test_every_webhook_shape_becomes_an_event(name, kind, device, org, severity) -> None:
    raw = load(name)
    ev = S.event_from_activity(parse_activity(raw))
    assert ev is not None
    assert ev.series_uid == raw["seriesUid"] and ev.kind == kind
    assert ev.activity_id == raw["id"] and ev.event_time == pytest.approx(raw["activityTime"])
    assert ev.device_id == device and ev.organization_id == org
    assert ev.severity == severity  # absent stays None (unknown), not NONE
    assert ev.message == raw["message"]
    if "device" in raw and raw["device"].get("nodeClass"):
        assert ev.node_class == raw["device"]["nodeClass"]


def test_acknowledged_delivery_names_the_technician() -> None:
    ev = S.event_from_activity(parse_activity(load("webhook_condition_acknowledged.json")))
    assert ev is not None and ev.rmm_user_id == 31


def test_non_series_activities_are_not_alert_events() -> None:
    assert S.event_from_activity(parse_activity(load("webhook_node_created.json"))) is None
    job = next(
        a for a in load("activities_page.json")["activities"] if a["activityType"] == "ACTIONSET"
    )
    job["seriesUid"] = "5f0c7d8e-job-series"  # job series share the field, not the meaning
    assert S.event_from_activity(parse_activity(job)) is None
    reset = next(
        a for a in load("activities_page.json")["activities"] if a["activityType"] == "CONDITION"
    )
    ev = S.event_from_activity(parse_activity(reset), source="activities")
    assert ev is not None and ev.kind == S.RESET and ev.source == "activities"


@pytest.mark.parametrize(
    ("name", "index", "severity", "condition", "org"),
    [
        ("alerts_with_severity.json", 0, "MAJOR", "Unexpected shutdown", None),
        ("alert_without_severity.json", 0, None, None, None),
        ("alerts/alerts_mixed.json", 1, None, None, None),
        ("alerts/alerts_mixed.json", 2, "CRITICAL", "Disk free space", 1),
    ],
)
def test_alert_rows_with_and_without_severity(name, index, severity, condition, org) -> None:
    raw = load(name)[index]
    ev = S.event_from_alert(parse_alert(raw), observed_at=2e9)
    assert ev is not None and ev.kind == S.POLL and ev.activity_id is None
    assert ev.series_uid == raw["uid"]
    assert ev.severity == severity and ev.condition_name == condition
    assert ev.organization_id == org
    assert ev.event_time == pytest.approx(raw["createTime"])
    assert ev.source_type == raw["sourceType"]


def _ev(aid: int, kind: str = S.TRIGGERED, severity: str | None = None, t: float | None = None):
    return S.AlertEvent(
        SERIES,
        kind,
        aid,
        t if t is not None else 1000.0 + aid,
        severity=severity,
        message=f"m{aid}",
    )


def test_reset_before_its_trigger_still_ends_resolved_and_keeps_the_trigger_facts() -> None:
    state = SeriesState(SERIES)
    t1 = apply_event(state, _ev(20, S.RESET))
    assert t1.after.status == S.RESOLVED and not t1.after.seen_trigger
    t2 = apply_event(t1.after, _ev(10, S.TRIGGERED, severity="CRITICAL"))
    assert t2.stale and t2.after.status == S.RESOLVED
    assert t2.after.severity == "CRITICAL" and t2.after.seen_trigger


def test_replays_change_nothing_and_repeats_count() -> None:
    state = SeriesState(SERIES)
    state = apply_event(state, _ev(1)).after
    again = apply_event(state, _ev(1))
    assert again.stale and again.after == state
    rep = apply_event(state, _ev(2))
    assert rep.repeated and rep.after.repeat_count == 1 and rep.after.status == S.ACTIVE


def test_severity_comes_from_the_trigger_not_the_reset() -> None:
    steps = fold(SeriesState(SERIES), [_ev(2, S.RESET, "MINOR"), _ev(1, S.TRIGGERED, "MAJOR")])
    assert steps[-1].after.severity == "MAJOR" and steps[-1].after.status == S.RESOLVED


def test_trigger_after_reset_reopens() -> None:
    steps = fold(SeriesState(SERIES), [_ev(1), _ev(2, S.RESET), _ev(3)])
    assert [t.opened for t in steps] == [True, False, True]
    assert steps[1].resolved and steps[-1].after.status == S.ACTIVE


def test_acknowledge_then_reset() -> None:
    steps = fold(SeriesState(SERIES), [_ev(1), _ev(2, S.ACKNOWLEDGED), _ev(3, S.RESET)])
    assert steps[1].acknowledged and steps[1].after.status == S.ACKED
    assert steps[2].resolved and steps[2].after.status == S.RESOLVED


def test_poll_does_not_undo_a_newer_reset_but_a_newer_trigger_reopens() -> None:
    state = fold(SeriesState(SERIES), [_ev(1, t=100.0), _ev(2, S.RESET, t=200.0)])[-1].after
    stale_poll = S.AlertEvent(SERIES, S.POLL, None, 100.0, source="poll")
    assert apply_event(state, stale_poll).after.status == S.RESOLVED
    fresh_poll = S.AlertEvent(SERIES, S.POLL, None, 300.0, source="poll")
    assert apply_event(state, fresh_poll).opened


def test_vanished_from_alerts_resolves_unless_something_newer_happened() -> None:
    state = apply_event(SeriesState(SERIES), _ev(1, t=100.0)).after
    assert S.vanish(state, 150.0).after.status == S.RESOLVED
    assert S.vanish(state, 50.0).after.status == S.ACTIVE  # the poll predates the trigger


def test_a_reset_after_a_technician_resolved_keeps_who_and_why() -> None:
    state = apply_event(SeriesState(SERIES), _ev(1)).after
    user = S.AlertEvent(SERIES, S.USER_RESOLVE, None, 1500.0, message="resolved by jdoe")
    state = apply_event(state, user).after
    after = apply_event(state, _ev(5, S.RESET)).after
    assert after.status == S.RESOLVED and after.resolved_reason == "resolved by jdoe"
    assert after.resolved_at == 1500.0 and after.last_activity_id == 5
