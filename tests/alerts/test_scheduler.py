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


async def test_a_failed_job_is_logged_with_its_traceback_and_runs_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sched = Scheduler()
    attempts: list[int] = []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise KeyError("sync_state")

    sched.every("flaky", 0.05, flaky, jitter=0)
    runner = asyncio.create_task(sched.run())
    with caplog.at_level("WARNING", logger="ninja_desk.sync.scheduler"):
        while len(attempts) < 3:
            await asyncio.sleep(0.02)
    sched.stop()
    await asyncio.wait_for(runner, 2)
    [record] = [r for r in caplog.records if "flaky failed" in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    assert "in flaky" in caplog.text  # the traceback, down to the failing line
    assert sched.jobs["flaky"].last_error is None  # the later runs succeeded


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
