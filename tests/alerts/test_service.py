"""AlertService (what the UI calls), events, rule tests, reset on close, cache mirror."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import respx
import sqlalchemy as sa

from ninja_desk.cache.store import LocalCache
from ninja_desk.core.alert_rules import Rule
from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.psa import outbox
from ninja_desk.psa import tickets as psa_tickets
from ninja_desk.psa.schema import ninjadesk_events_outbox as events_outbox
from ninja_desk.psa.schema import rmm_alerts
from ninja_desk.psa.tenants import create_user
from ninja_desk.sync.alert_reset import closed_ticket_resets
from ninja_desk.sync.alert_service import AlertActionError, AlertService
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import activity


@pytest.fixture
def cache(tmp_path: Path):
    local = LocalCache(tmp_path / "cache.sqlite3")
    yield local
    local.close()


def technician(a: AlertEnv) -> uuid.UUID:
    with a.psa.tenant_session(a.tenant, a.env.admin_id) as s:
        return create_user(s, f"tech{uuid.uuid4().hex[:6]}", ("Technician",))


def service(a: AlertEnv, cache: LocalCache, api: NinjaOneApi | None = None) -> AlertService:
    return AlertService(a.pipeline(user_id=technician(a)), cache=cache, api=api, username="jdoe")


async def test_acknowledge_resolve_and_explain_record_who_and_mirror(
    alerts: AlertEnv, cache: LocalCache
) -> None:
    alerts.rule("critical", 10, {"severities": ["critical"]})
    alerts.pipeline().ingest_payloads([activity(1, "s1")])
    svc = service(alerts, cache)
    ack = await svc.acknowledge("s1")
    assert ack.done and ack.status == "acknowledged"
    assert not (await svc.acknowledge("s1")).done  # twice: nothing more to do
    row = cache.rows("SELECT * FROM alerts WHERE uid = 's1'")[0]
    assert row["acknowledged_by"] == "jdoe" and row["ticket_number"] == ack.ticket_number
    assert json.loads(row["decision"])["rule"] == "critical"
    assert cache.scalar("SELECT count(*) FROM psa_tickets WHERE alert_uid = 's1'") == 1
    assert cache.scalar("SELECT count(*) FROM psa_ticket_devices") == 1
    done = await svc.resolve("s1")
    assert done.done and done.status == "resolved"
    info = await svc.explain("s1")
    assert info["outcome"] == "ticket" and info["rule"] == "critical"
    assert info["acknowledged_by"] == info["resolved_by"] == str(svc.pipeline.user_id)
    assert "resolved in NinjaDesk by jdoe" in info["resolved_reason"]
    assert cache.scalar("SELECT status FROM alerts WHERE uid = 's1'") == "RESET"
    assert cache.scalar("SELECT status FROM psa_tickets WHERE alert_uid = 's1'") == "Closed"


@respx.mock
async def test_resolve_can_reset_the_alert_in_ninjaone(alerts: AlertEnv, cache: LocalCache):
    from ninja_desk.ninjaone.client import NinjaOneClient

    alerts.pipeline().ingest_payloads([activity(1, "s2")])
    route = respx.post("https://eu.ninjarmm.com/v2/alert/s2/reset").respond(204)

    class Token:
        async def get_token(self) -> str:
            return "t"

        async def refresh_after_unauthorized(self, rejected: str) -> str:
            return "t"

    client = NinjaOneClient("https://eu.ninjarmm.com", Token())  # type: ignore[arg-type]
    svc = service(alerts, cache, NinjaOneApi(client))
    await svc.resolve("s2", reset_in_ninjaone=True)
    assert route.called and json.loads(route.calls[0].request.content)["resolvedBy"] == "jdoe"
    assert (await svc.explain("s2"))["status"] == "resolved"
    respx.post("https://eu.ninjarmm.com/v2/alert/s3/reset").respond(403, json={"error": "x"})
    alerts.pipeline().ingest_payloads([activity(2, "s3")])
    with pytest.raises(AlertActionError, match="management"):
        await svc.resolve("s3", reset_in_ninjaone=True)
    assert (await svc.explain("s3"))["status"] == "active"  # nothing changed
    await client.aclose()


async def test_manual_ticket_once_even_when_suppressed(alerts: AlertEnv, cache: LocalCache):
    alerts.rule("quiet", 1, {}, {"createTicket": False})
    alerts.pipeline().ingest_payloads([activity(1, "s4", severity="MAJOR")])
    svc = service(alerts, cache)
    made = await svc.create_ticket("s4")
    assert made.done and made.ticket_number
    again = await svc.create_ticket("s4")
    assert not again.done and again.ticket_id == made.ticket_id
    info = await svc.explain("s4")
    assert info["outcome"] == "manual_ticket" and "Suppressed" in info["reason"]
    with pytest.raises(Exception, match="no record"):
        await svc.acknowledge("never-seen")


def test_events_reach_the_bus_and_the_outbox(alerts: AlertEnv) -> None:
    seen: list[str] = []
    alerts.psa.bus.subscribe("rmm.alert.*", lambda e: seen.append(e.type))
    alerts.rule("critical", 10)
    pipe = alerts.pipeline()
    pipe.ingest_payloads([activity(1, "s5")])
    pipe.ingest_payloads([activity(2, "s5", "ACKNOWLEDGED")])
    pipe.ingest_payloads([activity(3, "s5", "RESET")])
    pipe.ingest_payloads([activity(3, "s5", "RESET")])  # replay: no second event
    assert seen == [
        "rmm.alert.ticket_created",
        "rmm.alert.received",
        "rmm.alert.acknowledged",
        "rmm.alert.resolved",
    ]
    with alerts.psa.tenant_session(alerts.tenant) as s:
        types = [r.event_type for r in outbox.pending_events(s)]
        assert (
            s.conn.scalar(
                sa.select(sa.func.count()).where(
                    events_outbox.c.tenant == alerts.tenant,
                    events_outbox.c.event_type.like("rmm.alert.%"),
                )
            )
            == 4
        )
    assert "rmm.alert.resolved" in types


def test_rule_test_against_stored_alerts(alerts: AlertEnv) -> None:
    alerts.rule("quiet", 1, {}, {"createTicket": False})
    pipe = alerts.pipeline()
    pipe.ingest_payloads(
        [
            activity(i, f"t{i}", severity=sev, device_id=dev)
            for i, (sev, dev) in enumerate([("CRITICAL", 101), ("MINOR", 102), ("CRITICAL", 301)])
        ]
    )
    probe = Rule("new", "Critical only", conditions={"severities": ["CRITICAL"]})
    got = {r["series_uid"]: r for r in pipe.test_rule(probe, days=100000)}
    assert set(got) == {"t0", "t2"}
    assert got["t0"]["would"] == "ticket" and got["t0"]["priority"] == "P1 - Critical"
    assert got["t2"]["would"] == "org_not_mapped"
    assert pipe.test_rule(probe, days=0.0) == []  # nothing stored in the last 0 days


def test_closing_the_ticket_resets_the_alert_once(alerts: AlertEnv) -> None:
    alerts.rule("reset on close", 10, {}, {"createTicket": True, "resetAlertOnTicketClose": True})
    pipe = alerts.pipeline()
    pipe.ingest_payloads([activity(1, "s6"), activity(2, "s7")])
    assert closed_ticket_resets(pipe) == []
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        ticket_id = s.conn.scalar(
            sa.select(rmm_alerts.c.ticket_id).where(
                rmm_alerts.c.tenant == alerts.tenant, rmm_alerts.c.external_alert_id == "s6"
            )
        )
        # A person closes it in Alga.
        psa_tickets.close_tickets(s, [ticket_id], actor_user_id=alerts.env.admin_id)
    other = alerts.pipeline()  # a second agent asking at the same time gets nothing
    assert closed_ticket_resets(pipe) == ["s6"]
    assert closed_ticket_resets(other) == []
    assert alerts.alert("s6")["status"] == "resolved" and alerts.alert("s7")["status"] == "active"


async def test_explain_names_the_series_a_storm_member_joined(alerts: AlertEnv, cache) -> None:
    alerts.rule("grouped", 1, {}, None, {"group_storms": True})
    pipe = alerts.pipeline()
    pipe.ingest_payloads([activity(1, "lead", device_id=101)])
    pipe.ingest_payloads([activity(2, "member", device_id=102)])
    svc = service(alerts, cache)
    member, lead = await svc.explain("member"), await svc.explain("lead")
    assert member["outcome"] == "duplicate" and member["duplicate_of"] == "lead"
    assert member["ticket_number"] == lead["ticket_number"]
    assert "joined" in member["reason"] and "member" in lead["reason"]


async def test_the_psa_mirror_copies_alga_tickets_into_the_cache(
    alerts: AlertEnv, cache: LocalCache
) -> None:
    from ninja_desk.sync.psa_mirror import PsaMirror

    class Desktop:  # what DesktopPsa offers the mirror
        db, tenant = alerts.psa, alerts.tenant

        def session(self):  # type: ignore[no-untyped-def]
            return alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id)

    alerts.rule("everything", 10)
    alerts.pipeline().ingest_payloads([activity(1, "m1", device_id=101)])
    mirror = PsaMirror(cache, Desktop())
    assert await mirror.run_once() == 1
    (row,) = cache.rows("SELECT number, status, priority, client_name, alert_uid FROM psa_tickets")
    assert (row["number"], row["status"], row["client_name"], row["alert_uid"]) == (
        "TIC000001",
        "New",
        "Contoso Ltd",
        "m1",
    )
    assert row["priority"] == "P1 - Critical"
    assert cache.scalar("SELECT count(*) FROM psa_ticket_devices") == 1


async def test_the_mirror_carries_alga_s_closed_flag_whatever_the_status_is_called(
    alerts: AlertEnv, cache: LocalCache
) -> None:
    """A tenant's closed status may be named "Enchanted Closure": the desktop's open/closed
    filter reads Alga's is_closed, never the status name."""

    from ninja_desk.psa.schema import statuses
    from ninja_desk.sync.psa_mirror import PsaMirror

    class Desktop:
        db, tenant = alerts.psa, alerts.tenant

        def session(self):  # type: ignore[no-untyped-def]
            return alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id)

    with alerts.psa.tenant_session(alerts.tenant) as s:
        s.conn.execute(
            statuses.update()
            .where(statuses.c.tenant == alerts.tenant, statuses.c.is_closed.is_(True))
            .values(name="Enchanted Closure")
        )
    alerts.rule("everything", 10)
    pipe = alerts.pipeline()
    pipe.ingest_payloads([activity(1, "c1", device_id=101)])
    pipe.ingest_payloads([activity(2, "c1", "RESET", device_id=101)])  # auto-resolves it
    await PsaMirror(cache, Desktop()).run_once()
    (row,) = cache.rows("SELECT status, is_closed FROM psa_tickets")
    assert (row["status"], row["is_closed"]) == ("Enchanted Closure", 1)
