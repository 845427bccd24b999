"""Shared fixtures: a small simulator on the test's loop and an authorised httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ninja_desk.simulator import SimulatorConfig, start_simulator
from ninja_desk.simulator.server import RunningSimulator

ALL_SCOPES = "monitoring management control"
BASE_TIME = 1_759_100_000.0


async def client_credentials_token(
    http: httpx.AsyncClient,
    scope: str = ALL_SCOPES,
    client_id: str = "demo-client",
    secret: str = "demo-secret",
) -> dict:
    resp = await http.post(
        "/ws/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": scope,
        },
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(orgs=4, devices=60, seed=7, base_time=BASE_TIME)


@pytest.fixture
async def sim(sim_config: SimulatorConfig) -> AsyncIterator[RunningSimulator]:
    async with start_simulator(sim_config) as running:
        yield running


@pytest.fixture
async def http(sim: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def api(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """`http` with a Bearer token for all scopes."""
    token = await client_credentials_token(http)
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
    return http
