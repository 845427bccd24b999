"""Full and incremental sync against the simulator over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import httpx
import pytest

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.errors import NinjaOneServerError
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.sync.engine import SyncEngine
from tests.integration.conftest import make_engine


def snapshot(cache: LocalCache) -> dict[str, list[tuple]]:
    """Cache content that must not depend on how the data was fetched."""
    volatile = {"synced_at", "seen_run", "deleted_at"}
    columns = [r["name"] for r in cache.rows("PRAGMA table_info(devices)")]
    stable = ", ".join(c for c in columns if c not in volatile)
    return {
        "devices": [
            tuple(r.values()) for r in cache.rows(f"SELECT {stable} FROM devices ORDER BY id")
        ],
        "software": [
            tuple(r.values())
            for r in cache.rows("SELECT * FROM software ORDER BY device_id, name, version")
        ],
        "os_patches": [
            tuple(r.values()) for r in cache.rows("SELECT * FROM os_patches ORDER BY device_id, id")
        ],
        "software_patches": [
            tuple(r.values())
            for r in cache.rows("SELECT * FROM software_patches ORDER BY device_id, id")
        ],
        "antivirus": [
            tuple(r.values()) for r in cache.rows("SELECT * FROM antivirus ORDER BY device_id")
        ],
        "organizations": [tuple(r.values()) for r in cache.rows("SELECT * FROM organizations")],
        "alerts": [
            tuple(r.values())
            for r in cache.rows("SELECT uid, device_id, status FROM alerts ORDER BY uid")
        ],
    }


async def ninjaone_device_ids(base_url: str) -> set[int]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        token = (
            await http.post(
                "/ws/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "demo-client",
                    "client_secret": "demo-secret",
                    "scope": "monitoring",
                },
            )
        ).json()["access_token"]
        ids: set[int] = set()
        after = 0
        while True:
            page = (
                await http.get(
                    "/v2/devices",
                    params={"pageSize": 1000, "after": after},
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).json()
            ids.update(d["id"] for d in page)
            if len(page) < 1000:
                return ids
            after = page[-1]["id"]


async def test_full_sync_caches_every_device_with_its_inventory(
    sim, engine: SyncEngine, cache: LocalCache
) -> None:
    result = await engine.sync("full")
    cached = {r["id"] for r in cache.rows("SELECT id FROM devices WHERE deleted = 0")}
    assert cached == await ninjaone_device_ids(sim.base_url)
    assert result.devices == len(cached)
    assert result.organizations == 4
    assert result.software_rows == cache.scalar("SELECT count(*) FROM software") > 0
    # Bulk endpoints only: never one call per device.
    assert not any("/device/{id}" in key for key in result.api_calls_by_endpoint)
    assert result.api_calls_by_endpoint["GET /v2/devices-detailed"] == 1
    per_device = cache.rows(
        "SELECT d.id, d.software_count, (SELECT count(*) FROM software s WHERE s.device_id = d.id)"
        " AS n FROM devices d"
    )
    assert all(r["software_count"] == r["n"] for r in per_device)
    run = cache.last_sync_run()
    assert run["status"] == "ok" and run["kind"] == "full" and run["devices"] == len(cached)
    assert cache.meta("activities_high_water") is not None


async def test_incremental_catches_rename_move_and_delete_made_while_offline(
    sim, ctl, engine: SyncEngine, cache: LocalCache
) -> None:
    await engine.sync("full")
    rows = cache.rows("SELECT id, organization_id FROM devices WHERE deleted = 0 ORDER BY id")
    renamed, moved, deleted = rows[0]["id"], rows[1]["id"], rows[2]["id"]
    other_org = next(
        r["id"]
        for r in cache.rows("SELECT id FROM organizations")
        if r["id"] != rows[1]["organization_id"]
    )
    ctl.rename_device(renamed, "FRONT-DESK-07")
    ctl.move_device(moved, other_org)
    ctl.delete_device(deleted)

    result = await engine.sync("incremental")

    assert result.kind == "incremental" and result.fell_back is None
    assert result.api_calls <= 10
    assert cache.scalar("SELECT name FROM devices WHERE id = :i", i=renamed) == "FRONT-DESK-07"
    assert cache.scalar("SELECT organization_id FROM devices WHERE id = :i", i=moved) == other_org
    assert cache.scalar("SELECT deleted FROM devices WHERE id = :i", i=deleted) == 1
    assert cache.scalar("SELECT count(*) FROM software WHERE device_id = :i", i=deleted) == 0


async def test_incremental_keeps_online_and_offline_state_true(
    sim, ctl, engine: SyncEngine, cache: LocalCache, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Offline changes come as a CONDITION activity, or (no condition configured) as nothing."""
    await engine.sync("full")
    online = [r["id"] for r in cache.rows(
        "SELECT id FROM devices WHERE deleted = 0 AND offline = 0 ORDER BY id")]  # fmt: skip
    offline = [r["id"] for r in cache.rows(
        "SELECT id FROM devices WHERE deleted = 0 AND offline = 1 ORDER BY id")]  # fmt: skip
    assert len(online) >= 2 and offline
    silent, by_condition, back = online[0], online[1], offline[0]
    ctl.set_offline(silent, True, report="none")
    ctl.set_offline(by_condition, True, report="condition")
    ctl.set_offline(back, False, report="none")

    result = await engine.sync("incremental")

    assert result.kind == "incremental" and result.fell_back is None
    state = {r["id"]: r["offline"] for r in cache.rows("SELECT id, offline FROM devices")}
    assert (state[silent], state[by_condition], state[back]) == (1, 1, 0)
    assert result.api_calls <= 10
    assert result.api_calls_by_endpoint.get("GET /v2/devices") == 1  # the status pass
    assert result.devices == 3
    # The cache now says what a fresh full sync would.
    fresh = LocalCache(tmp_path / "fresh.sqlite3")
    other = make_engine(sim.base_url, fresh)
    try:
        await other.sync("full")
        truth = {r["id"]: r["offline"] for r in fresh.rows("SELECT id, offline FROM devices")}
    finally:
        await other.api.client.aclose()
        fresh.close()
    assert state == truth
    # `devices --json` reads the same rows.
    from ninja_desk.cli.main import main

    monkeypatch.setenv("NINJA_DESK_DATA_DIR", str(tmp_path))
    assert main(["devices", "--json", "--data-dir", str(tmp_path)]) == 0
    listed = {d["id"]: d["offline"] for d in json.loads(capsys.readouterr().out)}
    assert (listed[silent], listed[by_condition], listed[back]) == (True, True, False)


