"""Two syncs on one data folder (two processes in real life, two caches here): the second
waits with the progress "waiting for the other sync" and both finish; no "database is locked"."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ninja_desk.cache.store import LocalCache
from ninja_desk.simulator import SimulatorConfig, run_simulator_in_thread
from ninja_desk.sync.progress import SyncProgress
from tests.integration.conftest import make_engine


async def test_a_second_sync_on_the_same_data_folder_waits_for_the_first(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    config = SimulatorConfig(orgs=3, devices=40, seed=5, latency_ms=20)
    with run_simulator_in_thread(config) as sim:
        caches = [LocalCache(path), LocalCache(path)]  # separate connections and lock handles
        engines = [make_engine(sim.base_url, cache) for cache in caches]
        seen: list[list[SyncProgress]] = [[], []]
        try:
            first = asyncio.create_task(engines[0].sync("full", progress=seen[0].append))
            while not seen[0]:  # the first has started and holds the data folder
                await asyncio.sleep(0.01)
            second = asyncio.create_task(engines[1].sync("full", progress=seen[1].append))
            results = await asyncio.wait_for(asyncio.gather(first, second), 120)
        finally:
            for engine in engines:
                await engine.api.client.aclose()
            for cache in caches:
                cache.close()
    assert [r.kind for r in results] == ["full", "full"]
    assert results[0].devices == results[1].devices == 40
    waiting = [p for p in seen[1] if p.stage == "waiting"]
    assert len(waiting) == 1 and "waiting for the other sync" in waiting[0].message.lower()
    assert seen[1].index(waiting[0]) == 0  # said before any work
    assert not [p for p in seen[0] if p.stage == "waiting"]
    check = LocalCache(path)
    try:
        runs = check.rows("SELECT status, error FROM sync_runs ORDER BY id")
    finally:
        check.close()
    assert runs == [{"status": "ok", "error": None}, {"status": "ok", "error": None}]
