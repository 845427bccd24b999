"""Device jobs: what a reboot, a script run, a patch scan or apply and a service control
become inside NinjaOne. A job is accepted at once (the API answers 204), shows up in
`GET /v2/device/{id}/jobs` and `/v2/jobs` while it runs, and leaves a trail of activities
sharing one `seriesUid` (the job uid): a "requested" activity, a "started" one and a final one
carrying `activityResult` (reference §7.5: ACTION / SCRIPTING use START_REQUESTED, STARTED,
COMPLETED; patching uses its own *_STARTED / *_COMPLETED codes).

How long a job runs and how it ends are settings of the simulator (`JobSettings`): a default
duration (short, so tests are fast) and outcome rules per device and/or action, changed
through `/_sim/jobs`, `SimControl.set_job_outcome` and `ninja-desk-sim jobs`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ninja_desk.core.tasks import cancel_and_wait
from ninja_desk.simulator.fleet import DeviceRec, rng_uuid

# Action names used by outcome rules (and `/_sim/jobs`).
ACTIONS = (
    "reboot",
    "script",
    "action",
    "os_scan",
    "os_apply",
    "software_scan",
    "software_apply",
    "service",
)
RESULTS = ("SUCCESS", "FAILURE")


@dataclass(slots=True)
class OutcomeRule:
    result: str
    device_id: int | None = None
    action: str | None = None
    message: str | None = None
    # How many more jobs this rule decides; None = until cleared.
    remaining: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "action": self.action,
            "result": self.result,
            "message": self.message,
            "remaining": self.remaining,
        }


@dataclass
class JobSettings:
    duration: float = 0.3
    rules: list[OutcomeRule] = field(default_factory=list)

    def add_rule(
        self,
        result: str,
        *,
        device_id: int | None = None,
        action: str | None = None,
        message: str | None = None,
        times: int | None = None,
    ) -> OutcomeRule:
        result = result.upper()
        if result not in RESULTS:
            raise ValueError(f"result must be one of {', '.join(RESULTS)}")
        if action is not None and action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        # A newer rule for the same device and action replaces the older one.
        self.rules = [r for r in self.rules if (r.device_id, r.action) != (device_id, action)]
        rule = OutcomeRule(result, device_id, action, message, times)
        self.rules.append(rule)
        return rule

    def decide(self, device_id: int, action: str) -> tuple[bool, str | None]:
        """(success, message) for a new job: the most specific rule wins, else success."""

        def rank(rule: OutcomeRule) -> int:
            return (2 if rule.device_id is not None else 0) + (1 if rule.action else 0)

        matching = [
            r for r in self.rules if r.device_id in (None, device_id) and r.action in (None, action)
        ]
        if not matching:
            return True, None
        rule = max(matching, key=rank)
        if rule.remaining is not None:
            rule.remaining -= 1
            if rule.remaining <= 0:
                self.rules.remove(rule)
        return rule.result == "SUCCESS", rule.message

    def as_dict(self) -> dict[str, Any]:
        return {"duration": self.duration, "rules": [r.as_dict() for r in self.rules]}


# What a job's activities say, by phase: (activityType, requested, started, completed).
@dataclass(frozen=True, slots=True)
class JobCodes:
    activity_type: str
    requested: str
    started: str
    completed: str


GENERIC_CODES = {
    t: JobCodes(t, "START_REQUESTED", "STARTED", "COMPLETED") for t in ("ACTION", "SCRIPTING")
}


def patch_codes(kind: str, op: str) -> JobCodes:
    activity_type = "PATCH_MANAGEMENT" if kind == "os" else "SOFTWARE_PATCH_MANAGEMENT"
    stem = "SCAN" if op == "scan" else "APPLY_PATCH"
    return JobCodes(
        activity_type,
        f"{activity_type}_{stem}_STARTED",
        f"{activity_type}_{stem}_STARTED",
        f"{activity_type}_{stem}_COMPLETED",
    )


# Called when the job starts (the device begins to change) and when it ends; `finish`
# returns the message of the final activity and may record activities of its own.
StartHook = Callable[["SimJob"], None]
FinishHook = Callable[["SimJob", bool, str | None], str]


@dataclass(slots=True)
class SimJob:
    uid: str
    device_id: int
    action: str
    codes: JobCodes
    name: str
    source_config_uid: str
    message: str
    created: float
    updated: float
    success: bool
    outcome_message: str | None
    status: str = "START_REQUESTED"
    result: str | None = None
    finished: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    on_start: StartHook | None = None
    on_finish: FinishHook | None = None

    def as_job(self) -> dict[str, Any]:
        """The `Job` schema of `GET /v2/device/{id}/jobs` and `/v2/jobs`."""
        return {
            "uid": self.uid,
            "deviceId": self.device_id,
            "message": self.message,
            "createTime": self.created,
            "updateTime": self.updated,
            "sourceConfigUid": self.source_config_uid,
            "sourceName": self.name,
            "subject": "",
            "data": {"message": {"code": self.action, "params": dict(self.params)}},
            "jobStatus": self.status,
            "jobType": self.codes.activity_type,
        }

    def as_dict(self) -> dict[str, Any]:
        """The control API's view: the job plus how it ended."""
        return self.as_job() | {
            "action": self.action,
            "jobResult": self.result,
            "finished": self.finished,
        }


