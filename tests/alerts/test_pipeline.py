"""The pipeline on SQLite and PostgreSQL: every payload shape, pairing, replays, tickets."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from ninja_desk.psa import tickets as psa_tickets
from ninja_desk.psa.schema import asset_ticket_associations, rmm_alerts, ticket_comments
from ninja_desk.sync.alert_tables import rmm_alert_series
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import activity, load

TICKET_ALL = {"type": "create_ticket", "priority": "from_severity", "group_storms": False}


def alert_row(a: AlertEnv, series: str) -> dict:
    with a.psa.tenant_session(a.tenant) as s:
        row = s.conn.execute(
            sa.select(rmm_alerts, rmm_alert_series.c.repeat_count, rmm_alert_series.c.last_activity_id)
            .select_from(rmm_alerts.outerjoin(rmm_alert_series, sa.and_(
                rmm_alert_series.c.tenant == rmm_alerts.c.tenant,
                rmm_alert_series.c.alert_id == rmm_alerts.c.alert_id)))
            .where(rmm_alerts.c.tenant == a.tenant, rmm_alerts.c.series_uid == series)
        ).first()
        return dict(row._mapping) if row else {}


def ticket_of(a: AlertEnv, ticket_id: uuid.UUID):
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        return psa_tickets.get_ticket(s, ticket_id), psa_tickets.list_comments(s, ticket_id)


def test_captured_triggered_then_reset_makes_and_resolves_one_ticket(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10, {}, TICKET_ALL)
    pipe = alerts.pipeline()
    trig = load("webhook_condition_triggered_expanded.json")
    reset = load("webhook_condition_reset_expanded.json")
    r1 = pipe.ingest_payloads([trig])
    assert r1.tickets_created == 1
    row = alert_row(alerts, trig["seriesUid"])
    assert row["status"] == "active" and row["severity"] == "NONE"  # absent -> NONE
    assert row["ticket_id"] and row["auto_ticket_created"]
    assert json.loads(row["rule_explanation"])["rule"] == "everything"
    ticket, _ = ticket_of(alerts, row["ticket_id"])
    assert ticket.title == (
        "[NinjaOne Alert] Memory Utilization is greater than or equal to 80% for 5 minutes on esxi01"
    )
    assert "https://eu.ninjarmm.com/#/deviceDashboard/102/overview" in ticket.description
    assert ticket.priority == "low" and not ticket.is_closed
    # Replaying the same delivery changes nothing.
    again = pipe.ingest_payloads([trig])
    assert again.tickets_created == 0 and again.stale == 1
    r2 = pipe.ingest_payloads([reset])
    assert r2.resolved == 1 and r2.tickets_auto_resolved == 1
    row = alert_row(alerts, trig["seriesUid"])
    assert row["status"] == "resolved" and row["resolved_at"] is not None
    ticket, comments = ticket_of(alerts, row["ticket_id"])
    assert ticket.is_closed
    assert any("reset" in c.body for c in comments)
