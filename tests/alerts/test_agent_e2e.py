"""End to end: simulator -> webhook -> relay -> agent -> alert pipeline -> PSA ticket.

The simulator runs in its own thread; the relay and the agent share the test's loop. The agent
first syncs and pushes the fleet as assets, then a CRITICAL alert triggered in the simulator
must become a ticket in the PSA, and its RESET must resolve the untouched ticket.

`ninja-desk agent --once` runs as a real process: one sync, push and alert round, exit 0; as a
companion of Alga's own NinjaOne integration it syncs its cache and writes nothing to the PSA.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.session import open_api
from ninja_desk.ninjaone.webhooks import build_webhook_config, register_webhook
from ninja_desk.psa.integrations import ALGA_SYNC_OFF, update_settings
from ninja_desk.psa.schema import assets, rmm_alerts, rmm_integrations, statuses, tickets
from ninja_desk.simulator import AsyncSimControl, SimulatorConfig, run_simulator_in_thread
from ninja_desk.sync.agent import Agent, AgentConfig
from ninja_desk.sync.engine import SyncEngine
from tests.alerts.conftest import AlertEnv
from tests.psa.conftest import PsaEnv
from tests.psa.helpers import setup_integration
from tests.relay.conftest import start_relay

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim():
    with run_simulator_in_thread(SimulatorConfig(orgs=2, devices=12, seed=5)) as running:
        yield running


@pytest.fixture
def e2e(pg: PsaEnv) -> AlertEnv:
    integration, clients = setup_integration(
        pg.psa, pg.tenant, pg.admin_id, {1: "Org one", 2: "Org two"}
    )
    # NinjaDesk is primary here: Alga's own device sync and alert polling are off (the row
    # setup_integration writes is Alga's own integration, running).
    with pg.psa.tenant_session(pg.tenant) as s:
        update_settings(s, integration, ALGA_SYNC_OFF)
    env = AlertEnv(pg, integration, clients)
    env.rule("critical", 1, {"severities": ["critical"]})  # a ticket each, no storm groups
    return env


RESOLVED = ("resolved", "auto_resolved")  # Alga's words for an alert its RESET ended


def resolved(state: tuple[str | None, bool | None]) -> bool:
    return state[0] in RESOLVED and state[1] is True


def ticket_state(a: AlertEnv, uid: str) -> tuple[str | None, bool | None]:
    with a.psa.tenant_session(a.tenant) as s:
        row = s.conn.execute(
            sa.select(rmm_alerts.c.status, statuses.c.is_closed)
            .select_from(
                rmm_alerts.join(
                    tickets,
                    sa.and_(
                        tickets.c.tenant == rmm_alerts.c.tenant,
                        tickets.c.ticket_id == rmm_alerts.c.ticket_id,
                    ),
                ).join(
                    statuses,
                    sa.and_(
                        statuses.c.tenant == tickets.c.tenant,
                        statuses.c.status_id == tickets.c.status_id,
                    ),
                )
            )
            .where(rmm_alerts.c.tenant == a.tenant, rmm_alerts.c.external_alert_id == uid)
        ).first()
    return (row.status, row.is_closed) if row else (None, None)


async def wait_for(check, timeout: float) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if await asyncio.to_thread(check):
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"not done within {timeout} s")


async def test_simulator_alert_becomes_a_ticket_and_reset_resolves_it(
    sim,
    e2e: AlertEnv,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """Two agents follow the same relay (as two sites would): one ticket, both know it."""
    relay = await start_relay(f"sqlite:///{tmp_path / 'relay.db'}")
    secret = relay.endpoint("ninja")
    api = open_api(
        sim.base_url,
        "demo-client",
        "demo-secret",
        rate_per_second=500,
        retry=RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.1),
        lock_dir=tmp_path,
    )
    agents, caches, tasks = [], [], []
    for n in (1, 2):
        cache = LocalCache(tmp_path / f"cache{n}.sqlite3")
        agent = Agent(
            AgentConfig(
                e2e.tenant,
                e2e.integration,
                relay_url=relay.url,
                relay_token=relay.subscriber(f"agent{n}"),
                ninjaone_url=sim.base_url,
                alert_poll_interval=3600,
                sync_interval=3600,
                first_poll_delay=3600,
                first_sync_delay=0 if n == 1 else 3600,
                cursor_file=tmp_path / f"cursor{n}.json",
            ),
            cache=cache,
            psa=e2e.psa,
            engine=SyncEngine(api, cache),
        )
        agents.append(agent)
        caches.append(cache)
        tasks.append(asyncio.create_task(agent.run()))
    first = agents[0]
    try:
        await register_webhook(api.client, build_webhook_config(f"{relay.url}/hooks/ninja", secret))
        await wait_for(
            lambda: first.stats.pushes >= 1 and all(a.stats.relay_state == "live" for a in agents),
            30,
        )
        device_id = min(sim.tenant.fleet.devices)
        async with AsyncSimControl(sim.base_url) as ctl:
            alert = await ctl.trigger_alert(device_id, "CRITICAL", message="CPU on fire")
            uid = alert["uid"]
            # How fast is bench material (bench/alert_bench.py); here: that it happens, once.
            await wait_for(lambda: ticket_state(e2e, uid)[0] == "active", 20)
            assert ticket_state(e2e, uid) == ("active", False)
            await wait_for(lambda: all(a.stats.relay_events >= 1 for a in agents), 20)
            await ctl.reset_alert(uid)
            await wait_for(lambda: resolved(ticket_state(e2e, uid)), 20)
        # One ticket although both agents applied the webhook; both caches show it offline.
        assert sum(a.stats.tickets_created for a in agents) == 1
        with e2e.psa.tenant_session(e2e.tenant) as s:
            count = sa.select(sa.func.count()).where(tickets.c.tenant == e2e.tenant)
            assert s.conn.scalar(count) == 1
        for cache in caches:
            await wait_for(
                lambda c=cache: (
                    c.scalar("SELECT ticket_number FROM alerts WHERE uid = :u", u=uid) is not None
                ),
                20,
            )
    finally:
        for agent in agents:
            agent.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)
        await api.client.aclose()
        for cache in caches:
            cache.close()
        await relay.runner.cleanup()


def test_cli_agent_polls_alerts_into_tickets_and_stops_on_sigterm(
    sim,
    e2e: AlertEnv,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """`ninja-desk agent` as a real process, no relay: the alert poll finds the alert."""
    import httpx

    device_id = min(sim.tenant.fleet.devices)
    uid = httpx.post(
        f"{sim.base_url}/_sim/alerts", json={"device_id": device_id, "severity": "CRITICAL"}
    ).json()["uid"]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NINJA_DESK_CLIENT_SECRET": "demo-secret",
        "NINJA_DESK_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("NINJA_DESK_RELAY_TOKEN", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ninja_desk.cli.main",
            "agent",
            "--psa-url",
            e2e.psa.url,
            "--tenant",
            str(e2e.tenant),
            "--ninjaone-url",
            sim.base_url,
            "--client-id",
            "demo-client",
            "--alert-poll-interval",
            "1",
            "--sync-interval",
            "3600",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 30
        while ticket_state(e2e, uid)[0] != "active":
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.time() < deadline, "the agent made no ticket"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err[-3000:]
    assert "agent stopped" in err
    assert uuid.UUID(str(e2e.tenant))


async def test_activities_from_incremental_sync_feed_the_pipeline(
    sim,
    e2e: AlertEnv,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """No relay: the incremental sync's CONDITION activities still make and resolve tickets,
    and the ticket carries the device's context from the PSA asset the push created."""
    api = open_api(
        sim.base_url,
        "demo-client",
        "demo-secret",
        rate_per_second=500,
        retry=RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.1),
        lock_dir=tmp_path,
    )
    cache = LocalCache(tmp_path / "cache.sqlite3")
    agent = Agent(
        AgentConfig(e2e.tenant, e2e.integration, ninjaone_url="https://eu.ninjarmm.com"),
        cache=cache,
        psa=e2e.psa,
        engine=SyncEngine(api, cache),
    )
    try:
        await agent.sync_once()  # full sync + asset push
        agent._activity_mark = 0
        device_id = min(sim.tenant.fleet.devices)
        async with AsyncSimControl(sim.base_url) as ctl:
            uid = (await ctl.trigger_alert(device_id, "CRITICAL"))["uid"]
            await agent.sync_once()  # incremental: picks up the TRIGGERED activity
            assert ticket_state(e2e, uid) == ("active", False)
            await ctl.reset_alert(uid)
            await agent.sync_once()
            assert resolved(ticket_state(e2e, uid))
        with e2e.psa.tenant_session(e2e.tenant) as s:
            attributes = s.conn.scalar(
                sa.select(tickets.c.attributes)
                .select_from(
                    tickets.join(rmm_alerts, rmm_alerts.c.ticket_id == tickets.c.ticket_id)
                )
                .where(tickets.c.tenant == e2e.tenant, rmm_alerts.c.external_alert_id == uid)
            )
        body = str((attributes or {}).get("description"))
        device = sim.tenant.fleet.devices[device_id]
        assert f"/#/deviceDashboard/{device_id}/overview" in body
        assert "Org one" in body or "Org two" in body  # the mapped PSA client
        assert "- OS: -" not in body and "- IP addresses: -" not in body, body
        assert device is not None
    finally:
        await api.client.aclose()
        cache.close()


