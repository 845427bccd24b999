"""Device actions from the desk: the one place that checks rights and scope, sends, follows
the jobs and records what happened. No Qt here; the app and the CLI both call it.

    service = DeviceActionService(api.device_actions, desktop_psa, scopes=settings.scopes)
    service.availability(request)              # (ok, reason) for the buttons
    text = service.confirmation(request, devices)   # names the devices and what happens
    outcome = await service.run(request, devices, ticket="TIC000042", on_update=...)

Allowed only with Alga's `rmm:execute_command` (NinjaDesk's REMOTE_CONNECT action) and the
NinjaOne scope the action needs (Control for jobs, Management for maintenance and custom
fields). The right is checked again in the PSA right before sending. Every action is recorded
in Alga (psa/device_action_log.py) when sent and again when its job ends, and, when it was
started from a ticket, the outcome becomes an internal note on it. PSA work runs on worker
threads (`asyncio.to_thread`), so the caller's loop — the app's qasync loop — never blocks.

A bulk action takes one activity mark, sends a few requests at a time and follows every job
with `follow_all` (two API calls per poll whatever the selection's size).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ninja_desk.cache import activity_log
from ninja_desk.core.device_jobs import (
    MAINTENANCE_FEATURES,
    ActionKind,
    ActionTicket,
    JobOutcome,
    JobProgress,
    describe_action,
)
from ninja_desk.ninjaone.device_actions import DeviceActions, ScopeMissing, follow_all
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.psa import device_action_log as log_psa
from ninja_desk.psa.errors import NotFound, PermissionDenied
from ninja_desk.psa.permissions import REMOTE_CONNECT, permissions_of

log = logging.getLogger(__name__)

# Alga's rmm:execute_command ("running actions on a device through an RMM"); NinjaDesk's
# action name for it is remote.connect (psa/permissions.py).
DEVICE_ACTIONS = REMOTE_CONNECT
MAINTENANCE_ON = "maintenance"
MAINTENANCE_OFF = "maintenance_off"
CUSTOM_FIELDS = "custom_fields"

NOT_SENT = "NOT_SENT"  # NinjaOne refused the request (offline, not found, ...)
REFUSED = "REFUSED"  # NinjaDesk did not send it (no right, no scope)
SENT = "SENT"

DENIED = (
    "You do not have the right to run actions on devices (Alga right rmm:execute_command). "
    "Ask an Alga admin to grant it to one of your roles."
)
NO_PSA = (
    "Device actions are recorded in Alga and need Alga's rmm:execute_command right: set up "
    "the PSA database in Settings → Integrations."
)
NO_NINJAONE = "Connect NinjaOne in Settings to act on devices."


def scope_missing(scope: str) -> str:
    return (
        f"The NinjaOne API app lacks the {scope.capitalize()} scope; add it in NinjaOne "
        "(Administration > Apps > API) and sign in again."
    )


class DeviceActionRefused(Exception):
    """Nothing was sent; the message says why, in one sentence."""


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """What to do. `kind` is an ActionKind value, or maintenance / maintenance_off."""

    kind: str
    forced: bool = False
    reason: str | None = None
    script_id: int | None = None
    action_uid: str | None = None
    script_name: str | None = None
    parameters: str | None = None
    run_as: str | None = None
    service_id: str | None = None
    service_action: str | None = None
    until: float | None = None  # maintenance end, epoch seconds
    features: tuple[str, ...] = MAINTENANCE_FEATURES

    @property
    def is_job(self) -> bool:
        return self.kind not in (MAINTENANCE_ON, MAINTENANCE_OFF)

    @property
    def scope(self) -> str:
        return "control" if self.is_job else "management"

    @property
    def drastic(self) -> bool:
        """A forced reboot or a script run: the confirmation says so plainly."""
        return (self.kind == ActionKind.REBOOT and self.forced) or self.kind in (
            ActionKind.SCRIPT,
            ActionKind.ACTION,
        )

    @property
    def label(self) -> str:
        """A short verb phrase for buttons and the history (`Force reboot`)."""
        if self.kind == ActionKind.REBOOT:
            return "Force reboot" if self.forced else "Reboot"
        if self.kind in (ActionKind.SCRIPT, ActionKind.ACTION):
            named = self.script_name or self.script_id or self.action_uid
            return f"Run {named}" if named else "Run script"
        if self.kind == ActionKind.SERVICE:
            verb = (self.service_action or "control").capitalize()
            return f"{verb} service {self.service_id}"
        if self.kind == MAINTENANCE_ON:
            return "Start maintenance"
        if self.kind == MAINTENANCE_OFF:
            return "End maintenance"
        return {
            ActionKind.OS_SCAN: "Scan OS patches",
            ActionKind.OS_APPLY: "Apply OS patches",
            ActionKind.SOFTWARE_SCAN: "Scan software patches",
            ActionKind.SOFTWARE_APPLY: "Apply software patches",
        }.get(ActionKind(self.kind), self.kind)

    def describe(self, device_name: str) -> str:
        """One plain sentence: the device(s) and what will happen."""
        if self.kind == MAINTENANCE_ON:
            until = (
                datetime.fromtimestamp(self.until, UTC).strftime("%Y-%m-%d %H:%M UTC")
                if self.until
                else "?"
            )
            muted = ", ".join(f.lower() for f in self.features)
            return f"Put {device_name} in maintenance until {until}: {muted} are paused."
        if self.kind == MAINTENANCE_OFF:
            return f"End maintenance mode on {device_name}: alerts and patching resume now."
        return describe_action(
            ActionKind(self.kind),
            device_name,
            forced=self.forced,
            script_name=self.script_name or _script_ref(self),
            run_as=self.run_as,
            service_name=self.service_id,
            service_action=self.service_action,
        )


def _script_ref(request: ActionRequest) -> str | None:
    if request.script_id is not None:
        return f"#{request.script_id}"
    return request.action_uid


@dataclass
class DeviceResult:
    """One device's row in a (bulk) action: its state now, and its result once it ended."""

    device_id: int
    name: str
    status: str = "waiting"  # waiting, SENT, REQUESTED, STARTED, IN_PROCESS, ... or a result
    result: str | None = None  # SUCCESS, FAILURE, UNSUPPORTED, UNCOMPLETED, TIMED_OUT, ...
    message: str = ""
    job_uid: str | None = None

    @property
    def ended(self) -> bool:
        return self.result is not None

    @property
    def ok(self) -> bool:
        return self.result == "SUCCESS"

    def as_dict(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "device": self.name,
            "result": self.result,
            "status": self.status,
            "message": self.message,
            "job_uid": self.job_uid,
        }


