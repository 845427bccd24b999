"""The pipeline on SQLite and PostgreSQL: every payload shape, pairing, replays, tickets,
written into Alga's rmm_alerts / tickets the way Alga writes them."""

from __future__ import annotations

import json
import time
import uuid

import sqlalchemy as sa

from ninja_desk.ninjaone.parsers import parse_alert
from ninja_desk.psa import maintenance_windows as windows
from ninja_desk.psa import tickets as psa_tickets
from ninja_desk.psa.integration_settings import (
    COMPANION,
    IntegrationSettings,
    load_settings,
    save_settings,
)
from ninja_desk.psa.schema import (
    asset_associations,
    ninjadesk_events_outbox,
    rmm_alerts,
    ticket_audit_logs,
)
from ninja_desk.psa.schema import tickets as tickets_t
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import activity, load


def alert_row(a: AlertEnv, series: str) -> dict:
    return a.alert(series)


def ticket_of(a: AlertEnv, ticket_id: uuid.UUID):
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        return psa_tickets.get_ticket(s, ticket_id), psa_tickets.list_comments(s, ticket_id)


def comments_of(a: AlertEnv, ticket_id: uuid.UUID) -> list[str]:
    return [c.body for c in ticket_of(a, ticket_id)[1]]


def linked_assets(a: AlertEnv, ticket_id: uuid.UUID) -> int:
    aa = asset_associations.c
    with a.psa.tenant_session(a.tenant) as s:
        return s.conn.scalar(
            sa.select(sa.func.count()).where(
                aa.tenant == a.tenant, aa.entity_type == "ticket", aa.entity_id == ticket_id
            )
        )


def alga_events(a: AlertEnv, ticket_id: uuid.UUID) -> list[str]:
    t = ninjadesk_events_outbox.c
    with a.psa.tenant_session(a.tenant) as s:
        rows = s.conn.execute(
            sa.select(t.event_type, t.payload)
            .where(t.tenant == a.tenant, t.alga_event.is_(True))
            .order_by(t.occurred_at)
        ).all()
    return [e for e, p in rows if p.get("ticketId") == str(ticket_id)]


def test_captured_triggered_then_reset_makes_and_resolves_one_ticket(alerts: AlertEnv) -> None:
    rule = alerts.rule("everything", 10)
    pipe = alerts.pipeline()
    trig = load("webhook_condition_triggered_expanded.json")
    reset = load("webhook_condition_reset_expanded.json")
    r1 = pipe.ingest_payloads([trig])
    assert r1.tickets_created == 1
    row = alert_row(alerts, trig["seriesUid"])
    assert row["status"] == "active" and row["severity"] == "none"  # absent -> none
    assert row["ticket_id"] and row["auto_ticket_created"] and row["matched_rule_id"] == rule
    assert row["dedup_key"] == "102|TRIGGERED" and row["occurrence_count"] == 1
    assert row["last_occurrence_at"] is not None
    assert json.loads(row["rule_explanation"])["rule"] == "everything"
    ticket, notes = ticket_of(alerts, row["ticket_id"])
    assert ticket.title == (
        "[NinjaOne Alert] Memory Utilization is greater than or equal to 80% for 5 minutes"
        " on esxi01"
    )
    assert "https://eu.ninjarmm.com/#/deviceDashboard/102/overview" in ticket.description
    # Severity none -> the tenant's least urgent priority; the board's default status.
    assert ticket.priority == "P5 - Planning" and ticket.status == "New"
    assert ticket.source == "ninjaone" and ticket.entered_by is None and not ticket.is_closed
    assert ticket.ticket_number == "TIC000001"
    assert notes[0].is_system_generated and notes[0].author_id is None
    assert linked_assets(alerts, row["ticket_id"]) == 1
    # Replaying the same delivery changes nothing.
    again = pipe.ingest_payloads([trig])
    assert again.tickets_created == 0 and again.stale == 1
    r2 = pipe.ingest_payloads([reset])
    assert r2.resolved == 1 and r2.tickets_auto_resolved == 1
    row = alert_row(alerts, trig["seriesUid"])
    assert row["status"] == "resolved" and row["resolved_at"] is not None
    ticket, notes = ticket_of(alerts, row["ticket_id"])
    assert ticket.is_closed and ticket.closed_at is not None and ticket.closed_by is None
    assert ticket.status == "Closed"
    assert any("resolved" in c.body for c in notes)
    assert alga_events(alerts, row["ticket_id"])[0] == "TICKET_CREATED"
    assert "TICKET_CLOSED" in alga_events(alerts, row["ticket_id"])
    with alerts.psa.tenant_session(alerts.tenant) as s:
        history = s.conn.scalars(
            sa.select(ticket_audit_logs.c.event_type)
            .where(
                ticket_audit_logs.c.tenant == alerts.tenant,
                ticket_audit_logs.c.ticket_id == row["ticket_id"],
            )
            .order_by(ticket_audit_logs.c.occurred_at)
        ).all()
    assert history == ["TICKET_CREATED", "TICKET_CLOSED"]