async def test_incremental_without_a_high_water_mark_falls_back_to_full_and_says_why(
    engine: SyncEngine, cache: LocalCache
) -> None:
    result = await engine.sync("incremental")
    assert result.kind == "full"
    assert "high-water" in (result.fell_back or "")
    assert cache.scalar("SELECT count(*) FROM devices") > 0


async def test_vanished_devices_are_tombstoned_and_revived_when_they_return(
    sim, ctl, engine: SyncEngine, cache: LocalCache
) -> None:
    await engine.sync("full")
    gone = cache.scalar("SELECT min(id) FROM devices")
    ctl.delete_device(gone)
    await engine.sync("full")
    assert cache.scalar("SELECT deleted FROM devices WHERE id = :i", i=gone) == 1
    assert cache.scalar("SELECT deleted_at FROM devices WHERE id = :i", i=gone) is not None
    # The tombstone keeps what we knew about the device.
    assert cache.scalar("SELECT name FROM devices WHERE id = :i", i=gone)

    # A device that comes back (here: cached as deleted although NinjaOne still has it).
    back = cache.scalar("SELECT max(id) FROM devices WHERE deleted = 0")
    await cache.write(lambda conn: conn.exec_driver_sql(
        "UPDATE devices SET deleted = 1, deleted_at = 1 WHERE id = ?", (back,)
    ))  # fmt: skip
    await engine.sync("full")
    assert cache.scalar("SELECT deleted FROM devices WHERE id = :i", i=back) == 0
    assert cache.scalar("SELECT deleted_at FROM devices WHERE id = :i", i=back) is None