def _agent_once(sim, tmp_path: Path, psa_url: str, tenant: str) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NINJA_DESK_CLIENT_SECRET": "demo-secret",
        "NINJA_DESK_DATA_DIR": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    env.pop("NINJA_DESK_RELAY_TOKEN", None)
    return subprocess.run(
        [
            sys.executable,
            *("-m", "ninja_desk.cli.main", "agent", "--once"),
            *("--psa-url", psa_url, "--tenant", tenant),
            *("--ninjaone-url", sim.base_url, "--client-id", "demo-client"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _count(a: AlertEnv, table: sa.Table) -> int:
    with a.psa.tenant_session(a.tenant) as s:
        return s.conn.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.c.tenant == a.tenant)
        )


def test_agent_once_syncs_pushes_and_tickets_then_exits(sim, e2e: AlertEnv, tmp_path: Path):  # type: ignore[no-untyped-def]
    import httpx

    device_id = min(sim.tenant.fleet.devices)
    uid = httpx.post(
        f"{sim.base_url}/_sim/alerts", json={"device_id": device_id, "severity": "CRITICAL"}
    ).json()["uid"]
    tenant_name = _tenant_name(e2e)
    done = _agent_once(sim, tmp_path, e2e.psa.url, tenant_name)  # the tenant by its name
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "One round done (primary): 1 sync, 1 asset push, 1 alert poll" in done.stdout
    assert _count(e2e, assets) == len(sim.tenant.fleet.devices)
    assert ticket_state(e2e, uid) == ("active", False)
    again = _agent_once(sim, tmp_path, e2e.psa.url, str(e2e.tenant))
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 tickets created" in again.stdout  # one alert series, one ticket
    assert _count(e2e, tickets) == 1


def test_agent_once_as_a_companion_writes_nothing_to_the_psa(sim, e2e: AlertEnv, tmp_path: Path):  # type: ignore[no-untyped-def]
    import httpx

    with e2e.psa.tenant_session(e2e.tenant) as s:  # Alga's own integration polls alerts again
        s.conn.execute(
            rmm_integrations.update()
            .where(rmm_integrations.c.tenant == e2e.tenant)
            .values(settings={"alertPolling": {"enabled": True, "intervalMinutes": 5}})
        )
    device_id = min(sim.tenant.fleet.devices)
    httpx.post(f"{sim.base_url}/_sim/alerts", json={"device_id": device_id, "severity": "CRITICAL"})
    done = _agent_once(sim, tmp_path, e2e.psa.url, str(e2e.tenant))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "companion" in done.stdout and "One round done (companion): 1 sync, 0 asset push" in (
        done.stdout
    )
    assert _count(e2e, assets) == 0 and _count(e2e, tickets) == 0 and _count(e2e, rmm_alerts) == 0
    cache = LocalCache(tmp_path / "data" / "cache.sqlite3")
    try:  # its own cache is current: the technician still sees the fleet and remote-connects
        assert cache.scalar("SELECT count(*) FROM devices") == len(sim.tenant.fleet.devices)
    finally:
        cache.close()


def _tenant_name(a: AlertEnv) -> str:
    from ninja_desk.psa.schema import tenants

    with a.psa.tenant_session(a.tenant) as s:
        return s.conn.scalar(sa.select(tenants.c.client_name).where(tenants.c.tenant == a.tenant))