def test_plain_webhooks_and_acknowledged_shapes(alerts: AlertEnv) -> None:
    """No `device` in the payload: org and asset come from the PSA asset of the device id."""
    alerts.rule("everything", 10)
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
    alerts.rule("critical only", 10, {"severities": ["critical"]})
    pipe = alerts.pipeline()
    series = str(uuid.uuid4())
    first = pipe.ingest_payloads([activity(20, series, "RESET", severity=None)])
    assert first.tickets_created == 0
    assert alert_row(alerts, series)["rule_decision"] is None  # waits for the trigger
    second = pipe.ingest_payloads([activity(10, series, "TRIGGERED", severity="CRITICAL")])
    row = alert_row(alerts, series)
    assert row["severity"] == "critical" and row["status"] == "resolved"
    # Deterministic whatever the arrival order: the series gets its ticket, already resolved.
    assert second.tickets_created == 1 and second.tickets_auto_resolved == 1
    ticket, comments = ticket_of(alerts, row["ticket_id"])
    assert ticket.is_closed and any("already reset" in c.body for c in comments)
    assert ticket.priority == "P1 - Critical"


def test_repeats_comment_instead_of_new_tickets(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10)
    pipe = alerts.pipeline()
    series = str(uuid.uuid4())
    pipe.ingest_payloads([activity(1, series)])
    r = pipe.ingest_payloads([activity(2, series), activity(3, series)])
    assert r.tickets_created == 0 and r.repeats == 2
    row = alert_row(alerts, series)
    assert row["repeat_count"] == 2 and row["last_activity_id"] == 3
    assert row["occurrence_count"] == 3
    assert sum("Triggered again" in c for c in comments_of(alerts, row["ticket_id"])) == 2


def test_a_person_touching_the_ticket_keeps_it_open(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10)
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
    alerts.rule("keep", 10, {}, {"createTicket": True, "autoResolveTicket": False})
    pipe = alerts.pipeline()
    series = str(uuid.uuid4())
    pipe.ingest_payloads([activity(1, series), activity(2, series, "RESET")])
    ticket, _ = ticket_of(alerts, alert_row(alerts, series)["ticket_id"])
    assert not ticket.is_closed


