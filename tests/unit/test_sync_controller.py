"""The desktop's sync controller: one sync at a time, cancellable, one outcome in words."""

from __future__ import annotations

import asyncio

import pytest

from ninja_desk.sync.progress import SyncProgress
from ninja_desk.sync.results import SyncResult
from ninja_desk.sync.sync_controller import (
    ALREADY_RUNNING,
    CANCELLED,
    NOT_CONNECTED,
    SyncController,
    SyncOutcome,
    SyncRefused,
)


class Engine:
    """Stands in for NinjaOne behind the SyncEngine: a sync that takes `seconds`."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.calls: list[object] = []

    async def sync(self, mode: str, progress) -> SyncResult:  # type: ignore[no-untyped-def]
        self.calls.append(mode)
        progress(SyncProgress("devices", 12, "Fetching devices…"))
        await asyncio.sleep(self.seconds)
        return SyncResult(kind="full", run_id=1, devices=12, seconds=1.25)

    async def sync_devices(self, ids: list[int], progress) -> SyncResult:  # type: ignore[no-untyped-def]
        self.calls.append(ids)
        return SyncResult(kind="incremental", run_id=2, devices=len(ids), seconds=0.5)


class Agent:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.after: list[bool] = []

    async def after_sync(self, full: bool) -> None:
        self.after.append(full)
        if self.fail:
            raise ConnectionRefusedError("the PSA database did not answer")


def controller(engine=None, agent=None):  # type: ignore[no-untyped-def]
    seen: dict[str, list] = {"started": [], "finished": [], "progress": []}
    c = SyncController(
        lambda: engine,
        lambda: agent,
        progress=seen["progress"].append,
        on_started=lambda: seen["started"].append(True),
        on_finished=seen["finished"].append,
    )
    return c, seen


async def test_a_fleet_sync_then_the_psa_follow_up_in_one_outcome() -> None:
    engine, agent = Engine(), Agent()
    c, seen = controller(engine, agent)
    outcome = await c.start()
    assert engine.calls == ["auto"] and agent.after == [True]
    assert outcome == SyncOutcome("Full sync finished: 12 devices in 1.2 s.", result=outcome.result)
    assert seen["started"] == [True] and seen["finished"] == [outcome]
    assert [p.done for p in seen["progress"]] == [12]
    assert not c.running


async def test_selected_devices_sync_alone_without_the_psa_follow_up() -> None:
    engine, agent = Engine(), Agent()
    c, _seen = controller(engine, agent)
    outcome = await c.start([4, 5])
    assert engine.calls == [[4, 5]] and agent.after == []
    assert outcome.message == "Incremental sync finished: 2 devices in 0.5 s."


async def test_never_two_at_once_and_cancel_keeps_the_cache() -> None:
    c, seen = controller(Engine(seconds=5))
    task = c.start()
    await asyncio.sleep(0)
    assert c.running
    with pytest.raises(SyncRefused, match=ALREADY_RUNNING):
        c.start()
    c.cancel()
    outcome = await task
    assert outcome.cancelled and outcome.message == CANCELLED and outcome.problem is None
    assert seen["finished"] == [outcome] and not c.running


async def test_a_psa_failure_after_the_sync_is_a_sentence_not_a_failed_sync() -> None:
    c, _seen = controller(Engine(), Agent(fail=True))
    outcome = await c.start()
    assert outcome.message.startswith("Full sync finished")
    assert outcome.problem == (
        "Synced, but the PSA database was not updated: the PSA database did not answer. "
        "It will retry."
    )


async def test_a_failed_sync_says_what_to_do() -> None:
    class Down(Engine):
        async def sync(self, mode: str, progress) -> SyncResult:  # type: ignore[no-untyped-def]
            raise ConnectionError("NinjaOne did not answer")

    c, _seen = controller(Down())
    outcome = await c.start()
    assert (
        outcome.problem
        == outcome.message
        == (
            "Sync failed: NinjaOne did not answer. The cache still shows the last good sync; "
            "press F5 to retry."
        )
    )


def test_without_a_connection_nothing_starts() -> None:
    c, seen = controller(None)
    with pytest.raises(SyncRefused, match="Connect NinjaOne in Settings") as refused:
        c.start()
    assert str(refused.value) == NOT_CONNECTED
    assert seen["started"] == [] and c.task is None
