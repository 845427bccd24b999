"""Live webhooks keep the cache true: a device that goes offline shows offline within seconds."""

from __future__ import annotations

from ninja_desk.cache.store import LocalCache
from ninja_desk.simulator import SimControl
from ninja_desk.sync.engine import SyncEngine
from ninja_desk.sync.live_updates import LiveUpdater


async def _offline_flag(cache: LocalCache, device_id: int) -> int:
    return cache.scalar("SELECT offline FROM devices WHERE id = :id", id=device_id)


async def test_agent_offline_condition_refreshes_the_device(
    engine: SyncEngine, cache: LocalCache, ctl: SimControl
) -> None:
    await engine.sync("full")
    device_id = cache.scalar("SELECT id FROM devices WHERE offline = 0 ORDER BY id LIMIT 1")
    newest = await engine.api.last_activity_id() or 0
    ctl.set_offline(device_id, True, report="condition")
    activities, _ = await engine.api.activities_since(newest)
    condition = next(
        a
        for a in activities
        if a.get("activityType") == "CONDITION" and a.get("deviceId") == device_id
    )

    updater = LiveUpdater(cache, engine, debounce_seconds=30.0)
    try:
        assert await _offline_flag(cache, device_id) == 0
        batch = await updater.apply_batch([condition, {"activityType": "CONDITION"}])
        # Parsed once and handed back for the alert pipeline; the unreadable one is counted.
        assert [a.device_id for a in batch.conditions] == [device_id]
        assert batch.unreadable == 1
        assert cache.scalar("SELECT count(*) FROM activities WHERE id = :id", id=condition["id"])
        await updater.flush()
        assert await _offline_flag(cache, device_id) == 1
    finally:
        await updater.aclose()
