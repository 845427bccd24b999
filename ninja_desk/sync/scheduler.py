"""Run async jobs on intervals until told to stop (the headless agent's clock).

Each job runs in its own task, never overlapping itself; a failure is logged with its traceback
and the job runs again at its next turn. `trigger(name)` runs a job now (a relay gap asks for
an alert poll).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ninja_desk.core.tasks import cancel_and_wait

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    interval: float
    fn: Callable[[], Awaitable[object]]
    first_delay: float = 0.0
    jitter: float = 0.1
    runs: int = 0
    failures: int = 0
    last_error: str | None = None
    last_run_at: float | None = None
    last_seconds: float | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)


class Scheduler:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    def every(
        self,
        name: str,
        interval: float,
        fn: Callable[[], Awaitable[object]],
        *,
        first_delay: float = 0.0,
        jitter: float = 0.1,
    ) -> Job:
        if interval <= 0:
            raise ValueError(f"Job {name} needs a positive interval.")
        job = Job(name, interval, fn, first_delay, jitter)
        self.jobs[name] = job
        return job

    def trigger(self, name: str) -> None:
        job = self.jobs.get(name)
        if job is not None:
            job._wake.set()

    async def _loop(self, job: Job) -> None:
        delay = job.first_delay
        while not self._stop.is_set():
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(job._wake.wait(), timeout=delay)
            if self._stop.is_set():
                return
            job._wake.clear()
            started = time.monotonic()
            try:
                await job.fn()
                job.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                job.failures += 1
                job.last_error = str(exc) or type(exc).__name__
                # With its traceback: the one-line reason alone cannot tell a NinjaOne outage
                # from a bug in the job, and the schedule goes on either way.
                log.warning("Scheduled job %s failed: %s", job.name, job.last_error, exc_info=exc)
            job.runs += 1
            job.last_run_at = time.time()
            job.last_seconds = round(time.monotonic() - started, 3)
            # Several agents started together should not hit NinjaOne in lockstep.
            delay = job.interval * (1 + random.uniform(-job.jitter, job.jitter))

    async def run(self) -> None:
        """Run every job until `stop()`; returns when they have all finished their turn."""
        self._tasks = [
            asyncio.create_task(self._loop(j), name=f"job-{j.name}") for j in self.jobs.values()
        ]
        try:
            await self._stop.wait()
        finally:
            await cancel_and_wait(self._tasks)

    def stop(self) -> None:
        self._stop.set()
        for job in self.jobs.values():
            job._wake.set()
