"""The pipeline on SQLite and PostgreSQL: every payload shape, pairing, replays, tickets."""

from __future__ import annotations

import json
import time
import uuid

import sqlalchemy as sa

from ninja_desk.psa import tickets as psa_tickets
from ninja_desk.psa.schema import asset_ticket_associations, rmm_alerts, ticket_comments
from ninja_desk.sync import alert_windows as windows
from ninja_desk.sync.alert_tables import rmm_alert_series
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import activity, load

TICKET_ALL = {"type": "create_ticket", "priority": "from_severity", "group_storms": False}


def alert_row(a: AlertEnv, series: str) -> dict:
    with a.psa.tenant_session(a.tenant) as s:
        row = s.conn.execute(
            sa.select(
                rmm_alerts, rmm_alert_series.c.repeat_count, rmm_alert_series.c.last_activity_id
            )
            .select_from(
                rmm_alerts.outerjoin(
                    rmm_alert_series,
                    sa.and_(
                        rmm_alert_series.c.tenant == rmm_alerts.c.tenant,
                        rmm_alert_series.c.alert_id == rmm_alerts.c.alert_id,
                    ),
                )
            )
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
        "[NinjaOne Alert] Memory Utilization is greater than or equal to 80% for 5 minutes"
        " on esxi01"
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


def comments_of(a: AlertEnv, ticket_id: uuid.UUID) -> list[str]:
    with a.psa.tenant_session(a.tenant) as s:
        return list(
            s.conn.scalars(
                sa.select(ticket_comments.c.body)
                .where(
                    ticket_comments.c.tenant == a.tenant, ticket_comments.c.ticket_id == ticket_id
                )
                .order_by(ticket_comments.c.created_at)
            )
        )


def linked_assets(a: AlertEnv, ticket_id: uuid.UUID) -> int:
    ata = asset_ticket_associations
    with a.psa.tenant_session(a.tenant) as s:
        return s.conn.scalar(
            sa.select(sa.func.count()).where(ata.c.tenant == a.tenant, ata.c.ticket_id == ticket_id)
        )


def test_plain_webhooks_and_acknowledged_shapes(alerts: AlertEnv) -> None:
    """No `device` in the payload: org and asset come from the PSA asset of the device id."""
    alerts.rule("everything", 10, {}, TICKET_ALL)
    pipe = alerts.pipeline()
    trig = load("webhook_condition_triggered_plain.json")
    r = pipe.ingest_payloads([trig])
    row = alert_row(alerts, trig["seriesUid"])
    assert r.tickets_created == 1 and row["asset_id"] is not None
    assert linked_assets(alerts, row["ticket_id"]) == 1
    ack = load("alerts/webhook_condition_acknowledged_plain.json")
    ack["seriesUid"] = trig["seriesUid"]
    ack["id"] = trig["id"] + 5
    assert pipe.ingest_payloads([ack]).acknowledged == 1
    row = alert_row(alerts, trig["seriesUid"])
    assert row["status"] == "acknowledged" and row["acknowledged_at"] is not None
    reset = load("alerts/webhook_condition_reset_plain.json")
    assert pipe.ingest_payloads([reset]).resolved == 1
    assert alert_row(alerts, trig["seriesUid"])["status"] == "resolved"


def test_severity_from_the_trigger_when_the_reset_came_first(alerts: AlertEnv) -> None:
    alerts.rule("critical only", 10, {"severities": ["CRITICAL"]}, TICKET_ALL)
    pipe = alerts.pipeline()
    series = str(uuid.uuid4())
    first = pipe.ingest_payloads([activity(20, series, "RESET", severity=None)])
    assert first.tickets_created == 0
    assert alert_row(alerts, series)["rule_decision"] is None  # waits for the trigger
    second = pipe.ingest_payloads([activity(10, series, "TRIGGERED", severity="CRITICAL")])
    row = alert_row(alerts, series)
    assert row["severity"] == "CRITICAL" and row["status"] == "resolved"
    # Deterministic whatever the arrival order: the series gets its ticket, already resolved.
    assert second.tickets_created == 1 and second.tickets_auto_resolved == 1
    ticket, comments = ticket_of(alerts, row["ticket_id"])
    assert ticket.is_closed and any("already reset" in c.body for c in comments)


def test_repeats_comment_instead_of_new_tickets(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10, {}, TICKET_ALL)
    pipe = alerts.pipeline()
    series = str(uuid.uuid4())
    pipe.ingest_payloads([activity(1, series)])
    r = pipe.ingest_payloads([activity(2, series), activity(3, series)])
    assert r.tickets_created == 0 and r.repeats == 2
    row = alert_row(alerts, series)
    assert row["repeat_count"] == 2 and row["last_activity_id"] == 3
    assert sum("Triggered again" in c for c in comments_of(alerts, row["ticket_id"])) == 2


def test_a_person_touching_the_ticket_keeps_it_open(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10, {}, TICKET_ALL)
    pipe = alerts.pipeline()
    series = str(uuid.uuid4())
    pipe.ingest_payloads([activity(1, series)])
    ticket_id = alert_row(alerts, series)["ticket_id"]
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        psa_tickets.add_comment(s, ticket_id, "Looking into it")
    r = pipe.ingest_payloads([activity(2, series, "RESET")])
    assert r.resolved == 1 and r.tickets_auto_resolved == 0
    ticket, comments = ticket_of(alerts, ticket_id)
    assert not ticket.is_closed and "changed by a person" in comments[-1].body


def test_auto_resolve_can_be_turned_off(alerts: AlertEnv) -> None:
    alerts.rule("keep", 10, {}, {**TICKET_ALL, "auto_resolve": False})
    pipe = alerts.pipeline()
    series = str(uuid.uuid4())
    pipe.ingest_payloads([activity(1, series), activity(2, series, "RESET")])
    ticket, _ = ticket_of(alerts, alert_row(alerts, series)["ticket_id"])
    assert not ticket.is_closed


def test_rules_suppress_dry_run_unmapped_and_no_rule_are_explained(alerts: AlertEnv) -> None:
    alerts.rule("quiet minor", 1, {"severities": ["MINOR"]}, {"type": "suppress"})
    alerts.rule("trial", 2, {"severities": ["MODERATE"]}, TICKET_ALL, dry_run=True)
    alerts.rule("critical", 3, {"severities": ["CRITICAL"]}, TICKET_ALL)
    pipe = alerts.pipeline()
    cases = {
        "minor": (activity(1, "s-minor", severity="MINOR"), "suppressed", "quiet minor"),
        "dry": (activity(2, "s-dry", severity="MODERATE"), "dry_run", "Dry run"),
        "unmapped": (activity(3, "s-unmapped", device_id=301), "org_not_mapped", "not mapped"),
        "none": (activity(4, "s-none", severity="MAJOR"), "no_rule", "No enabled rule"),
    }
    r = pipe.ingest_payloads([c[0] for c in cases.values()])
    assert r.tickets_created == 0 and r.decided == 4
    for payload, outcome, words in cases.values():
        row = alert_row(alerts, payload["seriesUid"])
        assert row["rule_decision"] == outcome and row["ticket_id"] is None
        assert words in json.loads(row["rule_explanation"])["reason"]


def test_maintenance_window_suppresses_tickets(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10, {}, TICKET_ALL)
    now = time.time()
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        windows.create_window(
            s,
            alerts.integration,
            "Server move",
            kind="once",
            client_ids=[alerts.clients[1]],
            starts_at=now - 60,
            ends_at=now + 3600,
        )
    pipe = alerts.pipeline()
    r = pipe.ingest_payloads(
        [
            activity(1, "in-window", device_id=101, when=now),
            activity(2, "other-client", device_id=201, when=now),
        ]
    )
    assert r.tickets_created == 1
    row = alert_row(alerts, "in-window")
    assert row["rule_decision"] == "maintenance" and "Server move" in row["rule_explanation"]


def test_storm_of_one_condition_across_devices_groups_into_one_ticket(alerts: AlertEnv) -> None:
    alerts.rule("grouped", 10, {}, {"type": "create_ticket", "storm_window_minutes": 10})
    pipe = alerts.pipeline()
    first = pipe.ingest_payloads([activity(1, "storm-1", device_id=101)])
    rest = pipe.ingest_payloads(
        [activity(10 + d, f"storm-{d}", device_id=100 + d) for d in range(2, 6)]
        + [activity(50, "other-client", device_id=201)]
    )
    assert first.tickets_created == 1 and rest.tickets_created == 1  # other client: own ticket
    ids = {alert_row(alerts, f"storm-{d}")["ticket_id"] for d in range(1, 6)}
    assert len(ids) == 1
    (ticket_id,) = ids
    assert linked_assets(alerts, ticket_id) == 5
    joined = json.loads(alert_row(alerts, "storm-3")["rule_explanation"])
    assert joined["outcome"] == "duplicate" and joined["duplicate_of"] == "storm-1"
    assert alert_row(alerts, "storm-1")["rule_decision"] == "ticket"
    assert sum("another device" in c for c in comments_of(alerts, ticket_id)) == 4
    # The grouped ticket closes only when every alert in it has reset.
    pipe.ingest_payloads(
        [activity(100 + d, f"storm-{d}", "RESET", device_id=100 + d) for d in range(1, 5)]
    )
    assert not ticket_of(alerts, ticket_id)[0].is_closed
    pipe.ingest_payloads([activity(200, "storm-5", "RESET", device_id=105)])
    assert ticket_of(alerts, ticket_id)[0].is_closed


def test_polling_fills_severity_and_reconciliation_resolves_vanished(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10, {}, TICKET_ALL)
    pipe = alerts.pipeline()
    rows = load("alerts/alerts_mixed.json")
    r = pipe.reconcile(rows, observed_at=time.time())
    assert r.opened == 3 and r.tickets_created == 3  # devices 101, 201 and 102: all mapped
    assert alert_row(alerts, rows[0]["uid"])["severity"] == "MAJOR"
    assert alert_row(alerts, rows[1]["uid"])["severity"] == "NONE"  # older tenant: no severity
    assert pipe.reconcile(rows, observed_at=time.time()).opened == 0  # listed again: no change
    gone = pipe.reconcile(rows[1:], observed_at=time.time())
    assert gone.resolved == 1
    row = alert_row(alerts, rows[0]["uid"])
    assert row["status"] == "resolved"
    assert ticket_of(alerts, row["ticket_id"])[0].is_closed


def test_a_retrigger_reopens_the_ticket_the_pipeline_closed(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10, {}, TICKET_ALL)
    pipe = alerts.pipeline()
    pipe.ingest_payloads([activity(1, "again"), activity(2, "again", "RESET")])
    ticket_id = alert_row(alerts, "again")["ticket_id"]
    assert ticket_of(alerts, ticket_id)[0].is_closed
    r = pipe.ingest_payloads([activity(3, "again")])
    assert r.opened == 1 and r.tickets_created == 0
    ticket, comments = ticket_of(alerts, ticket_id)
    assert not ticket.is_closed and "triggered again" in comments[-1].body
    # ... and closes again on the next reset, still untouched.
    assert pipe.ingest_payloads([activity(4, "again", "RESET")]).tickets_auto_resolved == 1


def test_acknowledgements_are_noted_on_the_ticket(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10, {}, TICKET_ALL)
    pipe = alerts.pipeline()
    pipe.ingest_payloads([activity(1, "acked")])
    pipe.ingest_payloads([activity(2, "acked", "ACKNOWLEDGED")])
    assert comments_of(alerts, alert_row(alerts, "acked")["ticket_id"])[-1] == (
        "Alert acknowledged in NinjaOne."
    )