Recorder = Callable[..., dict[str, Any]]


class JobRunner:
    """Runs jobs on the simulator's loop; `record(activity_type, code, dev, **fields)`
    appends an activity and hands it to the webhook listeners."""

    def __init__(self, settings: JobSettings, record: Recorder, seed: int) -> None:
        self.settings = settings
        self._record = record
        self._rng = random.Random(f"jobs:{seed}:{time.time()}")
        self.running: dict[str, SimJob] = {}
        self.finished: deque[SimJob] = deque(maxlen=1000)
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(
        self,
        dev: DeviceRec,
        action: str,
        codes: JobCodes,
        *,
        name: str,
        message: str,
        source_config_uid: str | None = None,
        params: dict[str, Any] | None = None,
        on_start: StartHook | None = None,
        on_finish: FinishHook | None = None,
    ) -> SimJob:
        now = round(time.time(), 3)
        success, outcome_message = self.settings.decide(dev.id, action)
        job = SimJob(
            uid=rng_uuid(self._rng),
            device_id=dev.id,
            action=action,
            codes=codes,
            name=name,
            source_config_uid=source_config_uid or rng_uuid(random.Random(f"src:{name}")),
            message=message,
            created=now,
            updated=now,
            success=success,
            outcome_message=outcome_message,
            params=dict(params or {}),
            on_start=on_start,
            on_finish=on_finish,
        )
        self.running[job.uid] = job
        self._activity(job, codes.requested, f"{message}: requested")
        task = asyncio.get_running_loop().create_task(self._run(job), name=f"sim-job-{job.uid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def _activity(self, job: SimJob, code: str, message: str, **extra: Any) -> dict[str, Any]:
        return self._record(
            job.codes.activity_type,
            code,
            job.device_id,
            seriesUid=job.uid,
            sourceConfigUid=job.source_config_uid,
            sourceName=job.name,
            subject="",
            message=message,
            data={"message": {"code": job.action, "params": dict(job.params)}},
            **extra,
        )

    async def _run(self, job: SimJob) -> None:
        duration = max(0.0, self.settings.duration)
        await asyncio.sleep(duration * 0.25)
        job.status = "STARTED"
        job.updated = round(time.time(), 3)
        if job.codes.started != job.codes.requested:
            self._activity(job, job.codes.started, f"{job.message}: started")
        if job.on_start is not None:
            job.on_start(job)
        await asyncio.sleep(duration * 0.25)
        job.status = "IN_PROCESS"
        job.updated = round(time.time(), 3)
        await asyncio.sleep(duration * 0.5)
        self.finish(job)

    def finish(self, job: SimJob) -> None:
        if job.uid not in self.running:
            return
        message = job.outcome_message
        if job.on_finish is not None:
            message = job.on_finish(job, job.success, job.outcome_message)
        job.status = "COMPLETED"
        job.result = "SUCCESS" if job.success else "FAILURE"
        job.finished = job.updated = round(time.time(), 3)
        del self.running[job.uid]
        self.finished.append(job)
        self._activity(
            job,
            job.codes.completed,
            message or f"{job.message}: {'completed' if job.success else 'failed'}",
            activityResult=job.result,
        )

    def jobs_of(self, device_id: int | None = None) -> list[SimJob]:
        return [j for j in self.running.values() if device_id in (None, j.device_id)]

    def busy(self, device_id: int, action: str) -> bool:
        return any(j.action == action for j in self.jobs_of(device_id))

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
