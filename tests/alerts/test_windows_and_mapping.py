"""Maintenance window CRUD and rights; mapping an organization later still makes the ticket."""

from __future__ import annotations

import time
import uuid

import pytest

from ninja_desk.core.organizations import Organization
from ninja_desk.psa import org_mapping
from ninja_desk.psa.clients import create_client
from ninja_desk.psa.errors import NotFound, PermissionDenied
from ninja_desk.psa.tenants import create_user
from ninja_desk.sync import alert_windows as windows
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import activity


def test_window_crud_validates_and_is_listed(alerts: AlertEnv) -> None:
    a = alerts
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        weekly = windows.create_window(
            s,
            a.integration,
            "Patch night",
            kind="weekly",
            device_ids=[101],
            weekdays=[4],
            start_time="23:00",
            duration_minutes=180,
            timezone="Europe/Berlin",
        )
        with pytest.raises(ValueError, match="end after"):
            windows.create_window(s, a.integration, "bad", kind="once", starts_at=10, ends_at=5)
        with pytest.raises(ValueError, match="HH:MM"):
            windows.create_window(
                s, a.integration, "bad", kind="weekly", weekdays=[1], start_time="25:00"
            )
        windows.update_window(s, weekly, duration_minutes=60, is_enabled=False)
        listed = windows.list_windows(s, a.integration)
        assert [(w.name, w.duration_minutes, w.enabled, w.weekdays) for w in listed] == [
            ("Patch night", 60, False, (4,))
        ]
        windows.delete_window(s, weekly)
        assert windows.list_windows(s, a.integration) == []
        with pytest.raises(NotFound):
            windows.delete_window(s, weekly)


def test_only_dispatchers_and_admins_change_windows(alerts: AlertEnv) -> None:
    a = alerts
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        tech = create_user(s, "tech", ("technician",))
        dispatcher = create_user(s, "disp", ("dispatcher",))
    with a.psa.tenant_session(a.tenant, tech) as s, pytest.raises(PermissionDenied):
        windows.create_window(s, a.integration, "x", kind="once", starts_at=1, ends_at=2)
    with a.psa.tenant_session(a.tenant, dispatcher) as s:
        windows.create_window(s, a.integration, "x", kind="once", starts_at=1, ends_at=2)


def test_weekly_window_suppresses_only_its_device(alerts: AlertEnv) -> None:
    alerts.rule("all", 1, {}, {"type": "create_ticket", "group_storms": False})
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        windows.create_window(
            s,
            alerts.integration,
            "Always",
            kind="weekly",
            device_ids=[102],
            weekdays=list(range(7)),
            start_time="00:00",
            duration_minutes=24 * 60,
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


def test_mapping_the_organization_later_makes_the_ticket_on_the_next_poll(
    alerts: AlertEnv,
) -> None:
    alerts.rule("all", 1, {}, {"type": "create_ticket"})
    pipe = alerts.pipeline(config_ttl=0)
    first = pipe.ingest_payloads([activity(1, "late-map", device_id=301)])
    assert first.outcomes["late-map"].decision["outcome"] == "org_not_mapped"
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        client = create_client(s, "Northwind")
        org_mapping.map_organization(s, alerts.integration, Organization(3, "Northwind"), client)
    row = {
        "uid": "late-map",
        "deviceId": 301,
        "createTime": 1742391676.556,
        "message": "m",
        "sourceType": "CONDITION_AGENT_CPU",
    }
    again = pipe.reconcile([row])
    assert again.tickets_created == 1
    assert again.outcomes["late-map"].decision["outcome"] == "ticket"
    assert uuid.UUID(str(again.outcomes["late-map"].ticket_id))
