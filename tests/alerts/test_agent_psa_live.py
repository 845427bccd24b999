"""The agent keeps Alga current between pushes: a device a webhook changed reaches its asset
within seconds, and a NinjaOne outage shows in Alga as the integration's error (SQLite and
PostgreSQL, the real simulator over loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.session import open_api
from ninja_desk.psa.integrations import ALGA_SYNC_OFF, update_settings
from ninja_desk.psa.schema import assets, ninjadesk_events_outbox, rmm_integrations
from ninja_desk.simulator import SimControl, SimulatorConfig, run_simulator_in_thread
from ninja_desk.sync.agent import Agent, AgentConfig
from ninja_desk.sync.engine import SyncEngine
from tests.psa.conftest import PsaEnv
from tests.psa.helpers import setup_integration


@pytest.fixture
def sim() -> Iterator[object]:
    with run_simulator_in_thread(SimulatorConfig(orgs=2, devices=8, seed=11)) as running:
        yield running


@pytest.fixture
async def agent(sim, psa: PsaEnv, tmp_path: Path) -> AsyncIterator[Agent]:  # type: ignore[no-untyped-def]
    integration, _ = setup_integration(psa.psa, psa.tenant, psa.admin_id, {1: "One", 2: "Two"})
    with psa.psa.tenant_session(psa.tenant) as s:
        update_settings(s, integration, ALGA_SYNC_OFF)  # NinjaDesk is primary
    api = open_api(
        sim.base_url,
        "demo-client",
        "demo-secret",
        rate_per_second=500,
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05),
        lock_dir=tmp_path,
    )
    cache = LocalCache(tmp_path / "cache.sqlite3")
    the_agent = Agent(
        AgentConfig(psa.tenant, integration, ninjaone_url="https://eu.ninjarmm.com"),
        cache=cache,
        psa=psa.psa,
        engine=SyncEngine(api, cache),
    )
    try:
        await the_agent.sync_once()  # full sync + first push
        yield the_agent
    finally:
        await the_agent.live.aclose()
        await api.client.aclose()
        cache.close()


def _asset_name(psa: PsaEnv, device_id: int) -> str | None:
    with psa.psa.tenant_session(psa.tenant) as s:
        return s.conn.scalar(
            sa.select(assets.c.name).where(
                assets.c.tenant == psa.tenant, assets.c.rmm_device_id == str(device_id)
            )
        )


async def test_a_device_changed_by_webhook_reaches_its_asset_at_once(
    agent: Agent,
    sim,
    psa: PsaEnv,  # type: ignore[no-untyped-def]
) -> None:
    device_id = min(sim.tenant.fleet.devices)
    assert _asset_name(psa, device_id) is not None
    assert agent.engine is not None
    newest = await agent.engine.api.last_activity_id() or 0
    with SimControl(sim.base_url) as control:  # closed: a leaked socket fails under -W error
        control.rename_device(device_id, "RENAMED-BY-WEBHOOK")
    activities, _ = await agent.engine.api.activities_since(newest)
    change = next(a for a in activities if a.get("deviceId") == device_id)

    await agent.live.apply_batch([change])  # what the relay delivers
    await agent.live.flush()  # the debounce elapsing

    assert _asset_name(psa, device_id) == "RENAMED-BY-WEBHOOK"


async def test_a_ninjaone_outage_reads_as_the_integration_s_error_in_alga(
    agent: Agent,
    sim,
    psa: PsaEnv,  # type: ignore[no-untyped-def]
) -> None:
    with SimControl(sim.base_url) as control:
        control.set_faults(rate_5xx=1.0)
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises, the agent reports
        await agent.sync_once()
    with psa.psa.tenant_session(psa.tenant) as s:
        row = s.conn.execute(
            sa.select(rmm_integrations.c.sync_status, rmm_integrations.c.sync_error).where(
                rmm_integrations.c.tenant == psa.tenant
            )
        ).one()
        failed = s.conn.scalar(
            sa.select(sa.func.count()).where(
                ninjadesk_events_outbox.c.tenant == psa.tenant,
                ninjadesk_events_outbox.c.event_type == "rmm.sync.failed",
            )
        )
    assert row.sync_status == "error"
    assert row.sync_error.startswith("The NinjaOne sync failed")
    assert failed == 1


async def test_the_agent_announces_its_tickets_on_alga_s_event_bus(
    agent: Agent,
    sim,
    psa: PsaEnv,  # type: ignore[no-untyped-def]
) -> None:
    """With Alga's Redis configured (`psa setup --alga-redis-url`), a ticket the agent makes is
    a TICKET_CREATED entry in Alga's stream: the agent attaches the publisher when it starts."""
    import json
    import uuid as uuid_mod

    import redis

    from ninja_desk.psa import alert_rules
    from ninja_desk.psa.integration_settings import load_settings, save_settings
    from ninja_desk.psa.schema import tickets

    iid = agent.config.integration_id
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        settings = load_settings(s, iid)
        save_settings(
            s,
            type(settings)(iid, settings.mode, alga_redis_url="redis://127.0.0.1:6379/0"),
        )
        alert_rules.create_rule(
            s, iid, "everything", priority_order=1, actions={"createTicket": True}
        )
    with SimControl(sim.base_url) as control:
        control.trigger_alert(min(sim.tenant.fleet.devices), "CRITICAL")
    await agent.run_once()

    with psa.psa.tenant_session(psa.tenant) as s:
        ticket_id = s.conn.scalar(
            sa.select(tickets.c.ticket_id).where(tickets.c.tenant == psa.tenant)
        )
    assert ticket_id is not None
    stream = "alga-psa:event-stream:global:TICKET_CREATED"
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        ours = []
        for entry_id, fields in client.xrange(stream, "-", "+"):
            event = json.loads(fields[b"event"])
            if event["payload"].get("ticketId") == str(ticket_id):
                ours.append(entry_id)
                assert event["eventType"] == "TICKET_CREATED"
                assert event["payload"]["tenantId"] == str(psa.tenant)
                assert uuid_mod.UUID(event["id"])
        assert len(ours) == 1
    finally:
        for channel in ("global", "internal-notifications", "emailservice::v7"):
            name = f"alga-psa:event-stream:{channel}:TICKET_CREATED"
            for entry_id, fields in client.xrange(name, "-", "+"):
                if str(ticket_id) in fields[b"event"].decode():
                    client.xdel(name, entry_id)
        client.close()
