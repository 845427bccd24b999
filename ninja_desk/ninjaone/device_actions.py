"""Device actions through the NinjaOne API, and following the jobs they become.

    actions = DeviceActions(api.client)
    ticket = await actions.reboot(12, forced=False, reason="Patch Tuesday")
    outcome = await actions.follow_job(ticket, on_progress=print, timeout=300)
    outcome.success, outcome.message

Every action is a POST that NinjaOne answers with nothing (204): it is never retried (a
retried reboot would reboot twice). The job is found afterwards in the device's activities:
the first activity of the right kind newer than the ticket's `mark`, then its `seriesUid`
is followed until the activity carrying `activityResult` arrives (reference §7.5), while
`GET /v2/device/{id}/jobs` reports the job's status in between.

Failures are typed and read as sentences: `ScopeMissing` (403: the API client app lacks the
Control or Management scope), `DeviceNotFound` (404), `DeviceOffline` and
`ActionNotApplicable` (400), `ActionRejected` (any other 400).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ninja_desk.core.device_jobs import (
    MAINTENANCE_FEATURES,
    SERVICE_ACTIONS,
    TIMED_OUT,
    ActionKind,
    ActionTicket,
    DeviceJob,
    JobOutcome,
    JobProgress,
    ends_job,
    opens_job,
    outcome_from_activity,
)
from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.errors import (
    NinjaOneBadRequest,
    NinjaOneForbidden,
    NinjaOneNotFound,
)
from ninja_desk.ninjaone.pagination import fetch_activities_since

__all__ = [
    "ActionNotApplicable",
    "ActionRejected",
    "DeviceActions",
    "DeviceNotFound",
    "DeviceOffline",
    "JobFollow",
    "ScopeMissing",
    "follow_all",
]


class ScopeMissing(NinjaOneForbidden):
    """403 on an action: the API client app was not granted the scope it needs."""

    def __init__(self, message: str, *, scope: str, status: int | None = 403) -> None:
        super().__init__(message, status=status)
        self.scope = scope


class DeviceNotFound(NinjaOneNotFound):
    pass


class ActionRejected(NinjaOneBadRequest):
    """NinjaOne refused the request (400) for a reason other than those below."""


class DeviceOffline(ActionRejected):
    pass


class ActionNotApplicable(ActionRejected):
    """The action does not apply to this kind of device (e.g. patching a switch)."""


def _epoch(value: float | datetime) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


class DeviceActions:
    def __init__(self, client: NinjaOneClient, *, page_size: int = 200) -> None:
        self.client = client
        self.page_size = page_size
        # Series already attributed to a ticket: two reboots of one device in a row are
        # told apart by taking the oldest unclaimed series for each.
        self._claimed: set[str] = set()

    # -- plumbing --------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        device_id: int,
        what: str,
        scope: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        idempotent = method in ("GET", "PUT", "DELETE")
        try:
            return await self.client.request(
                method, path, json=json, params=params, idempotent=idempotent
            )
        except NinjaOneForbidden as exc:
            raise ScopeMissing(
                f"NinjaOne refused to {what} on device {device_id}: the API client app needs "
                f"the {scope.capitalize()} scope. In NinjaOne, open Administration > Apps > "
                f"API, tick {scope.capitalize()} for this client app, then sign in to NinjaOne "
                "again.",
                scope=scope,
                status=exc.status,
            ) from None
        except NinjaOneNotFound as exc:
            text = str(exc)
            if "device" in text.lower() or "nodeid" in text.lower():
                raise DeviceNotFound(
                    f"NinjaOne has no device {device_id}: it may have been deleted. Refresh "
                    "the device list.",
                    status=exc.status,
                ) from None
            raise
        except NinjaOneBadRequest as exc:
            text = str(exc)
            low = text.lower()
            if "offline" in low:
                raise DeviceOffline(
                    f"Cannot {what} on device {device_id}: the device is offline. Try again "
                    "when its agent is back online.",
                    status=exc.status,
                ) from None
            if "not applicable" in low:
                raise ActionNotApplicable(
                    f"Cannot {what} on device {device_id}: NinjaOne says this action does not "
                    "apply to this kind of device.",
                    status=exc.status,
                ) from None
            raise ActionRejected(text, status=exc.status) from None

    async def _on_device(
        self,
        method: str,
        device_id: int,
        subpath: str,
        *,
        what: str,
        scope: str = "monitoring",
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """`_call` on `/device/{device_id}{subpath}`."""
        return await self._call(
            method,
            f"/device/{int(device_id)}{subpath}",
            device_id=device_id,
            what=what,
            scope=scope,
            json=json,
            params=params,
        )

    async def _act(
        self,
        device_id: int,
        kind: ActionKind,
        what: str,
        subpath: str,
        mark: int | None,
        *,
        json: Any = None,
        source_uid: str | None = None,
    ) -> ActionTicket:
        """Send one action (Control scope) and return its ticket, the mark taken before."""
        ticket = await self._ticket(device_id, kind, what.capitalize(), mark, source_uid)
        await self._on_device("POST", device_id, subpath, what=what, scope="control", json=json)
        return ticket()

    async def activity_mark(self, device_id: int | None = None) -> int:
        """An activity id older than anything that happens from now on. One mark can serve
        a whole bulk action (take it once, pass it as `mark=` to each call)."""
        path = "/activities" if device_id is None else f"/device/{int(device_id)}/activities"
        body = await self.client.get(path, {"pageSize": 10})
        ids = [0]
        if isinstance(body, dict):
            for key in ("lastActivityId", "lastNodeActivityId"):
                if isinstance(body.get(key), int):
                    ids.append(body[key])
            ids += [a["id"] for a in body.get("activities", []) if isinstance(a.get("id"), int)]
        return max(ids)

    async def _ticket(
        self,
        device_id: int,
        kind: ActionKind,
        description: str,
        mark: int | None,
        source_uid: str | None = None,
    ) -> Callable[[], ActionTicket]:
        """Take the mark before the action is sent; the ticket is made once it was accepted."""
        taken = await self.activity_mark() if mark is None else int(mark)

        def make() -> ActionTicket:
            return ActionTicket(
                device_id=int(device_id),
                kind=kind,
                description=description,
                mark=taken,
                accepted_at=time.time(),
                source_uid=source_uid,
            )

        return make

    # -- actions ---------------------------------------------------------------------------

    async def reboot(
        self,
        device_id: int,
        *,
        forced: bool = False,
        reason: str | None = None,
        mark: int | None = None,
    ) -> ActionTicket:
        mode = "FORCED" if forced else "NORMAL"
        label = "force a reboot" if forced else "reboot"
        body = {"reason": reason} if reason else {}
        return await self._act(
            device_id, ActionKind.REBOOT, label, f"/reboot/{mode}", mark, json=body
        )

    async def scripting_options(self, device_id: int) -> dict[str, Any]:
        """`{categories, scripts, credentials}`: scripts carry `type` (SCRIPT with `id`,
        ACTION with `uid`), `name`, `language`; `credentials.roles` are the run-as choices."""
        body = await self._on_device("GET", device_id, "/scripting/options", what="list scripts")
        return body if isinstance(body, dict) else {}

    async def run_script(
        self,
        device_id: int,
        *,
        script_id: int | None = None,
        action_uid: str | None = None,
        parameters: str | None = None,
        run_as: str | None = None,
        mark: int | None = None,
    ) -> ActionTicket:
        """Run a script (`script_id`) or a built-in action (`action_uid`)."""
        if (script_id is None) == (action_uid is None):
            raise ValueError("give exactly one of script_id and action_uid")
        body: dict[str, Any]
        if script_id is not None:
            body = {"type": "SCRIPT", "id": int(script_id)}
            kind, what = ActionKind.SCRIPT, f"run script {script_id}"
        else:
            body = {"type": "ACTION", "uid": action_uid}
            kind, what = ActionKind.ACTION, f"run action {action_uid}"
        if parameters:
            body["parameters"] = parameters
        if run_as:
            body["runAs"] = run_as
        return await self._act(
            device_id, kind, what, "/script/run", mark, json=body, source_uid=action_uid
        )

    async def patch(
        self, device_id: int, kind: str, op: str, *, mark: int | None = None
    ) -> ActionTicket:
        """`kind` "os" or "software", `op` "scan" or "apply"."""
        if kind not in ("os", "software") or op not in ("scan", "apply"):
            raise ValueError("kind must be os or software and op scan or apply")
        action = ActionKind(f"{kind}_{op}")
        family = "OS" if kind == "os" else "software"
        what = f"apply {family} patches" if op == "apply" else f"scan for {family} patches"
        return await self._act(device_id, action, what, f"/patch/{kind}/{op}", mark)

    async def windows_services(
        self, device_id: int, *, name: str | None = None, state: str | None = None
    ) -> list[dict[str, Any]]:
        """`[{name, displayName, startType, userName, state}]`; empty for non-Windows."""
        body = await self._on_device(
            "GET",
            device_id,
            "/windows-services",
            what="list Windows services",
            params={"name": name, "state": state},
        )
        return [s for s in body or [] if isinstance(s, dict)]

    async def control_service(
        self, device_id: int, service_id: str, action: str, *, mark: int | None = None
    ) -> ActionTicket:
        action = action.upper()
        if action not in SERVICE_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(SERVICE_ACTIONS)}")
        what = f"{action.lower()} the service {service_id}"
        subpath = f"/windows-service/{service_id}/control"
        return await self._act(
            device_id, ActionKind.SERVICE, what, subpath, mark, json={"action": action}
        )

    async def set_maintenance(
        self,
        device_id: int,
        until: float | datetime,
        disabled_features: Iterable[str] = MAINTENANCE_FEATURES,
        *,
        start: float | datetime | None = None,
        reason: str | None = None,
    ) -> None:
        """Maintenance mode from `start` (default now) to `until` (epoch seconds or an aware
        datetime), muting `disabled_features` (ALERTS, PATCHING, AVSCANS, TASKS)."""
        features = [f.upper() for f in disabled_features]
        unknown = [f for f in features if f not in MAINTENANCE_FEATURES]
        if unknown or not features:
            raise ValueError(f"disabled_features must be among {', '.join(MAINTENANCE_FEATURES)}")
        # Epoch milliseconds: what SPEC-NEW documents (reference §3).
        body: dict[str, Any] = {
            "disabledFeatures": features,
            "end": int(_epoch(until) * 1000),
        }
        if start is not None:
            body["start"] = int(_epoch(start) * 1000)
        if reason:
            body["reasonMessage"] = reason
        try:
            await self._on_device(
                "PUT",
                device_id,
                "/maintenance",
                what="schedule maintenance",
                scope="management",
                json=body,
            )
        except ActionRejected as exc:
            if "date_in_past" in str(exc):
                raise ActionRejected(
                    "NinjaOne refused the maintenance window because it starts in the past; "
                    "pick a start from now on.",
                    status=exc.status,
                ) from None
            raise

    async def clear_maintenance(self, device_id: int) -> None:
        await self._on_device(
            "DELETE", device_id, "/maintenance", what="cancel maintenance", scope="management"
        )

    async def device_jobs(self, device_id: int) -> list[DeviceJob]:
        body = await self._on_device("GET", device_id, "/jobs", what="list jobs")
        return [DeviceJob.from_api(j) for j in body or [] if isinstance(j, dict)]

    async def jobs(self, *, job_type: str | None = None, df: str | None = None) -> list[DeviceJob]:
        body = await self.client.get("/jobs", {"jobType": job_type, "df": df})
        return [DeviceJob.from_api(j) for j in body or [] if isinstance(j, dict)]

    async def custom_fields(self, device_id: int, *, inherit: bool = False) -> dict[str, Any]:
        body = await self._on_device(
            "GET",
            device_id,
            "/custom-fields",
            what="read custom fields",
            params={"withInheritance": "true" if inherit else None},
        )
        return dict(body) if isinstance(body, dict) else {}

    async def patch_custom_fields(self, device_id: int, values: dict[str, Any]) -> None:
        """Set (None clears) custom field values; DATE fields take epoch milliseconds."""
        await self._on_device(
            "PATCH",
            device_id,
            "/custom-fields",
            what="change custom fields",
            scope="management",
            json=values,
        )

    async def organization_custom_fields(self, org_id: int) -> dict[str, Any]:
        body = await self.client.get(f"/organization/{int(org_id)}/custom-fields")
        return dict(body) if isinstance(body, dict) else {}

    async def patch_organization_custom_fields(self, org_id: int, values: dict[str, Any]) -> None:
        try:
            await self.client.request(
                "PATCH", f"/organization/{int(org_id)}/custom-fields", json=values
            )
        except NinjaOneForbidden as exc:
            raise ScopeMissing(
                "NinjaOne refused to change the organization's custom fields: the API client "
                "app needs the Management scope.",
                scope="management",
                status=exc.status,
            ) from None

    # -- following a job -------------------------------------------------------------------

    def follow(
        self, ticket: ActionTicket, *, timeout: float = 600.0, poll_interval: float = 1.0
    ) -> JobFollow:
        """Iterate the job's progress; the outcome is on `.outcome` once iteration ends."""
        return JobFollow(self, ticket, timeout=timeout, poll_interval=poll_interval)

    async def follow_job(
        self,
        ticket: ActionTicket,
        *,
        on_progress: Callable[[JobProgress], Any] | None = None,
        timeout: float = 600.0,
        poll_interval: float = 1.0,
    ) -> JobOutcome:
        """Poll until the job ends; returns its outcome. A job whose end NinjaOne has not
        reported within `timeout` seconds ends with result TIMED_OUT (never raises for it)."""
        follow = self.follow(ticket, timeout=timeout, poll_interval=poll_interval)
        async for progress in follow:
            await _call_back(on_progress, progress)
        assert follow.outcome is not None
        return follow.outcome

    async def _series_page(self, ticket: ActionTicket, series: str | None) -> list[dict[str, Any]]:
        """The device's activities newer than the ticket's mark, oldest first."""
        rows: list[dict[str, Any]] = []
        newer = ticket.mark
        while True:
            params: dict[str, Any] = {"newerThan": newer, "pageSize": self.page_size}
            if series is not None:
                params["seriesUid"] = series
            body = await self.client.get(f"/device/{ticket.device_id}/activities", params)
            page = [a for a in (body or {}).get("activities", []) if isinstance(a, dict)]
            page.sort(key=lambda a: a.get("id", 0))
            rows += page
            if len(page) < self.page_size:
                return rows
            newer = page[-1]["id"]