async def test_faults_do_not_change_what_ends_up_in_the_cache(sim, ctl, tmp_path: Path) -> None:
    clean = LocalCache(tmp_path / "clean.sqlite3")
    faulty = LocalCache(tmp_path / "faulty.sqlite3")
    try:
        clean_engine = make_engine(sim.base_url, clean)
        await clean_engine.sync("full")
        await clean_engine.api.client.aclose()

        ctl.reset_stats()
        ctl.set_faults(rate_429=0.10, rate_5xx=0.02, retry_after=0.15)
        faulty_engine = make_engine(sim.base_url, faulty)
        # Small pages: ~300 requests, so the injected faults certainly hit mid-pagination.
        faulty_engine.api.list_page_size, faulty_engine.api.report_page_size = 5, 40
        result = await faulty_engine.sync("full")
        await faulty_engine.api.client.aclose()
        stats = ctl.stats()
        ctl.set_faults(rate_429=0.0, rate_5xx=0.0)

        assert snapshot(faulty) == snapshot(clean)
        assert stats["statuses"].get("429", 0) > 0
        assert any(code.startswith("5") for code in stats["statuses"])
        assert sum(faulty_engine.api.client.retries.values()) > 0
        assert stats["early_requests"] == 0
        assert result.devices == clean.scalar("SELECT count(*) FROM devices")
    finally:
        clean.close()
        faulty.close()


async def test_cancelled_full_sync_leaves_the_previous_cache_intact(
    sim, ctl, engine: SyncEngine, cache: LocalCache
) -> None:
    await engine.sync("full")
    before = snapshot(cache)
    ctl.set_faults(latency_ms=300)
    task = asyncio.create_task(engine.sync("full"))
    await asyncio.sleep(0.5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    ctl.set_faults(latency_ms=0)
    assert snapshot(cache) == before
    assert cache.last_sync_run()["status"] == "cancelled"
    # The indexes a full sync rebuilds at its end are back with the rolled-back transaction.
    schema = {r["name"] for r in cache.rows("SELECT name FROM sqlite_master")}
    assert {"ix_device_software_title", "devices_fts_insert", "devices_fts_update"} <= schema


def found(cache: LocalCache, text: str) -> set[int]:
    rows = cache.rows("SELECT rowid FROM devices_fts WHERE devices_fts MATCH :q", q=f'"{text}"')
    return {r["rowid"] for r in rows}


async def test_device_search_finds_what_full_and_incremental_syncs_stored(
    sim, ctl, engine: SyncEngine, cache: LocalCache
) -> None:
    await engine.sync("full")
    devices = cache.rows("SELECT id, name FROM devices WHERE deleted = 0 ORDER BY id")
    assert all(d["id"] in found(cache, d["name"]) for d in devices)
    renamed = devices[1]["id"]
    ctl.rename_device(renamed, "Zebra-Kiosk-77")
    await engine.sync("incremental")
    assert found(cache, "Zebra-Kiosk") == {renamed}
    ctl.rename_device(renamed, "Okapi-Till-12")
    await engine.sync("full")
    assert found(cache, "Zebra-Kiosk") == set()
    assert found(cache, "Okapi-Till") == {renamed}


async def test_a_full_sync_that_fails_midway_keeps_the_previous_cache_and_says_why(
    sim, ctl, engine: SyncEngine, cache: LocalCache, caplog: pytest.LogCaptureFixture
) -> None:
    await engine.sync("full")
    before = snapshot(cache)
    api = engine.api
    # Small pages so every dataset is mid-pagination (and mid-write) when NinjaOne fails.
    api.list_page_size, api.report_page_size = 5, 40
    api.client.retry = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
    ctl.set_faults(rate_5xx=0.3)
    try:
        with pytest.raises(NinjaOneServerError, match="try again later"):
            await engine.sync("full")
    finally:
        ctl.set_faults(rate_5xx=0.0)
    assert snapshot(cache) == before
    run = cache.last_sync_run()
    assert run["status"] == "failed" and "try again later" in run["error"]
    schema = {r["name"] for r in cache.rows("SELECT name FROM sqlite_master")}
    assert {"ix_device_software_title", "devices_fts_insert"} <= schema
    # No dataset goes on fetching and writing into the rolled-back transaction.
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert "never retrieved" not in caplog.text
    await engine.sync("full")  # and the next sync works on the same cache
    assert snapshot(cache) == before
