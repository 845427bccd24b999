"""The agent's scheduler: intervals, failures do not stop a job, trigger, clean stop."""

from __future__ import annotations

import asyncio

import pytest

from ninja_desk.sync.scheduler import Scheduler


async def test_jobs_repeat_survive_failures_and_stop_cleanly() -> None:
    sched = Scheduler()
    calls: list[str] = []

    async def ok() -> None:
        calls.append("ok")

    async def broken() -> None:
        calls.append("broken")
        raise RuntimeError("NinjaOne is down")

    sched.every("ok", 0.05, ok, jitter=0)
    failing = sched.every("broken", 0.05, broken, jitter=0)
    runner = asyncio.create_task(sched.run())
    await asyncio.sleep(0.28)
    sched.stop()
    await asyncio.wait_for(runner, 2)
    assert calls.count("ok") >= 4 and calls.count("broken") >= 4
    assert failing.failures == failing.runs and failing.last_error == "NinjaOne is down"


async def test_trigger_runs_a_job_now() -> None:
    sched = Scheduler()
    ran = asyncio.Event()

    async def poll() -> None:
        ran.set()

    sched.every("poll", 3600, poll, first_delay=3600)
    runner = asyncio.create_task(sched.run())
    await asyncio.sleep(0.05)
    assert not ran.is_set()
    sched.trigger("poll")
    await asyncio.wait_for(ran.wait(), 1)
    sched.stop()
    await asyncio.wait_for(runner, 2)


def test_intervals_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Scheduler().every("x", 0, lambda: None)  # type: ignore[arg-type,return-value]
