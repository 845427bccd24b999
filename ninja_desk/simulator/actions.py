"""Device actions: reboot, script / built-in action runs, patch scan and apply, Windows
service control, maintenance mode. Each action checks the device the way NinjaOne does
(unknown -> 404, not applicable -> 400 with the spec's sentence), then becomes a job
(jobs.py) that changes the device when it starts and when it ends.

Offline devices: NinjaOne's answer to an action on an offline device is not documented.
The simulator refuses with 400, `resultCode: DEVICE_OFFLINE` and a sentence naming the
device (the spec documents 400 for "Device is not applicable for ..." on the patch
endpoints, so 400 is the status a client already handles for a refused action).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Any

from ninja_desk.simulator.custom_fields import CustomFields
from ninja_desk.simulator.fleet import DeviceRec
from ninja_desk.simulator.jobs import GENERIC_CODES, JobRunner, JobSettings, SimJob, patch_codes
from ninja_desk.simulator.scripting import find_script, run_as_allowed
from ninja_desk.simulator.services import (
    CONTROL_ACTIONS,
    FINAL_STATE,
    PENDING_STATE,
    START_TYPES,
    WindowsServices,
)
from ninja_desk.simulator.tenant import NotFound, Tenant

MAINTENANCE_FEATURES = ("ALERTS", "PATCHING", "AVSCANS", "TASKS")
# A start this far in the past still counts as "now" (clock skew, request latency).
MAINTENANCE_START_SLACK = 60.0


class ActionRefused(Exception):
    """The API answers `status` with NinjaOne's error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str = "VALIDATION_FAILED",
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.params = status, code, params


def _name(dev: DeviceRec) -> str:
    return dev.display_name or dev.system_name


def parse_time(value: Any, field: str) -> float:
    """Maintenance `start`/`end`: ISO-8601, epoch milliseconds or epoch seconds (§3, §14.7)."""
    if isinstance(value, bool) or value is None:
        raise ActionRefused(400, f"{field} must be a date-time or an epoch timestamp")
    if isinstance(value, int | float):
        number = float(value)
        return number / 1000.0 if number > 100_000_000_000 else number
    if isinstance(value, str):
        try:
            return parse_time(float(value), field)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise ActionRefused(400, f"{field} {value!r} is not a date-time or an epoch timestamp")


