"""Every captured-shape NinjaOne payload in tests/fixtures/ninjaone goes through our parsers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ninja_desk.ninjaone.errors import describe_error_body
from ninja_desk.ninjaone.parsers import (
    parse_activity,
    parse_alert,
    parse_antivirus_row,
    parse_device,
    parse_device_health_row,
    parse_location,
    parse_organization,
    parse_os_patch_row,
    parse_software_patch_row,
    parse_software_row,
)
from ninja_desk.ninjaone.tokens import token_set_from_response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ninjaone"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_slim_device_page() -> None:
    first, second = (parse_device(d) for d in load("devices_slim_page.json"))
    assert first.display_name is None and first.device_type is None and first.name
    assert second.maintenance_status == "PENDING"
    assert first.last_contact is not None and first.last_contact > 1e9


def test_detailed_agent_device_keeps_hardware_and_volumes() -> None:
    device = parse_device(load("device_detailed_agent.json"))
    assert device.device_type == "AgentDevice"
    assert device.os_name and device.manufacturer and device.total_memory
    assert device.volumes and device.volumes[0].capacity
    assert device.ip_addresses and device.mac_addresses


def test_vmhost_device_reads_flattened_fields() -> None:
    device = parse_device(load("device_detailed_vmhost.json"))
    assert device.device_type == "VMHost"
    assert device.manufacturer and device.model and device.cpu_name


def test_organizations_and_locations() -> None:
    orgs = [parse_organization(o) for o in load("organizations_page.json")]
    assert [o.description is None for o in orgs] == [False, True]
    detailed = [parse_organization(o) for o in load("organizations_detailed.json")]
    assert detailed[0].name
    locations = [parse_location(loc) for loc in load("locations.json")]
    assert all(loc.organization_id for loc in locations)


def test_alerts_with_and_without_severity() -> None:
    newer = [parse_alert(a) for a in load("alerts_with_severity.json")]
    assert newer[0].severity and newer[0].condition_name
    older = load("alert_without_severity.json")
    older_alerts = [parse_alert(a) for a in (older if isinstance(older, list) else [older])]
    assert older_alerts[0].severity is None


def test_activities_page_parses_every_kind() -> None:
    body = load("activities_page.json")
    activities = [parse_activity(a) for a in body["activities"]]
    assert {a.activity_type for a in activities} >= {"ACTIONSET", "CONDITION", "SYSTEM"}
    assert all(a.severity is None for a in activities if a.activity_type != "CONDITION")
    assert isinstance(body["lastActivityId"], int)


@pytest.mark.parametrize(
    ("name", "parser"),
    [
        ("report_software.json", parse_software_row),
        ("report_os_patches.json", parse_os_patch_row),
        ("report_software_patches.json", parse_software_patch_row),
        ("report_antivirus_status.json", parse_antivirus_row),
        ("report_device_health.json", parse_device_health_row),
    ],
)
def test_report_pages(name: str, parser) -> None:  # type: ignore[no-untyped-def]
    body = load(name)
    assert set(body["cursor"]) >= {"name"}
    rows = [parser(r) for r in body["results"]]
    assert rows and all(r.device_id for r in rows)


def test_software_install_date_is_kept_as_a_date() -> None:
    rows = [parse_software_row(r) for r in load("report_software.json")["results"]]
    assert any(r.install_date and len(r.install_date) == 10 for r in rows)


@pytest.mark.parametrize(
    "name",
    [
        "webhook_condition_triggered_expanded.json",
        "webhook_condition_reset_expanded.json",
        "webhook_condition_acknowledged.json",
        "webhook_condition_triggered_plain.json",
        "webhook_node_created.json",
        "webhook_node_deleted.json",
        "alerts/webhook_condition_acknowledged_plain.json",
        "alerts/webhook_condition_reset_plain.json",
        "alerts/webhook_condition_triggered_with_severity.json",
    ],
)
def test_webhook_deliveries(name: str) -> None:
    raw = load(name)
    activity = parse_activity(raw)
    assert activity.id == raw["id"]
    if activity.activity_type == "CONDITION":
        assert activity.series_uid  # pairs TRIGGERED/RESET with the alert uid
    if "device" in raw:
        assert parse_device(raw["device"]).id == activity.device_id
        # Parsed once, here: the expanded device travels on as a Device, not as JSON.
        assert activity.device is not None and activity.device.id == activity.device_id


def test_expanded_webhook_device_carries_its_organization() -> None:
    raw = load("webhook_condition_triggered_expanded.json")
    device = parse_device(raw["device"])
    assert device.organization_id == raw["device"]["references"]["organization"]["id"]


def test_token_response_and_error_bodies() -> None:
    tokens = token_set_from_response(load("token_response.json"), previous_refresh=None)
    assert tokens.refresh_token and "monitoring" in tokens.scopes
    texts = [describe_error_body(body) for body in load("error_bodies.json")]
    assert all(texts)
    assert describe_error_body(load("error_not_found.json"))


def test_an_explicit_none_severity_is_kept_apart_from_an_absent_one() -> None:
    said = parse_activity({**load("webhook_condition_triggered_plain.json"), "severity": "NONE"})
    unsaid = parse_activity(load("webhook_condition_triggered_plain.json"))
    assert (said.severity, unsaid.severity) == ("NONE", None)
