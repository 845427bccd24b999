"""Pure rule matching and maintenance windows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ninja_desk.core import alert_rules as R
from ninja_desk.core.maintenance_windows import MaintenanceWindow, open_window

FACTS = R.AlertFacts(
    "s1",
    severity="CRITICAL",
    activity_type="CONDITION",
    source_type="CONDITION_AGENT_CPU",
    status_code="TRIGGERED",
    organization_id=1,
    client_id="c1",
    node_class="WINDOWS_SERVER",
    message="CPU above 95% for 10 minutes",
    device_id=101,
    device_name="SRV1",
)


def rule(name: str, order: int = 0, **kw) -> R.Rule:
    action = kw.pop("action", {"type": "create_ticket"})
    return R.Rule(name, name, order, conditions=kw, action=action)


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ({}, True),
        ({"severities": ["critical", "MAJOR"]}, True),
        ({"severities": ["MINOR"]}, False),
        ({"activity_types": ["CONDITION_AGENT_CPU"]}, True),
        ({"activity_types": ["condition_*"]}, True),  # the editor's search allows wildcards
        ({"activity_types": ["CONDITION"]}, True),
        ({"activity_types": ["PATCH_MANAGEMENT"]}, False),
        ({"status_codes": ["TRIGGERED"]}, True),
        ({"organization_ids": [2]}, False),
        ({"organization_ids": [1]}, True),
        ({"client_ids": ["c1"]}, True),
        ({"client_ids": ["c2"]}, False),
        ({"node_classes": ["WINDOWS_WORKSTATION"]}, False),
        ({"node_classes": ["windows_*"]}, True),
        ({"message_contains": "cpu above"}, True),
        ({"message_contains": "disk"}, False),
    ],
)
def test_conditions(conditions, matches) -> None:
    assert (R.mismatch(rule("r", **conditions), FACTS) is None) is matches


def test_first_matching_enabled_rule_wins_in_priority_order() -> None:
    rules = [
        rule("later", 20),
        rule("off", 1, severities=["CRITICAL"]),
        rule("first", 10, severities=["CRITICAL"]),
    ]
    rules[1] = R.Rule("off", "off", 1, enabled=False)
    assert R.first_match(rules, FACTS).name == "first"


def test_decisions_explain_themselves() -> None:
    ticket = rule("Critical servers", severities=["CRITICAL"])
    d = R.decide([ticket], FACTS, mapped=True)
    assert d.outcome == R.TICKET and d.priority == "urgent" and "Critical servers" in d.reason
    assert R.decide([], FACTS, mapped=True).outcome == R.NO_RULE
    assert R.decide([ticket], FACTS, mapped=False).outcome == R.UNMAPPED
    assert R.decide([ticket], FACTS, mapped=True, window_name="Patch night").outcome == (
        R.MAINTENANCE
    )
    quiet = rule("quiet", -1, action={"type": "suppress"})
    assert R.decide([quiet, ticket], FACTS, mapped=True).outcome == R.SUPPRESSED
    dry = R.Rule("dry", "dry", 0, dry_run=True)
    out = R.decide([dry], FACTS, mapped=True)
    assert out.outcome == R.DRY_RUN and out.as_json()["dry_run"] is True


def test_priority_mapping_is_configurable() -> None:
    r = R.Rule("r", "r", action={"priority_map": {"CRITICAL": "high"}})
    assert R.ticket_priority(r, "CRITICAL") == "high"
    assert R.ticket_priority(R.Rule("r", "r", action={"priority": "low"}), "CRITICAL") == "low"
    for sev, want in [
        ("CRITICAL", "urgent"),
        ("MAJOR", "high"),
        ("MODERATE", "medium"),
        ("MINOR", "low"),
    ]:
        assert R.ticket_priority(R.Rule("r", "r"), sev) == want


def test_titles_render_and_never_fail() -> None:
    values = {"condition": "CPU high", "device": "SRV1"}
    assert R.render_title(None, values) == "[NinjaOne Alert] CPU high on SRV1"
    assert R.render_title("{severity}: {nope} {condition}", values) == ": CPU high"
    assert R.render_title("{broken", values) == "[NinjaOne Alert] CPU high on SRV1"


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_one_off_window_for_a_client() -> None:
    w = MaintenanceWindow(
        "w",
        "Migration",
        "once",
        client_ids=frozenset({"c1"}),
        starts_at=ts(2026, 11, 27, 1),
        ends_at=ts(2026, 11, 27, 3),
    )
    assert open_window([w], ts(2026, 11, 27, 2), "c1", 5) is w
    assert open_window([w], ts(2026, 11, 27, 2), "c2", 5) is None
    assert open_window([w], ts(2026, 11, 27, 3), "c1", 5) is None


def test_weekly_window_across_midnight_in_a_time_zone() -> None:
    # Fridays 23:00-02:00 Berlin time (UTC+1 in November), for device 101 only.
    w = MaintenanceWindow(
        "w",
        "Patch night",
        "weekly",
        device_ids=frozenset({101}),
        weekdays=(4,),
        start_time="23:00",
        duration_minutes=180,
        timezone="Europe/Berlin",
    )
    friday_late = ts(2026, 11, 27, 22, 30)  # 23:30 Berlin, Friday
    saturday_early = ts(2026, 11, 28, 0, 30)  # 01:30 Berlin, Saturday
    saturday_late = ts(2026, 11, 28, 1, 30)  # 02:30 Berlin
    assert w.is_open(friday_late) and w.is_open(saturday_early)
    assert not w.is_open(saturday_late)
    assert open_window([w], friday_late, "c1", 102) is None
    assert not MaintenanceWindow(
        "x", "off", "weekly", weekdays=(4,), start_time="23:00", duration_minutes=180, enabled=False
    ).is_open(friday_late)


def test_the_alert_class_is_the_condition_name_cut_to_algas_column() -> None:
    assert R.alert_class_of("Disk C: below 10% free") == "Disk C: below 10% free"
    assert R.alert_class_of("x" * 150) == "x" * R.ALERT_CLASS_LENGTH
    assert R.alert_class_of("") is None and R.alert_class_of(None) is None
