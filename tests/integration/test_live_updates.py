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

    conditions_seen: list[int] = []

    async def on_condition(activity, payload) -> None:  # type: ignore[no-untyped-def]
        conditions_seen.append(activity.device_id)

    updater = LiveUpdater(cache, engine, on_condition=on_condition, debounce_seconds=30.0)
    try:
        assert await _offline_flag(cache, device_id) == 0
        await updater.apply_payload(condition)
        await updater.flush()
        assert conditions_seen == [device_id]
        assert await _offline_flag(cache, device_id) == 1
    finally:
        await updater.aclose()
