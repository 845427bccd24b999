"""Maintenance windows in Alga's shape (CRUD, rights, weekly recurrence from Sunday = 0, a
window Alga made works here); mapping an organization later still makes the ticket."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest

from ninja_desk.ninjaone.parsers import parse_alert
from ninja_desk.psa import maintenance_windows as windows
from ninja_desk.psa.errors import NotFound, PermissionDenied
from ninja_desk.psa.schema import rmm_maintenance_windows
from ninja_desk.psa.tenants import create_user
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import activity
from tests.alerts.seed import add_client, map_org


def test_window_crud_validates_and_is_listed(alerts: AlertEnv) -> None:
    a = alerts
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        weekly = windows.create_window(
            s,
            a.integration,
            "Patch night",
            asset_id=a.assets[101],
            recurrence=windows.weekly([5], "23:00", "02:00", "Europe/Berlin"),
        )
        with pytest.raises(ValueError, match="end after"):
            windows.create_window(s, a.integration, "bad", starts_at=10, ends_at=5)
        with pytest.raises(ValueError, match="HH:mm"):
            windows.create_window(
                s, a.integration, "bad", recurrence=windows.weekly([1], "25:00", "26:00")
            )
        with pytest.raises(ValueError, match="weekly"):
            windows.create_window(s, a.integration, "bad", recurrence={"type": "monthly"})
        windows.update_window(s, weekly, is_active=False)
        (listed,) = windows.list_windows(s, a.integration)
        assert listed["name"] == "Patch night" and listed["is_active"] is False
        assert listed["recurrence"] == {
            "type": "weekly",
            "days": [5],
            "startTime": "23:00",
            "endTime": "02:00",
            "timezone": "Europe/Berlin",
        }
        windows.delete_window(s, weekly)
        assert windows.list_windows(s, a.integration) == []
        with pytest.raises(NotFound):
            windows.delete_window(s, weekly)


def test_alga_weekly_recurrence_means_what_alga_means() -> None:
    """days 0 = Sunday; an end before the start runs past midnight."""
    w = windows.to_core(
        {
            "window_id": uuid.uuid4(),
            "name": "Fri night",
            "is_active": True,
            "recurrence": windows.weekly([5], "23:00", "02:00", "UTC"),
        }
    )
    friday_late = datetime(2026, 12, 4, 23, 30, tzinfo=UTC).timestamp()  # a Friday
    saturday_early = datetime(2026, 12, 5, 1, 30, tzinfo=UTC).timestamp()
    saturday_late = datetime(2026, 12, 5, 23, 30, tzinfo=UTC).timestamp()
    assert w.is_open(friday_late) and w.is_open(saturday_early)
    assert not w.is_open(saturday_late)


def test_only_people_with_settings_update_change_windows(alerts: AlertEnv) -> None:
    a = alerts
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        tech = create_user(s, "tech", ("Technician",))
    with a.psa.tenant_session(a.tenant, tech) as s, pytest.raises(PermissionDenied):
        windows.create_window(s, a.integration, "x", starts_at=1, ends_at=2)
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        windows.create_window(s, a.integration, "x", starts_at=1, ends_at=2)


def test_a_window_made_in_alga_suppresses_only_its_asset(alerts: AlertEnv) -> None:
    alerts.rule("all", 1)
    with alerts.psa.tenant_session(alerts.tenant) as s:
        # As Alga's UI stores it: no integration, one asset, every day all day.
        s.conn.execute(
            rmm_maintenance_windows.insert().values(
                tenant=alerts.tenant,
                window_id=uuid.uuid4(),
                asset_id=alerts.assets[102],
                name="Always",
                is_active=True,
                recurrence=windows.weekly(range(7), "00:00", "00:00"),
            )
        )
    r = alerts.pipeline().ingest_payloads(
        [
            activity(1, "w-101", device_id=101, when=time.time()),
            activity(2, "w-102", device_id=102, when=time.time()),
        ]
    )
    assert r.tickets_created == 1
    assert r.outcomes["w-102"].decision["outcome"] == "maintenance"
    assert r.outcomes["w-102"].decision["window"] == "Always"
    assert alerts.alert("w-102")["status"] == "suppressed"


def test_mapping_the_organization_later_makes_the_ticket_on_the_next_poll(
    alerts: AlertEnv,
) -> None:
    alerts.rule("all", 1)
    pipe = alerts.pipeline(config_ttl=0)
    first = pipe.ingest_payloads([activity(1, "late-map", device_id=301)])
    assert first.outcomes["late-map"].decision["outcome"] == "org_not_mapped"
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        client = add_client(s, "Northwind")
        map_org(s, alerts.integration, 3, "Northwind", client)
    row = {
        "uid": "late-map",
        "deviceId": 301,
        "createTime": 1742391676.556,
        "message": "m",
        "sourceType": "CONDITION_AGENT_CPU",
    }
    again = pipe.reconcile([parse_alert(row)])
    assert again.tickets_created == 1
    assert again.outcomes["late-map"].decision["outcome"] == "ticket"
    assert uuid.UUID(str(again.outcomes["late-map"].ticket_id))