class DeviceActions:
    def __init__(self, tenant: Tenant, settings: JobSettings) -> None:
        self.tenant = tenant
        self.jobs = JobRunner(settings, self._record, tenant.config.seed)
        self.services: WindowsServices = tenant.services
        self.custom_fields: CustomFields = tenant.custom_fields
        self.maintenance_features: dict[int, list[str]] = {}
        self._timers: dict[int, list[asyncio.TimerHandle]] = {}

    def _record(self, activity_type: str, code: str, device_id: int, **fields: Any) -> Any:
        return self.tenant.record_activity(activity_type, code, device_id, **fields)

    # -- checks ----------------------------------------------------------------------------

    def _reachable(self, dev: DeviceRec, what: str) -> None:
        if not dev.is_agent:
            raise ActionRefused(400, f"Device is not applicable for {what}.")
        if dev.offline:
            raise ActionRefused(
                400,
                f"Device {_name(dev)} (id {dev.id}) is offline: NinjaOne cannot send the "
                f"{what} until its agent is back online.",
                "DEVICE_OFFLINE",
            )

    # -- reboot ----------------------------------------------------------------------------

    def reboot(self, dev: DeviceRec, mode: str, reason: str | None) -> SimJob:
        mode = mode.upper()
        if mode not in ("NORMAL", "FORCED"):
            raise ActionRefused(400, f"Reboot mode must be NORMAL or FORCED, not {mode!r}")
        self._reachable(dev, "reboot")
        label = "Forced reboot" if mode == "FORCED" else "Reboot"

        def start(job: SimJob) -> None:
            if job.success:
                with contextlib.suppress(NotFound):
                    self.tenant.set_offline(dev.id, True)

        def finish(job: SimJob, success: bool, message: str | None) -> str:
            if dev.id not in self.tenant.fleet.devices:
                return message or f"{label} interrupted: the device was deleted"
            if not success:
                return message or f"{label} of {_name(dev)} failed: the agent did not restart"
            now = round(time.time(), 3)
            self.tenant.set_offline(dev.id, False)
            dev.pending_reboot_reason = None
            if isinstance(dev.detail.get("os"), dict):
                os_info = dict(dev.detail["os"], lastBootTime=float(int(now)))
                if "needsReboot" in os_info:
                    os_info["needsReboot"] = False
                dev.detail = dict(dev.detail, os=os_info)
            elif "lastBootTime" in dev.detail:
                dev.detail = dict(dev.detail, lastBootTime=float(int(now)))
            self._record(
                "SYSTEM",
                "SYSTEM_REBOOTED",
                dev.id,
                message=f"Device {_name(dev)} rebooted",
                data={"message": {"code": "system_rebooted", "params": {"mode": mode}}},
            )
            return message or f"{label} of {_name(dev)} completed"

        return self.jobs.submit(
            dev,
            "reboot",
            GENERIC_CODES["ACTION"],
            name=label,
            message=f"{label} of {_name(dev)}",
            params={"mode": mode, "reason": reason or ""},
            on_start=start,
            on_finish=finish,
        )

    # -- scripts ---------------------------------------------------------------------------

    def run_script(self, dev: DeviceRec, body: dict[str, Any]) -> SimJob:
        kind = str(body.get("type") or "SCRIPT").upper()
        if kind not in ("ACTION", "SCRIPT"):
            raise ActionRefused(400, "type must be ACTION or SCRIPT")
        script_id = body.get("id")
        uid = body.get("uid")
        if kind == "SCRIPT" and not isinstance(script_id, int):
            raise ActionRefused(400, "A SCRIPT run needs the script's numeric id")
        if kind == "ACTION" and not isinstance(uid, str):
            raise ActionRefused(400, "An ACTION run needs the built-in action's uid")
        self._reachable(dev, "script run")
        script = find_script(dev, kind, script_id, uid)
        if script is None:
            what = f"Script {script_id}" if kind == "SCRIPT" else f"Action {uid}"
            raise ActionRefused(400, f"{what} is not available for device {_name(dev)}")
        run_as = str(body.get("runAs") or "SYSTEM")
        if not run_as_allowed(dev, run_as):
            raise ActionRefused(400, f"runAs {run_as!r} is not a credential of this device")
        parameters = body.get("parameters")
        if parameters is not None and not isinstance(parameters, str):
            raise ActionRefused(400, "parameters must be a string")
        activity_type = "SCRIPTING" if kind == "SCRIPT" else "ACTION"
        name = script["name"]

        def finish(job: SimJob, success: bool, message: str | None) -> str:
            job.params["exitCode"] = 0 if success else 1
            outcome = "completed" if success else "failed"
            text = f"{'Script' if kind == 'SCRIPT' else 'Action'} '{name}' {outcome}"
            if kind == "SCRIPT":
                text += f" with exit code {job.params['exitCode']}"
            if message:
                job.params["output"] = message
                text += f": {message}"
            return text

        return self.jobs.submit(
            dev,
            "script" if kind == "SCRIPT" else "action",
            GENERIC_CODES[activity_type],
            name=name,
            message=f"Run {name} on {_name(dev)}",
            source_config_uid=script.get("uid"),
            params={"scriptName": name, "runAs": run_as, "parameters": parameters or ""},
            on_finish=finish,
        )

    # -- patches ---------------------------------------------------------------------------

    def patch(self, dev: DeviceRec, kind: str, op: str) -> SimJob:
        if kind not in ("os", "software") or op not in ("scan", "apply"):
            raise NotFound(f"No patch operation {kind}/{op}")
        what = f"{kind} {op}"
        if not dev.is_agent or dev.os_family == "linux":
            raise ActionRefused(400, f"Device is not applicable for {what}.")
        self._reachable(dev, what)
        inventory = self.tenant.inventory
        label = ("OS" if kind == "os" else "Software") + (
            " patch scan" if op == "scan" else " patch apply"
        )

        def pending() -> list[dict[str, Any]]:
            rows = inventory.os_patches(dev) if kind == "os" else inventory.software_patches(dev)
            return [r for r in rows if r.get("status") != "REJECTED"]

        def finish(job: SimJob, success: bool, message: str | None) -> str:
            if dev.id not in self.tenant.fleet.devices:
                return message or f"{label} interrupted: the device was deleted"
            if op == "scan":
                count = len(pending())
                job.params["pendingCount"] = count
                if not success:
                    return message or f"{label} failed on {_name(dev)}"
                return message or f"{label} completed: {count} patches pending"
            rows = pending()
            installed: list[Any] = []
            failed: list[Any] = []
            for i, row in enumerate(rows):
                ok = success or i > 0  # a failing apply fails its first patch
                self.tenant.patch_result(dev.id, success=ok, kind=kind, patch_id=row["id"])
                (installed if ok else failed).append(row.get("name") or row.get("title"))
            job.params.update(installedCount=len(installed), failedCount=len(failed))
            if installed and kind == "os" and dev.os_family == "windows":
                dev.pending_reboot_reason = "WINDOWS_PM"
            if not rows:
                return message or f"{label}: no patches to install"
            if failed:
                return message or (
                    f"{label}: installed {len(installed)} of {len(rows)} patches; "
                    f"failed: {', '.join(str(f) for f in failed)}"
                )
            return message or f"{label}: installed {len(installed)} patches"

        return self.jobs.submit(
            dev,
            f"{kind}_{op}",
            patch_codes(kind, op),
            name=label,
            message=f"{label} on {_name(dev)}",
            params={"kind": kind, "operation": op},
            on_finish=finish,
        )

    # -- Windows services ------------------------------------------------------------------

    def _service(self, dev: DeviceRec, service_id: str, what: str) -> dict[str, Any]:
        if not self.services.applicable(dev):
            raise ActionRefused(400, f"Device is not applicable for {what}.")
        service = self.services.find(dev, service_id)
        if service is None:
            raise NotFound(f"Windows service {service_id!r} not found on device {dev.id}")
        return service

    def control_service(self, dev: DeviceRec, service_id: str, action: Any) -> SimJob:
        action = str(action or "").upper()
        if action not in CONTROL_ACTIONS:
            raise ActionRefused(400, f"action must be one of {', '.join(CONTROL_ACTIONS)}")
        service = self._service(dev, service_id, "Windows service control")
        self._reachable(dev, "Windows service control")
        name, before = service["name"], service["state"]
        display = service["displayName"]

        def start(job: SimJob) -> None:
            with contextlib.suppress(KeyError):
                self.services.update(dev, name, state=PENDING_STATE[action])

        def finish(job: SimJob, success: bool, message: str | None) -> str:
            if dev.id not in self.tenant.fleet.devices:
                return message or "Service control interrupted: the device was deleted"
            self.services.update(dev, name, state=FINAL_STATE[action] if success else before)
            self.tenant.touch(dev)  # the windows-services report row changed
            if action != "PAUSE":
                code = f"REMOTE_TOOLS_{action}_SERVICE_{'SUCCESS' if success else 'FAILED'}"
                self._record(
                    "REMOTE_TOOLS",
                    code,
                    dev.id,
                    seriesUid=job.uid,
                    message=f"{action.title()} service {display}: "
                    + ("succeeded" if success else "failed"),
                    data={"message": {"code": code.lower(), "params": {"serviceName": name}}},
                )
            if success:
                return message or f"{action.title()} {display}: now {FINAL_STATE[action]}"
            return message or (
                f"{action.title()} {display} failed: the service did not respond to the "
                "control request in a timely fashion"
            )

        return self.jobs.submit(
            dev,
            "service",
            GENERIC_CODES["ACTION"],
            name=f"{action.title()} service {display}",
            message=f"{action.title()} service {display} on {_name(dev)}",
            params={"serviceName": name, "action": action},
            on_start=start,
            on_finish=finish,
        )

    def configure_service(self, dev: DeviceRec, service_id: str, body: dict[str, Any]) -> None:
        service = self._service(dev, service_id, "Windows service configuration")
        self._reachable(dev, "Windows service configuration")
        changes: dict[str, Any] = {}
        if body.get("startType") is not None:
            start_type = str(body["startType"]).upper()
            if start_type not in START_TYPES:
                raise ActionRefused(400, f"startType must be one of {', '.join(START_TYPES)}")
            changes["startType"] = start_type
        if body.get("userName") is not None:
            changes["userName"] = str(body["userName"])
        self.services.update(dev, service["name"], **changes)
        self.tenant.touch(dev)

    # -- maintenance -----------------------------------------------------------------------

    def set_maintenance(self, dev: DeviceRec, body: dict[str, Any]) -> dict[str, Any]:
        features = body.get("disabledFeatures")
        if not isinstance(features, list) or not features:
            raise ActionRefused(
                400, "disabledFeatures must list ALERTS, PATCHING, AVSCANS or TASKS"
            )
        bad = [f for f in features if f not in MAINTENANCE_FEATURES]
        if bad:
            raise ActionRefused(400, f"Unknown disabledFeatures: {', '.join(map(str, bad))}")
        now = time.time()
        start = now if body.get("start") is None else parse_time(body["start"], "start")
        if body.get("end") is None:
            raise ActionRefused(400, "end is required")
        end = parse_time(body["end"], "end")
        if start < now - MAINTENANCE_START_SLACK:
            raise ActionRefused(
                400,
                "node_maintenance_date_in_past",
                params={"start": round(start, 3)},
            )
        if end <= max(start, now):
            raise ActionRefused(400, "end must be after start and in the future")
        status = "IN_MAINTENANCE" if start <= now else "PENDING"
        record: dict[str, Any] = {"status": status, "start": round(start, 3), "end": round(end, 3)}
        if isinstance(body.get("reasonMessage"), str) and body["reasonMessage"]:
            record["reasonMessage"] = body["reasonMessage"]
        dev.maintenance = record
        self.maintenance_features[dev.id] = list(dict.fromkeys(features))
        self._schedule(dev, start, end)
        self._record(
            "SYSTEM",
            "MAINTENANCE_MODE_CONFIGURED",
            dev.id,
            message=f"Maintenance mode configured for {_name(dev)}",
            data={
                "message": {
                    "code": "maintenance_mode_configured",
                    "params": {
                        "start": int(start * 1000),
                        "end": int(end * 1000),
                        "disabledFeatures": list(features),
                    },
                }
            },
        )
        return record

    def clear_maintenance(self, dev: DeviceRec) -> None:
        self._cancel_timers(dev.id)
        had = dev.maintenance is not None
        dev.maintenance = None
        self.maintenance_features.pop(dev.id, None)
        if had:
            self._record(
                "SYSTEM",
                "MAINTENANCE_MODE_DELETED",
                dev.id,
                message=f"Maintenance mode deleted for {_name(dev)}",
                data={"message": {"code": "maintenance_mode_deleted", "params": {}}},
            )
        else:
            self.tenant.touch(dev)

    def _cancel_timers(self, device_id: int) -> None:
        for handle in self._timers.pop(device_id, []):
            handle.cancel()

    def _schedule(self, dev: DeviceRec, start: float, end: float) -> None:
        self._cancel_timers(dev.id)
        loop = asyncio.get_running_loop()
        now = time.time()

        def begin() -> None:
            if dev.maintenance is not None and dev.maintenance.get("status") == "PENDING":
                dev.maintenance = dict(dev.maintenance, status="IN_MAINTENANCE")
                self.tenant.touch(dev)

        def finish() -> None:
            if dev.maintenance is not None:
                dev.maintenance = None
                self.maintenance_features.pop(dev.id, None)
                self.tenant.touch(dev)
            self._timers.pop(dev.id, None)

        handles = [loop.call_later(max(0.0, end - now), finish)]
        if start > now:
            handles.append(loop.call_later(start - now, begin))
        self._timers[dev.id] = handles

    async def stop(self) -> None:
        for device_id in list(self._timers):
            self._cancel_timers(device_id)
        await self.jobs.stop()
