"""Integration fixtures: a real simulator on loopback, a real cache file, the real client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.session import open_api
from ninja_desk.simulator import SimControl, SimulatorConfig, run_simulator_in_thread
from ninja_desk.sync.engine import SyncEngine

# Small but varied: every node class mix, several orgs, inventory on every agent.
SMALL_FLEET = SimulatorConfig(orgs=4, devices=60, seed=3)


@pytest.fixture
def sim() -> Iterator[object]:
    # Its own thread and loop: the synchronous SimControl calls can't block the server.
    with run_simulator_in_thread(SMALL_FLEET) as running:
        yield running


@pytest.fixture
def ctl(sim) -> Iterator[SimControl]:  # type: ignore[no-untyped-def]
    with SimControl(sim.base_url) as control:
        yield control


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    local = LocalCache(tmp_path / "cache.sqlite3")
    yield local
    local.close()


def make_engine(base_url: str, cache: LocalCache) -> SyncEngine:
    api = open_api(
        base_url,
        "demo-client",
        "demo-secret",
        rate_per_second=500,
        retry=RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.1),
    )
    return SyncEngine(api, cache)


@pytest.fixture
async def engine(sim, cache: LocalCache) -> AsyncIterator[SyncEngine]:  # type: ignore[no-untyped-def]
    sync_engine = make_engine(sim.base_url, cache)
    yield sync_engine
    await sync_engine.api.client.aclose()