def _claim_opener(
    actions: DeviceActions, ticket: ActionTicket, rows: Iterable[dict[str, Any]]
) -> dict[str, Any] | None:
    """The oldest activity (rows oldest first) that opens this ticket's job and that no other
    ticket has claimed; claims its series."""
    for activity in rows:
        if opens_job(ticket.kind, activity, ticket.source_uid):
            uid = str(activity["seriesUid"])
            if uid not in actions._claimed:
                actions._claimed.add(uid)
                return activity
    return None


def _timed_out(ticket: ActionTicket, job_uid: str | None, timeout: float) -> JobOutcome:
    seen = "its job was seen" if job_uid else "its job was not seen"
    return JobOutcome(
        device_id=ticket.device_id,
        kind=ticket.kind,
        result=TIMED_OUT,
        message=(
            f"{ticket.description}: NinjaOne accepted the action, but {seen} ending within "
            f"{timeout:g} s. Check the device's activities in NinjaOne for the result."
        ),
        job_uid=job_uid,
    )


class JobFollow:
    """Async iterator of `JobProgress` for one ticket; `.outcome` is set when it ends."""

    def __init__(
        self, actions: DeviceActions, ticket: ActionTicket, *, timeout: float, poll_interval: float
    ) -> None:
        self.actions = actions
        self.ticket = ticket
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.outcome: JobOutcome | None = None
        self.job_uid: str | None = None

    def __aiter__(self) -> AsyncIterator[JobProgress]:
        return self._run()

    def _progress(self, status: str, message: str) -> JobProgress:
        return JobProgress(
            device_id=self.ticket.device_id,
            kind=self.ticket.kind,
            status=status,
            message=message,
            job_uid=self.job_uid,
        )

    async def _run(self) -> AsyncIterator[JobProgress]:
        ticket = self.ticket
        actions = self.actions
        deadline = time.monotonic() + self.timeout
        last_status = ""
        while True:
            rows = await actions._series_page(ticket, self.job_uid)
            if self.job_uid is None:
                opener = _claim_opener(actions, ticket, rows)
                if opener is not None:
                    self.job_uid = str(opener["seriesUid"])
                    last_status = "REQUESTED"
                    yield self._progress("REQUESTED", str(opener.get("message") or ""))
            if self.job_uid is not None:
                series = [a for a in rows if a.get("seriesUid") == self.job_uid]
                final = next((a for a in series if ends_job(a)), None)
                if final is not None:
                    self.outcome = outcome_from_activity(ticket, final, series)
                    return
                jobs = await actions.device_jobs(ticket.device_id)
                job = next((j for j in jobs if j.uid == self.job_uid), None)
                if job is not None and job.status and job.status != last_status:
                    last_status = job.status
                    yield self._progress(job.status, job.message or ticket.description)
            if time.monotonic() >= deadline:
                self.outcome = _timed_out(ticket, self.job_uid, self.timeout)
                return
            await asyncio.sleep(self.poll_interval)