def test_rules_suppress_dry_run_unmapped_and_no_rule_are_explained(alerts: AlertEnv) -> None:
    alerts.rule("quiet minor", 1, {"severities": ["minor"]}, {"createTicket": False})
    alerts.rule("trial", 2, {"severities": ["moderate"]}, None, {"dry_run": True})
    alerts.rule("critical", 3, {"severities": ["critical"]})
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
    alerts.rule("everything", 10)
    now = time.time()
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        window = windows.create_window(
            s,
            alerts.integration,
            "Server move",
            client_id=alerts.clients[1],
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
    assert row["status"] == "suppressed" and row["suppressed_by_window_id"] == window


def test_storm_of_one_condition_across_devices_groups_into_one_ticket(alerts: AlertEnv) -> None:
    alerts.rule("grouped", 10, {}, None, {"group_storms": True, "storm_window_minutes": 10})
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
    alerts.rule("everything", 10)
    pipe = alerts.pipeline()
    rows = load("alerts/alerts_mixed.json")
    polled = [parse_alert(r) for r in rows]
    r = pipe.reconcile(polled, observed_at=time.time())
    assert r.opened == 3 and r.tickets_created == 3  # devices 101, 201 and 102: all mapped
    assert alert_row(alerts, rows[0]["uid"])["severity"] == "major"
    assert alert_row(alerts, rows[1]["uid"])["severity"] == "none"  # older tenant: no severity
    assert pipe.reconcile(polled, observed_at=time.time()).opened == 0  # listed again: no change
    gone = pipe.reconcile(polled[1:], observed_at=time.time())
    assert gone.resolved == 1
    row = alert_row(alerts, rows[0]["uid"])
    assert row["status"] == "resolved"
    assert ticket_of(alerts, row["ticket_id"])[0].is_closed


def test_a_retrigger_reopens_the_ticket_the_pipeline_closed(alerts: AlertEnv) -> None:
    alerts.rule("everything", 10)
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
    alerts.rule("everything", 10)
    pipe = alerts.pipeline()
    pipe.ingest_payloads([activity(1, "acked")])
    pipe.ingest_payloads([activity(2, "acked", "ACKNOWLEDGED")])
    assert comments_of(alerts, alert_row(alerts, "acked")["ticket_id"])[-1] == (
        "Alert acknowledged in NinjaOne."
    )


def test_companion_mode_records_nothing(alerts: AlertEnv) -> None:
    """Alga's own NinjaOne integration makes the tickets: NinjaDesk writes no alert, no ticket."""
    alerts.rule("everything", 10)
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        settings = load_settings(s, alerts.integration)
        save_settings(
            s,
            IntegrationSettings(
                settings.integration_id,
                COMPANION,
                settings.board_id,
                settings.service_user_id,
                settings.severity_priorities,
            ),
        )
    r = alerts.pipeline().ingest_payloads([activity(1, "companion")])
    assert r.skipped and "companion" in r.skipped and r.events == 0
    with alerts.psa.tenant_session(alerts.tenant) as s:
        assert not s.conn.scalar(
            sa.select(sa.func.count()).where(rmm_alerts.c.tenant == alerts.tenant)
        )
        assert not s.conn.scalar(
            sa.select(sa.func.count()).where(tickets_t.c.tenant == alerts.tenant)
        )


def test_an_alert_alga_already_ticketed_gets_no_second_ticket(alerts: AlertEnv) -> None:
    """A row Alga's own integration wrote (same external_alert_id, ticket set) is claimed."""
    alerts.rule("everything", 10)
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        theirs = psa_tickets.create_ticket(s, client_id=alerts.clients[1], title="Alga's ticket")
        s.conn.execute(
            rmm_alerts.insert().values(
                tenant=alerts.tenant,
                alert_id=uuid.uuid4(),
                integration_id=alerts.integration,
                external_alert_id="alga-made",
                external_device_id="101",
                severity="critical",
                status="active",
                ticket_id=theirs.ticket_id,
                auto_ticket_created=True,
            )
        )
    r = alerts.pipeline().ingest_payloads([activity(5, "alga-made"), activity(6, "alga-made")])
    assert r.tickets_created == 0
    row = alert_row(alerts, "alga-made")
    assert row["ticket_id"] == theirs.ticket_id and row["severity"] == "critical"
    # Not NinjaDesk's ticket: no notes from the pipeline, and a reset does not close it.
    alerts.pipeline().ingest_payloads([activity(7, "alga-made", "RESET")])
    ticket, notes = ticket_of(alerts, theirs.ticket_id)
    assert not ticket.is_closed and notes == []
    assert alert_row(alerts, "alga-made")["status"] == "resolved"


def test_a_board_without_a_closed_status_leaves_the_ticket_open_and_says_so(
    alerts: AlertEnv,
) -> None:
    from ninja_desk.psa.schema import statuses

    alerts.rule("everything", 10)
    pipe = alerts.pipeline()
    pipe.ingest_payloads([activity(1, "no-close")])
    ticket_id = alert_row(alerts, "no-close")["ticket_id"]
    with alerts.psa.tenant_session(alerts.tenant) as s:
        s.conn.execute(
            statuses.update()
            .where(statuses.c.tenant == alerts.tenant, statuses.c.is_closed.is_(True))
            .values(is_closed=False)
        )
    r = pipe.ingest_payloads([activity(2, "no-close", "RESET")])
    assert r.resolved == 1 and r.tickets_auto_resolved == 0
    assert r.notes == [psa_tickets.NO_CLOSED_STATUS]
    ticket, notes = ticket_of(alerts, ticket_id)
    assert not ticket.is_closed and "no closed status" in notes[-1].body
    assert "closed this ticket" not in notes[-1].body  # the note never claims what did not happen
    assert alert_row(alerts, "no-close")["status"] == "resolved"


def test_a_ticket_made_before_its_asset_gets_the_link_when_the_asset_arrives(
    alerts: AlertEnv,
) -> None:
    from ninja_desk.sync.psa_push import link_waiting_alerts
    from tests.alerts.seed import add_asset

    alerts.rule("everything", 10)
    # Device 150 of org 1 has no asset yet: the ticket is made for the mapped client anyway.
    alerts.pipeline().ingest_payloads([activity(1, "early", device_id=150)])
    row = alert_row(alerts, "early")
    assert row["ticket_id"] and row["asset_id"] is None
    assert linked_assets(alerts, row["ticket_id"]) == 0
    with alerts.psa.tenant_session(alerts.tenant) as s:
        asset = add_asset(s, alerts.clients[1], 150, 1)
        assert link_waiting_alerts(s, alerts.integration, {"150": asset}, alerts.env.admin_id) == 1
        assert link_waiting_alerts(s, alerts.integration, {"150": asset}, alerts.env.admin_id) == 0
    assert alert_row(alerts, "early")["asset_id"] == asset
    assert linked_assets(alerts, row["ticket_id"]) == 1
