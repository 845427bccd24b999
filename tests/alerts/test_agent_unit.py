"""Agent logic without a simulator: a stub NinjaOne API, the real pipeline and PSA."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ninja_desk.cache.store import LocalCache
from ninja_desk.psa import tickets as psa_tickets
from ninja_desk.psa.schema import rmm_alerts, tickets
from ninja_desk.sync.agent import Agent, AgentConfig, FileCursorStore
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import load


class StubApi:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.resets: list[str] = []
        self.polled = asyncio.Event()

    async def alerts(self, df: str | None = None) -> list[dict[str, Any]]:
        self.polled.set()
        return list(self.rows)

    async def reset_alert(self, uid: str, note: dict[str, Any] | None = None) -> None:
        self.resets.append(uid)


class StubEngine:
    def __init__(self) -> None:
        self.api = StubApi()


@pytest.fixture
def cache(tmp_path: Path):
    local = LocalCache(tmp_path / "cache.sqlite3")
    yield local
    local.close()


def agent_for(a: AlertEnv, cache: LocalCache, **kw: Any) -> tuple[Agent, StubApi]:
    engine = StubEngine()
    config = AgentConfig(
        a.tenant,
        a.integration,
        alert_poll_interval=3600,
        sync_interval=3600,
        first_poll_delay=3600,
        first_sync_delay=3600,
        **kw,
    )
    return Agent(config, cache=cache, psa=a.psa, engine=engine), engine.api  # type: ignore[arg-type]


async def test_a_relay_gap_polls_alerts_at_once(alerts: AlertEnv, cache: LocalCache) -> None:
    alerts.rule("all", 1, {}, None, {"group_storms": True})
    agent, api = agent_for(alerts, cache)
    api.rows = load("alerts/alerts_mixed.json")
    task = asyncio.create_task(agent.run())
    try:
        await asyncio.wait_for(agent.ready.wait(), 10)
        agent.scheduler.jobs["sync"].fn = _noop  # the stub has no sync
        await agent._on_gap(42)
        await asyncio.wait_for(api.polled.wait(), 5)
        for _ in range(200):
            if agent.stats.polls:
                break
            await asyncio.sleep(0.02)
        assert agent.stats.polls == 1 and agent.stats.tickets_created == 3
        assert cache.scalar("SELECT count(*) FROM alerts WHERE ticket_id IS NOT NULL") == 3
    finally:
        agent.stop()
        await asyncio.wait_for(task, 10)


async def _noop() -> None:
    return None


async def test_poll_resets_alerts_whose_ticket_was_closed(alerts: AlertEnv, cache: LocalCache):
    alerts.rule("close resets", 1, {}, {"createTicket": True, "resetAlertOnTicketClose": True})
    agent, api = agent_for(alerts, cache)
    row = load("alerts_with_severity.json")[0]
    api.rows = [row]
    await agent.poll_alerts()
    with alerts.psa.tenant_session(alerts.tenant, alerts.env.admin_id) as s:
        ticket_ids = s.conn.scalars(
            sa.select(tickets.c.ticket_id).where(tickets.c.tenant == alerts.tenant)
        ).all()
        psa_tickets.close_tickets(s, ticket_ids, actor_user_id=alerts.env.admin_id)
    await agent.poll_alerts()  # NinjaOne still lists it: the agent resets it there
    assert api.resets == [row["uid"]]
    api.rows = []
    await agent.poll_alerts()
    assert api.resets == [row["uid"]]  # once
    with alerts.psa.tenant_session(alerts.tenant) as s:
        assert (
            s.conn.scalar(
                sa.select(rmm_alerts.c.status).where(rmm_alerts.c.tenant == alerts.tenant)
            )
            == "resolved"
        )


def test_cursor_file_survives_restarts(tmp_path: Path) -> None:
    store = FileCursorStore(tmp_path / "sub" / "cursor.json")
    assert store.load() is None
    store.save(41)
    store.save(42)
    assert FileCursorStore(tmp_path / "sub" / "cursor.json").load() == 42
    (tmp_path / "sub" / "cursor.json").write_text("{broken")
    assert store.load() is None


def test_agent_cli_needs_the_relay_token(tmp_path: Path, monkeypatch, capsys) -> None:
    from ninja_desk.cli.main import main

    monkeypatch.delenv("NINJA_DESK_RELAY_TOKEN", raising=False)
    code = main(
        [
            "agent",
            "--data-dir",
            str(tmp_path),
            "--relay-url",
            "http://127.0.0.1:9",
            "--psa-url",
            f"sqlite:///{tmp_path / 'psa.sqlite3'}",
        ]
    )
    assert code == 2 and "NINJA_DESK_RELAY_TOKEN" in capsys.readouterr().err
    assert time.time()


async def test_a_relay_storm_is_ingested_as_one_batch(alerts: AlertEnv, cache: LocalCache) -> None:
    from ninja_desk.sync.relay_subscriber import RelayEvent
    from tests.alerts.payloads import activity

    alerts.rule("tickets", 1, {"severities": ["critical"]}, None, {"group_storms": True})
    agent, _api = agent_for(alerts, cache)
    calls: list[int] = []
    real_ingest = agent.pipeline.ingest_activities

    def counting_ingest(activities, *args, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(activities))
        return real_ingest(activities, *args, **kw)

    agent.pipeline.ingest_activities = counting_ingest  # type: ignore[method-assign]
    storm = [
        RelayEvent(seq=n, endpoint="ninja", received_at=0.0,
                   payload=activity(1000 + n, f"series-{n}", device_id=101 + n % 10))
        for n in range(1, 31)
    ]  # fmt: skip
    await agent._on_relay_batch(storm)
    assert calls == [30]  # one pipeline round for the whole storm
    with alerts.psa.tenant_session(alerts.tenant) as s:
        recorded = s.conn.execute(
            sa.select(sa.func.count())
            .select_from(rmm_alerts)
            .where(rmm_alerts.c.tenant == alerts.tenant)
        ).scalar_one()
    assert recorded == 30

    def ticket_count() -> int:
        with alerts.psa.tenant_session(alerts.tenant) as s:
            return s.conn.execute(
                sa.select(sa.func.count())
                .select_from(tickets)
                .where(tickets.c.tenant == alerts.tenant)
            ).scalar_one()

    made = ticket_count()
    assert made >= 1
    # Replaying the same batch (a relay redelivery) changes nothing.
    await agent._on_relay_batch(storm)
    assert ticket_count() == made and calls == [30, 30]


async def test_a_companion_agent_makes_no_tickets_and_pushes_nothing(
    alerts: AlertEnv, cache: LocalCache
) -> None:
    """Alga's own NinjaOne integration makes the tickets: webhooks, polls and syncs of a
    companion agent never reach the pipeline or the asset push."""
    from ninja_desk.sync.relay_subscriber import RelayEvent
    from tests.alerts.payloads import activity

    alerts.rule("tickets", 1, {}, None, {"group_storms": True})
    agent, api = agent_for(alerts, cache, companion=True)
    assert not agent.writes_psa
    api.rows = load("alerts/alerts_mixed.json")
    assert await agent.poll_alerts() is None and not api.polled.is_set()
    await agent._on_relay_batch(
        [RelayEvent(seq=1, endpoint="ninja", received_at=0.0, payload=activity(7, "s-7"))]
    )
    await agent.push_assets(full=True)
    assert agent.stats.relay_events == 1  # applied to the cache
    assert (agent.stats.alerts_ingested, agent.stats.tickets_created, agent.stats.pushes) == (
        0,
        0,
        0,
    )
    with alerts.psa.tenant_session(alerts.tenant) as s:
        for table in (rmm_alerts, tickets):
            count = s.conn.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.c.tenant == alerts.tenant)
            )
            assert count == 0, table.name


async def test_a_webhook_without_severity_stays_unknown_until_ninjaone_says(
    alerts: AlertEnv, cache: LocalCache
) -> None:
    """Parsed once: an absent severity is None in the cache, the series and the ticket text,
    never a made-up NONE, and the poll that reports MAJOR fills it in everywhere."""
    from ninja_desk.psa.schema import ninjadesk_alert_series
    from ninja_desk.sync.relay_subscriber import RelayEvent
    from tests.alerts.payloads import activity

    alerts.rule("everything", 1)
    agent, api = agent_for(alerts, cache)
    body = activity(9, "quiet-1", severity=None)
    await agent._on_relay_batch(
        [RelayEvent(seq=1, endpoint="ninja", received_at=0.0, payload=body)]
    )
    assert agent.stats.tickets_created == 1
    assert cache.scalar("SELECT severity FROM alerts WHERE uid = 'quiet-1'") is None
    assert cache.scalar("SELECT severity FROM activities WHERE id = 9") is None
    with alerts.psa.tenant_session(alerts.tenant) as s:
        known = s.conn.scalar(
            sa.select(ninjadesk_alert_series.c.severity_known).where(
                ninjadesk_alert_series.c.series_uid == "quiet-1"
            )
        )
        ticket_id = s.conn.scalar(
            sa.select(rmm_alerts.c.ticket_id).where(rmm_alerts.c.external_alert_id == "quiet-1")
        )
        description = psa_tickets.get_ticket(s, ticket_id).description or ""
    assert not known
    assert "Severity: not reported" in description

    api.rows = [{**load("alerts_with_severity.json")[0], "uid": "quiet-1", "deviceId": 101}]
    await agent.poll_alerts()
    assert cache.scalar("SELECT severity FROM alerts WHERE uid = 'quiet-1'") == "MAJOR"