_DF_CHUNK = 300  # device ids per `df=id in (...)` (keeps the URL short)


def _df(device_ids: Iterable[int]) -> list[str]:
    ids = sorted(set(device_ids))
    return [
        "id in (" + ",".join(str(i) for i in ids[start : start + _DF_CHUNK]) + ")"
        for start in range(0, len(ids), _DF_CHUNK)
    ]


async def _call_back(callback: Callable[[Any], Any] | None, value: Any) -> None:
    if callback is not None:
        result = callback(value)
        if asyncio.iscoroutine(result):
            await result


async def follow_all(
    actions: DeviceActions,
    tickets: Sequence[ActionTicket],
    *,
    timeout: float = 600.0,
    poll_interval: float = 2.0,
    on_progress: Callable[[JobProgress], Any] | None = None,
    on_outcome: Callable[[JobOutcome], Any] | None = None,
) -> list[JobOutcome]:
    """Follow many jobs at once (a bulk action on a selection); outcomes come back in the
    tickets' order, and `on_outcome` hears each one as it ends.

    Polls cost the same for 2 devices or 200: one `GET /v2/activities?df=id in (...)` for
    everything newer than the last poll and one `GET /v2/jobs?df=...` for progress."""
    n = len(tickets)
    outcomes: list[JobOutcome | None] = [None] * n
    series: list[str | None] = [None] * n
    statuses: list[str] = [""] * n
    rows: dict[int, list[dict[str, Any]]] = {}
    newest = min((t.mark for t in tickets), default=0)
    filters = _df(t.device_id for t in tickets)
    deadline = time.monotonic() + timeout
    pending = list(range(n))

    def progress(i: int, status: str, message: str) -> JobProgress:
        statuses[i] = status
        t = tickets[i]
        return JobProgress(t.device_id, t.kind, status, message, series[i])

    while pending:
        for df in filters:
            fresh, _ = await fetch_activities_since(actions.client, newest, {"df": df})
            for activity in fresh:
                if isinstance(activity.get("deviceId"), int):
                    rows.setdefault(activity["deviceId"], []).append(activity)
                newest = max(newest, activity["id"])
        for i in pending:
            ticket = tickets[i]
            mine = [a for a in rows.get(ticket.device_id, []) if a["id"] > ticket.mark]
            if series[i] is None:
                opener = _claim_opener(actions, ticket, sorted(mine, key=lambda a: a["id"]))
                if opener is None:
                    continue
                series[i] = str(opener["seriesUid"])
                await _call_back(on_progress, progress(i, "REQUESTED", str(opener.get("message"))))
            job_rows = sorted(
                (a for a in mine if a.get("seriesUid") == series[i]), key=lambda a: a["id"]
            )
            final = next((a for a in job_rows if ends_job(a)), None)
            if final is not None:
                outcomes[i] = outcome_from_activity(ticket, final, job_rows)
                await _call_back(on_outcome, outcomes[i])
        pending = [i for i in pending if outcomes[i] is None]
        if not pending:
            break
        if on_progress is not None:
            running: dict[str, DeviceJob] = {}
            for df in _df(tickets[i].device_id for i in pending):
                body = await actions.client.get("/jobs", {"df": df})
                for row in body or []:
                    if isinstance(row, dict):
                        polled = DeviceJob.from_api(row)
                        running[polled.uid] = polled
            for i in pending:
                job = running.get(series[i] or "")
                if job is not None and job.status and job.status != statuses[i]:
                    await _call_back(
                        on_progress,
                        progress(i, job.status, job.message or tickets[i].description),
                    )
        if time.monotonic() >= deadline:
            for i in pending:
                outcomes[i] = _timed_out(tickets[i], series[i], timeout)
                await _call_back(on_outcome, outcomes[i])
            break
        await asyncio.sleep(poll_interval)
    return [o for o in outcomes if o is not None]