@dataclass
class BulkOutcome:
    request: ActionRequest
    results: list[DeviceResult]
    ticket: str | None = None
    comment_id: uuid.UUID | None = None
    seconds: float = 0.0
    record_errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[DeviceResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        done = len(self.results) - len(self.failed)
        return f"{self.request.label}: {done} of {len(self.results)} succeeded."


Update = Callable[[DeviceResult], Any]


def device_list_text(names: Sequence[str], shown: int = 3) -> str:
    """`PC-1`, `2 devices (PC-1, PC-2)`, `200 devices (PC-1, PC-2, PC-3 and 197 more)`."""
    if len(names) == 1:
        return names[0]
    head = ", ".join(names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)} devices ({head}{more})"


class DeviceActionService:
    def __init__(
        self,
        actions: DeviceActions | None,
        psa: Any,
        *,
        scopes: Sequence[str] = ("monitoring", "management", "control"),
        user_name: str | None = None,
        cache: Any = None,
        permissions: frozenset[str] | None = None,
        poll_interval: float = 2.0,
        timeout: float = 900.0,
        concurrency: int = 8,
    ) -> None:
        """`actions` is `api.device_actions` (None while NinjaOne is not connected); `psa`
        is the desktop's PSA handle (sync/desktop_runtime.DesktopPsa: db, tenant, user_id,
        integration_id, permissions(), tenant_session()), None without a PSA. `permissions`:
        the rights the app already knows (ctx.permissions), so asking costs no database call
        on the UI thread; the right is read from the database again before anything is sent."""
        self.actions = actions
        self.psa = psa
        self.scopes = tuple(scopes)
        self.user_name = user_name or str(getattr(psa, "user_name", None) or "technician")
        self.cache = cache
        self.known_permissions = permissions
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.last_results: dict[int, DeviceResult] = {}

    # -- may we? -------------------------------------------------------------------------

    @property
    def who(self) -> str:
        identity = getattr(self.psa, "identity", None)
        return str(getattr(identity, "display_name", None) or self.user_name)

    def _permissions(self) -> frozenset[str]:
        if self.known_permissions is not None:
            return self.known_permissions
        try:
            return frozenset(self.psa.permissions())
        except Exception as exc:  # the PSA is unreachable: act as if without the right
            log.warning("Could not read rights from the PSA: %s", exc)
            return frozenset()

    def refusal(self, scope: str = "control") -> str | None:
        """Why nothing can be sent (a sentence), or None when it may."""
        if self.actions is None:
            return NO_NINJAONE
        if self.psa is None:
            return NO_PSA
        if DEVICE_ACTIONS not in self._permissions():
            return DENIED
        if scope not in self.scopes:
            return scope_missing(scope)
        return None

    def availability(self, request: ActionRequest | None = None) -> tuple[bool, str]:
        reason = self.refusal(request.scope if request is not None else "control")
        return reason is None, reason or ""

    def can_edit_fields(self) -> tuple[bool, str]:
        reason = self.refusal("management")
        return reason is None, reason or ""

    def confirmation(self, request: ActionRequest, devices: Sequence[Device]) -> str:
        return request.describe(device_list_text([d.name for d in devices]))

    # -- reads around actions ------------------------------------------------------------

    def _need_actions(self) -> DeviceActions:
        if self.actions is None:
            raise DeviceActionRefused(NO_NINJAONE)
        return self.actions

    async def scripting_options(self, device_id: int) -> dict[str, Any]:
        return await self._need_actions().scripting_options(device_id)

    async def windows_services(self, device_id: int) -> list[dict[str, Any]]:
        return await self._need_actions().windows_services(device_id)

    async def device_jobs(self, device_id: int) -> list[Any]:
        return await self._need_actions().device_jobs(device_id)

    async def custom_fields(self, device_id: int) -> dict[str, Any]:
        return await self._need_actions().custom_fields(device_id)

    # -- acting --------------------------------------------------------------------------

    async def _psa(self, fn: Callable[[Any], Any]) -> Any:
        """`fn(session)` in one PSA transaction as this desk's user, on a worker thread."""

        def job() -> Any:
            with self.psa.tenant_session() as s:
                return fn(s)

        return await asyncio.to_thread(job)

    async def _refused(
        self, request: ActionRequest, devices: Sequence[Device], reason: str
    ) -> DeviceActionRefused:
        """The refusal to raise, recorded in the audit log when we know who asked."""
        if self.psa is not None and getattr(self.psa, "user_id", None) is not None:
            try:
                await self._psa(
                    lambda s: log_psa.record_refused(
                        s, [d.id for d in devices], request.kind, reason, by=self.who
                    )
                )
            except Exception as exc:  # the refusal stands either way
                log.warning("Could not record the refused action in the PSA: %s", exc)
        return DeviceActionRefused(reason)

    async def run(
        self,
        request: ActionRequest,
        devices: Sequence[Device],
        *,
        ticket: str | None = None,
        on_update: Update | None = None,
    ) -> BulkOutcome:
        """Send `request` to every device, follow the jobs to their end, record it all.

        Raises DeviceActionRefused (nothing sent) without the right or the scope, or when
        `ticket` does not exist; every other failure is a device's result."""
        started = time.monotonic()
        if not devices:
            raise DeviceActionRefused("Select at least one device.")
        reason = self.refusal(request.scope)
        if reason is not None:
            raise await self._refused(request, devices, reason)
        actions = self._need_actions()

        def preflight(s: Any) -> tuple[log_psa.TicketRef | None, dict[int, uuid.UUID]]:
            if s.user_id is not None and DEVICE_ACTIONS not in permissions_of(s, s.user_id):
                raise PermissionDenied(DENIED, DEVICE_ACTIONS)
            ref = log_psa.find_ticket(s, ticket) if ticket else None
            return ref, log_psa.assets_for_devices(s, [d.id for d in devices])

        try:
            ticket_ref, asset_ids = await self._psa(preflight)
        except PermissionDenied as exc:
            raise await self._refused(request, devices, str(exc)) from None
        except NotFound as exc:
            raise DeviceActionRefused(str(exc)) from None

        outcome = BulkOutcome(
            request,
            [DeviceResult(d.id, d.name) for d in devices],
            ticket_ref.ticket_number if ticket_ref else None,
        )
        rows = {r.device_id: r for r in outcome.results}
        entries = {
            d.id: log_psa.ActionEntry(
                uuid.uuid4(),
                d.id,
                d.name,
                str(request.kind),
                request.describe(d.name),
                self.who,
                outcome.ticket,
                _details(request),
            )
            for d in devices
        }

        async def update(row: DeviceResult) -> None:
            self.last_results[row.device_id] = replace(row)
            if on_update is not None:
                result = on_update(row)
                if asyncio.iscoroutine(result):
                    await result

        # 1. send, a few at a time; a 403 stops the rest (they would all get it).
        mark = await actions.activity_mark() if request.is_job else None
        gate = asyncio.Semaphore(self.concurrency)
        tickets: dict[int, ActionTicket] = {}
        no_scope: list[str] = []

        async def send(device: Device) -> None:
            row = rows[device.id]
            async with gate:
                if no_scope:
                    row.status, row.result, row.message = REFUSED, REFUSED, no_scope[0]
                    await update(row)
                    return
                try:
                    sent = await self._send(actions, request, device.id, mark)
                except ScopeMissing as exc:
                    no_scope.append(str(exc))
                    row.status, row.result, row.message = REFUSED, REFUSED, str(exc)
                except (NinjaOneError, ValueError) as exc:
                    row.status, row.result, row.message = NOT_SENT, NOT_SENT, str(exc)
                else:
                    if sent is None:  # maintenance: done when accepted
                        row.status, row.result = "SUCCESS", "SUCCESS"
                        row.message = request.describe(device.name)
                    else:
                        tickets[device.id] = sent
                        row.status = SENT
                await update(row)

        await asyncio.gather(*(send(d) for d in devices))
        sent_rows = [(entries[r.device_id], _as_logged(r)) for r in outcome.results]
        await self._record(outcome, sent_rows, asset_ids)

        # 2. follow the jobs; outcomes are recorded in batches as they come in.
        if tickets:
            queue: list[JobOutcome] = []
            wake = asyncio.Event()
            finished = False

            async def writer() -> None:
                while True:
                    await wake.wait()
                    wake.clear()
                    batch, queue[:] = list(queue), []
                    if batch:
                        pairs = [
                            (
                                entries[o.device_id],
                                log_psa.ActionResult(o.result, o.message, o.job_uid),
                            )
                            for o in batch
                        ]
                        await self._record(outcome, pairs, asset_ids, final=True)
                    if finished and not queue:
                        return

            async def progress(step: JobProgress) -> None:
                row = rows[step.device_id]
                if row.ended:
                    return
                row.status, row.job_uid = step.status, step.job_uid or row.job_uid
                row.message = step.message or row.message
                await update(row)

            async def ended(job: JobOutcome) -> None:
                row = rows[job.device_id]
                row.status = row.result = job.result
                row.message, row.job_uid = job.message, job.job_uid
                queue.append(job)
                wake.set()
                await update(row)

            write_task = asyncio.create_task(writer())
            try:
                await follow_all(
                    actions,
                    list(tickets.values()),
                    timeout=self.timeout,
                    poll_interval=self.poll_interval,
                    on_progress=progress,
                    on_outcome=ended,
                )
            finally:
                finished = True
                wake.set()
                await write_task

        # 3. the ticket hears the outcome.
        if ticket_ref is not None:
            note = log_psa.outcome_note(
                request.describe(device_list_text([d.name for d in devices])),
                [(r.name, r.result or "UNKNOWN", r.message) for r in outcome.results],
                self.who,
            )
            try:
                outcome.comment_id = await self._psa(
                    lambda s: log_psa.comment_on_ticket(s, ticket_ref, note)
                )
            except Exception as exc:
                outcome.record_errors.append(f"The note on {ticket_ref.ticket_number}: {exc}")
                log.warning("Could not write the outcome on the ticket: %s", exc)
        await self._remember_in_cache(request, outcome)
        outcome.seconds = time.monotonic() - started
        return outcome

    async def _send(
        self, actions: DeviceActions, request: ActionRequest, device_id: int, mark: int | None
    ) -> ActionTicket | None:
        kind = request.kind
        if kind == MAINTENANCE_ON:
            if request.until is None:
                raise ValueError("Say until when the maintenance lasts.")
            await actions.set_maintenance(
                device_id, request.until, request.features, reason=request.reason
            )
            return None
        if kind == MAINTENANCE_OFF:
            await actions.clear_maintenance(device_id)
            return None
        action = ActionKind(kind)
        if action is ActionKind.REBOOT:
            return await actions.reboot(
                device_id, forced=request.forced, reason=request.reason, mark=mark
            )
        if action in (ActionKind.SCRIPT, ActionKind.ACTION):
            return await actions.run_script(
                device_id,
                script_id=request.script_id,
                action_uid=request.action_uid,
                parameters=request.parameters,
                run_as=request.run_as,
                mark=mark,
            )
        if action is ActionKind.SERVICE:
            return await actions.control_service(
                device_id, str(request.service_id), str(request.service_action), mark=mark
            )
        family, _, op = action.value.partition("_")
        return await actions.patch(device_id, family, op, mark=mark)

    async def _record(
        self,
        outcome: BulkOutcome,
        rows: list[tuple[log_psa.ActionEntry, log_psa.ActionResult]],
        asset_ids: dict[int, uuid.UUID],
        *,
        final: bool = False,
    ) -> None:
        if not rows:
            return
        integration = self.psa.integration_id
        try:
            await self._psa(
                lambda s: log_psa.record(s, integration, rows, final=final, asset_ids=asset_ids)
            )
        except Exception as exc:  # the action happened; say the record is missing
            outcome.record_errors.append(str(exc))
            log.warning("Could not record device actions in the PSA: %s", exc)

    async def _remember_in_cache(self, request: ActionRequest, outcome: BulkOutcome) -> None:
        """The outcome on the device, offline too (the cache's local activity log)."""
        if self.cache is None:
            return
        now = time.time()
        entries = [
            activity_log.ActivityEntry(
                now,
                self.who,
                r.device_id,
                outcome.ticket,
                {"action": request.label, "result": r.result, "message": r.message},
            )
            for r in outcome.results
        ]
        try:
            await self.cache.write(activity_log.append, activity_log.DEVICE_ACTION, entries)
        except Exception as exc:
            log.warning("Could not keep the action in the local cache: %s", exc)

    # -- custom fields -------------------------------------------------------------------

    async def set_custom_fields(
        self, device: Device, values: dict[str, Any], before: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Change custom field values on the device (None clears one); recorded like an
        action, with the `{field: {old, new}}` diff. Returns the fields as NinjaOne has them
        afterwards."""
        reason = self.refusal("management")
        request = ActionRequest(CUSTOM_FIELDS)
        if reason is not None:
            raise await self._refused(request, [device], reason)
        actions = self._need_actions()
        old = before or {}
        diff = {k: {"old": old.get(k), "new": v} for k, v in values.items() if old.get(k) != v}
        if not diff:
            return dict(old)
        entry = log_psa.ActionEntry(
            uuid.uuid4(),
            device.id,
            device.name,
            CUSTOM_FIELDS,
            f"Change custom fields of {device.name}: " + ", ".join(sorted(diff)),
            self.who,
            details={"fields": diff},
        )
        outcome = BulkOutcome(request, [DeviceResult(device.id, device.name)])
        try:
            await actions.patch_custom_fields(device.id, {k: v["new"] for k, v in diff.items()})
        except NinjaOneError as exc:
            await self._record(outcome, [(entry, log_psa.ActionResult(NOT_SENT, str(exc)))], {})
            raise
        await self._record(outcome, [(entry, log_psa.ActionResult("SUCCESS"))], {})
        return await actions.custom_fields(device.id)


def _as_logged(row: DeviceResult) -> log_psa.ActionResult:
    if row.status == SENT:
        return log_psa.ActionResult("sent")
    return log_psa.ActionResult(row.result or NOT_SENT, row.message)


def _details(request: ActionRequest) -> dict[str, Any]:
    keep = {
        "forced": request.forced or None,
        "reason": request.reason,
        "script_id": request.script_id,
        "action_uid": request.action_uid,
        "script": request.script_name,
        "parameters": request.parameters,
        "run_as": request.run_as,
        "service": request.service_id,
        "service_action": request.service_action,
        "until": request.until if request.kind == MAINTENANCE_ON else None,
    }
    return {k: v for k, v in keep.items() if v is not None}
