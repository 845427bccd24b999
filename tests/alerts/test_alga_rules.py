"""Alert rules in Alga's JSON shape: made here they are what Alga's UI stores; made in Alga
(raw rows) they work here; NinjaDesk-only settings stay out of `actions`."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa import alert_rules, audit
from ninja_desk.psa import tickets as psa_tickets
from ninja_desk.psa.schema import boards, priorities, rmm_alert_rules, statuses
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import activity


def test_a_rule_made_here_is_stored_as_alga_stores_it(alerts: AlertEnv) -> None:
    a = alerts
    rule_id = a.rule(
        "Critical servers",
        5,
        {"severities": ["CRITICAL"], "organizationIds": [1], "keywords": ["memory"]},
        {"createTicket": True, "autoResolveTicket": True},
        {"dry_run": False, "group_storms": False},
    )
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        row = s.conn.execute(
            sa.select(rmm_alert_rules).where(rmm_alert_rules.c.rule_id == rule_id)
        ).one()
        assert row.conditions == {
            "severities": ["critical"],
            "organizationIds": ["1"],
            "keywords": ["memory"],
        }
        assert row.actions == {"createTicket": True, "autoResolveTicket": True}
        assert set(row.actions) <= alert_rules.ACTION_KEYS  # Alga would not go record-only
        rule = alert_rules.get_rule(s, rule_id)
        assert rule.options == {"dry_run": False, "group_storms": False}
        with pytest.raises(ValueError, match="record-only"):
            alert_rules.create_rule(
                s, a.integration, "bad", priority_order=1, actions={"group_storms": True}
            )
        with pytest.raises(ValueError, match="regular expression"):
            alert_rules.create_rule(
                s, a.integration, "bad", priority_order=1, conditions={"messagePattern": "("}
            )
        alert_rules.update_rule(s, rule_id, is_active=False, options={"dry_run": True})
        assert alert_rules.get_rule(s, rule_id).dry_run
        entries = audit.read_audit_log(s, entity_type="rmm_alert_rules")
        assert [e.action for e in entries][:2] == ["alert_rule.updated", "alert_rule.created"]
        assert entries[0].changes["is_active"] == {"old": True, "new": False}
        alert_rules.delete_rule(s, rule_id)
        assert alert_rules.list_rules(s, a.integration) == []


def test_a_rule_made_in_alga_drives_the_ticket(alerts: AlertEnv) -> None:
    a = alerts
    with a.psa.tenant_session(a.tenant) as s:
        p1 = s.conn.scalar(
            sa.select(priorities.c.priority_id).where(
                priorities.c.tenant == a.tenant, priorities.c.itil_priority_level == 2
            )
        )
        board = uuid.uuid4()
        s.conn.execute(
            boards.insert().values(
                tenant=a.tenant, board_id=board, board_name="Monitoring", display_order=5
            )
        )
        s.conn.execute(
            statuses.insert(),
            [
                {
                    "tenant": a.tenant,
                    "status_id": uuid.uuid4(),
                    "board_id": board,
                    "name": name,
                    "status_type": "ticket",
                    "item_type": "ticket",
                    "is_closed": closed,
                    "is_default": default,
                    "order_number": n,
                }
                for n, (name, closed, default) in enumerate(
                    [("Triage", False, False), ("Watching", False, True), ("Done", True, False)]
                )
            ],
        )
        # Exactly the rows Alga's rule editor writes (no NinjaDesk options row).
        for order, conditions, actions in (
            (1, {"messagePattern": "^Disk"}, {"createTicket": False}),
            (
                2,
                {"severities": ["critical"], "organizationIds": ["1"], "keywords": ["memory"]},
                {
                    "createTicket": True,
                    "boardId": str(board),
                    "priorityOverride": str(p1),
                    "assignToUserId": str(a.env.admin_id),
                    "ticketTemplate": {"titleTemplate": "RMM: {{device}} - {{severity}}"},
                },
            ),
        ):
            s.conn.execute(
                rmm_alert_rules.insert().values(
                    tenant=a.tenant,
                    rule_id=uuid.uuid4(),
                    integration_id=a.integration,
                    name=f"alga rule {order}",
                    is_active=True,
                    priority_order=order,
                    conditions=conditions,
                    actions=actions,
                )
            )
    r = a.pipeline().ingest_payloads(
        [
            activity(1, "mem", device_id=101, severity="CRITICAL"),
            activity(2, "disk", device_id=103, message="Disk C: is 95% full"),
            activity(3, "other-org", device_id=201, severity="CRITICAL"),
        ]
    )
    assert r.tickets_created == 1
    assert a.alert("disk")["rule_decision"] == "suppressed"
    assert a.alert("other-org")["rule_decision"] == "no_rule"
    row = a.alert("mem")
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        t = psa_tickets.get_ticket(s, row["ticket_id"])
    assert t.title == "RMM: PC-00101 - CRITICAL"
    assert (t.board, t.status, t.priority_id) == ("Monitoring", "Watching", p1)
    assert t.assigned_to == a.env.admin_id
