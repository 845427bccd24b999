"""Device actions and the NinjaOne jobs they become: plain types and pure rules.

An action (reboot, script run, patch scan/apply, Windows service control) is accepted by
NinjaOne with an empty answer; its job then shows up in `GET /v2/device/{id}/jobs` while it
runs and leaves activities sharing the job's `seriesUid`: a "requested" one first and, at the
end, one carrying `activityResult` (reference §7.5). These types describe that, for the
client (`ninjaone/device_actions.py`), the app and the CLI alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ActionKind(StrEnum):
    REBOOT = "reboot"
    SCRIPT = "script"
    ACTION = "action"  # a NinjaOne built-in action, run like a script
    OS_SCAN = "os_scan"
    OS_APPLY = "os_apply"
    SOFTWARE_SCAN = "software_scan"
    SOFTWARE_APPLY = "software_apply"
    SERVICE = "service"


# activityType of the job each kind starts, and the statusCodes that open its series.
JOB_ACTIVITY_TYPE: dict[ActionKind, str] = {
    ActionKind.REBOOT: "ACTION",
    ActionKind.SCRIPT: "SCRIPTING",
    ActionKind.ACTION: "ACTION",
    ActionKind.OS_SCAN: "PATCH_MANAGEMENT",
    ActionKind.OS_APPLY: "PATCH_MANAGEMENT",
    ActionKind.SOFTWARE_SCAN: "SOFTWARE_PATCH_MANAGEMENT",
    ActionKind.SOFTWARE_APPLY: "SOFTWARE_PATCH_MANAGEMENT",
    ActionKind.SERVICE: "ACTION",
}
_START_CODES: dict[ActionKind, frozenset[str]] = {
    ActionKind.OS_SCAN: frozenset({"PATCH_MANAGEMENT_SCAN_STARTED"}),
    ActionKind.OS_APPLY: frozenset({"PATCH_MANAGEMENT_APPLY_PATCH_STARTED"}),
    ActionKind.SOFTWARE_SCAN: frozenset({"SOFTWARE_PATCH_MANAGEMENT_SCAN_STARTED"}),
    ActionKind.SOFTWARE_APPLY: frozenset({"SOFTWARE_PATCH_MANAGEMENT_APPLY_PATCH_STARTED"}),
}
_GENERIC_START = frozenset({"START_REQUESTED", "STARTED", "IN_PROCESS"})
JOB_RESULTS = ("SUCCESS", "FAILURE", "UNSUPPORTED", "UNCOMPLETED")
TIMED_OUT = "TIMED_OUT"

MAINTENANCE_FEATURES = ("ALERTS", "PATCHING", "AVSCANS", "TASKS")
SERVICE_ACTIONS = ("START", "PAUSE", "STOP", "RESTART")


def start_codes(kind: ActionKind) -> frozenset[str]:
    return _START_CODES.get(kind, _GENERIC_START)


def opens_job(kind: ActionKind, activity: dict[str, Any], source_uid: str | None = None) -> bool:
    """Is `activity` the first activity of a job that `kind` started?"""
    if not activity.get("seriesUid") or "activityResult" in activity:
        return False
    if activity.get("activityType") != JOB_ACTIVITY_TYPE[kind]:
        return False
    if source_uid is not None and activity.get("sourceConfigUid") != source_uid:
        return False
    return activity.get("statusCode") in start_codes(kind)


def ends_job(activity: dict[str, Any]) -> bool:
    """The final activity of a job is the one that carries `activityResult`."""
    return isinstance(activity.get("activityResult"), str)


@dataclass(frozen=True, slots=True)
class ActionTicket:
    """What `DeviceActions` hands back when NinjaOne accepted an action: enough to find
    the job it became. `mark` is an activity id older than any activity of that job."""

    device_id: int
    kind: ActionKind
    description: str
    mark: int
    accepted_at: float
    source_uid: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceJob:
    """A running job (`GET /v2/device/{id}/jobs`, `/v2/jobs`)."""

    uid: str
    device_id: int | None
    job_type: str | None
    status: str | None
    name: str | None
    message: str | None
    created: float | None
    updated: float | None

    @classmethod
    def from_api(cls, row: dict[str, Any]) -> DeviceJob:
        def number(key: str) -> float | None:
            value = row.get(key)
            return float(value) if isinstance(value, int | float) else None

        device_id = row.get("deviceId")
        return cls(
            uid=str(row.get("uid") or ""),
            device_id=device_id if isinstance(device_id, int) else None,
            job_type=row.get("jobType"),
            status=row.get("jobStatus"),
            name=row.get("sourceName"),
            message=row.get("message"),
            created=number("createTime"),
            updated=number("updateTime"),
        )


@dataclass(frozen=True, slots=True)
class JobProgress:
    """One step of a job being followed: REQUESTED, STARTED, IN_PROCESS, ..."""

    device_id: int
    kind: ActionKind
    status: str
    message: str
    job_uid: str | None = None


@dataclass(frozen=True, slots=True)
class JobOutcome:
    device_id: int
    kind: ActionKind
    result: str  # SUCCESS, FAILURE, UNSUPPORTED, UNCOMPLETED or TIMED_OUT
    message: str
    job_uid: str | None = None
    finished_at: float | None = None
    activities: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def success(self) -> bool:
        return self.result == "SUCCESS"

    @property
    def timed_out(self) -> bool:
        return self.result == TIMED_OUT


def outcome_from_activity(
    ticket: ActionTicket, final: dict[str, Any], series: list[dict[str, Any]]
) -> JobOutcome:
    result = str(final.get("activityResult") or "UNCOMPLETED")
    message = str(final.get("message") or "").strip()
    if not message:
        message = f"{ticket.description}: {result.lower()}"
    when = final.get("activityTime")
    return JobOutcome(
        device_id=ticket.device_id,
        kind=ticket.kind,
        result=result,
        message=message,
        job_uid=final.get("seriesUid"),
        finished_at=float(when) if isinstance(when, int | float) else None,
        activities=tuple(series),
    )


def describe_action(
    kind: ActionKind,
    device_name: str,
    *,
    forced: bool = False,
    script_name: str | None = None,
    run_as: str | None = None,
    service_name: str | None = None,
    service_action: str | None = None,
) -> str:
    """One plain sentence for a confirmation: the device and what will happen to it."""
    if kind is ActionKind.REBOOT:
        if forced:
            return (
                f"Force a reboot of {device_name} now: programs are closed without saving "
                "and signed-in users are not asked."
            )
        return f"Reboot {device_name}: signed-in users are asked to save their work first."
    if kind in (ActionKind.SCRIPT, ActionKind.ACTION):
        what = "script" if kind is ActionKind.SCRIPT else "built-in action"
        who = f" as {run_as}" if run_as else ""
        return f"Run the {what} {script_name or '(unnamed)'} on {device_name}{who}."
    if kind in (ActionKind.OS_SCAN, ActionKind.SOFTWARE_SCAN):
        family = "Windows/OS" if kind is ActionKind.OS_SCAN else "third-party software"
        return f"Scan {device_name} for missing {family} patches."
    if kind in (ActionKind.OS_APPLY, ActionKind.SOFTWARE_APPLY):
        family = "OS" if kind is ActionKind.OS_APPLY else "third-party software"
        return (
            f"Install the pending {family} patches on {device_name} now; "
            "the device may need a reboot afterwards."
        )
    verb = (service_action or "control").lower()
    return f"{verb.capitalize()} the Windows service {service_name or '?'} on {device_name}."
