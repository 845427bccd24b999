"""Injected faults and the statistics that tell a client whether it behaved."""

from __future__ import annotations

import asyncio

import httpx

from ninja_desk.simulator import AsyncSimControl, SimulatorConfig
from ninja_desk.simulator.faults import FaultInjector
from ninja_desk.simulator.server import RunningSimulator
from ninja_desk.simulator.stats import Stats

from .conftest import client_credentials_token


def test_fault_rates_are_near_configured_and_repeatable() -> None:
    cfg = SimulatorConfig(seed=11, rate_429=0.2, rate_5xx=0.1, rate_429_without_retry_after=0.25)
    draws = [FaultInjector(cfg).draw()]
    a, b = FaultInjector(cfg), FaultInjector(cfg)
    seq_a = [a.draw() for _ in range(4000)]
    seq_b = [b.draw() for _ in range(4000)]
    assert seq_a == seq_b and draws[0] == seq_a[0]
    r429 = [f for f in seq_a if f and f.status == 429]
    r5xx = [f for f in seq_a if f and f.status >= 500]
    assert 0.17 < len(r429) / 4000 < 0.23
    assert 0.08 < len(r5xx) / 4000 < 0.12
    no_header = sum(1 for f in r429 if f.retry_after is None) / len(r429)
    assert 0.18 < no_header < 0.32


async def test_429_with_and_without_retry_after(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    async with AsyncSimControl(sim.base_url) as ctl:
        await ctl.set_faults(rate_429=1.0, retry_after=2)
        resp = await api.get("/v2/devices")
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
        assert resp.json()["resultCode"]
        await ctl.set_faults(rate_429_without_retry_after=1.0)
        resp = await api.get("/v2/devices")
        assert resp.status_code == 429 and "Retry-After" not in resp.headers
        await ctl.set_faults(rate_429=0.0, rate_5xx=1.0)
        assert (await api.get("/v2/devices")).status_code in (500, 502, 503)
        await ctl.set_faults(rate_5xx=0.0)
        assert (await api.get("/v2/devices")).status_code == 200
        stats = await ctl.stats()
        assert stats["statuses"]["429"] == 2
        assert stats["faults"]["429_without_retry_after"] == 1
        assert stats["requests"]["GET /v2/devices"] == 4


async def test_early_requests_are_counted_per_client(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    async with AsyncSimControl(sim.base_url) as ctl:
        await ctl.set_faults(rate_429=1.0, retry_after=0.8)
        assert (await api.get("/v2/devices")).status_code == 429
        await ctl.set_faults(rate_429=0.0)
        await asyncio.sleep(0.25)  # past the in-flight window
        await api.get("/v2/devices")  # the client knew, and came back anyway
        stats = await ctl.stats()
        assert stats["early_requests"] == 1
        assert stats["early_by_client"] == {"demo-client": 1}
        detail = stats["early_details"][0]
        assert detail["endpoint"] == "GET /v2/devices" and detail["early_by_s"] > 0.3
        await asyncio.sleep(0.55)  # Retry-After honoured (within the 50 ms tolerance)
        assert (await api.get("/v2/devices")).status_code == 200
        assert (await ctl.stats())["early_requests"] == 1
        await ctl.reset_stats()
        assert (await ctl.stats())["early_requests"] == 0


def test_early_rule_spares_in_flight_requests_and_honours_tolerance() -> None:
    stats = Stats()
    stats.note_retry_after("app", 100.0, 1.0)  # 429 sent at t=100 with Retry-After: 1
    assert not stats.check_early("app", 100.02)  # already in flight when the 429 went out
    assert not stats.check_early("app", 100.15)  # may have left before the 429 was read
    assert not stats.check_early("other-app", 100.5)  # another client is not throttled
    assert stats.check_early("app", 100.5, "GET /v2/devices")  # knew, came back anyway
    assert not stats.check_early("app", 100.96)  # within 50 ms of the deadline: on time
    assert not stats.check_early("app", 100.5)  # the window closed with the on-time retry
    assert stats.early_requests == 1
    assert stats.early_details == [
        {"client": "app", "endpoint": "GET /v2/devices", "after_429_s": 0.5, "early_by_s": 0.5}
    ]
    # A later, longer Retry-After extends the window; a shorter one does not shorten it.
    stats.note_retry_after("app", 200.0, 2.0)
    stats.note_retry_after("app", 200.5, 0.5)
    assert stats.check_early("app", 201.5)


async def test_latency_is_added(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    async with AsyncSimControl(sim.base_url) as ctl:
        await ctl.set_faults(latency_ms=150)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await api.get("/v2/organizations")
        assert loop.time() - start >= 0.14
        await ctl.set_faults(latency_ms=0)
        bad = await api.post("/_sim/faults", json={"rate_429": 2})
        assert bad.status_code == 400


async def test_token_lifetime_changes_at_runtime(
    http: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    async with AsyncSimControl(sim.base_url) as ctl:
        assert (await ctl.set_faults(token_lifetime=1))["token_lifetime"] == 1
        token = await client_credentials_token(http)
        assert token["expires_in"] == 1
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        assert (await http.get("/v2/devices", headers=auth)).status_code == 200
        await asyncio.sleep(1.05)
        assert (await http.get("/v2/devices", headers=auth)).status_code == 401


async def test_delete_with_body_is_400(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    uid = next(iter(sim.tenant.alerts))
    resp = await api.request(
        "DELETE",
        f"/v2/alert/{uid}",
        content=b'{"x":1}',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert uid in sim.tenant.alerts
