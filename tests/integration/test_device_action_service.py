"""Device actions end to end: the real simulator over loopback, the real client, a real PSA
(SQLite and PostgreSQL). Each action to its job's outcome (success, failure, 403 without the
Control scope, device offline, unknown device), refused without rmm:execute_command, and what
Alga keeps: asset_history rows, audit_logs rows, the internal note on the ticket."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.device_actions import DeviceActions
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.session import open_api
from ninja_desk.ninjaone.tokens import OAuthTokenProvider
from ninja_desk.psa import tickets
from ninja_desk.psa.schema import asset_history, audit_logs, comments
from ninja_desk.psa.tenants import create_user, set_role_rights
from ninja_desk.simulator import SimControl
from ninja_desk.sync.desktop_runtime import DesktopPsa
from ninja_desk.sync.device_action_service import (
    DENIED,
    MAINTENANCE_OFF,
    MAINTENANCE_ON,
    NOT_SENT,
    REFUSED,
    ActionRequest,
    Device,
    DeviceActionRefused,
    DeviceActionService,
    DeviceResult,
)
from tests.alerts.seed import add_asset, add_client, add_integration
from tests.psa.conftest import (  # noqa: F401
    PsaEnv,
    pg_server,
    pg_server_url,
    psa,
    sqlite_template,
)

POLL = 0.05


@dataclass
class Desk:
    env: PsaEnv
    integration: uuid.UUID
    devices: list[Device]
    assets: dict[int, uuid.UUID]
    tech: uuid.UUID
    nobody: uuid.UUID
    ticket: tickets.Ticket

    def handle(self, user: uuid.UUID | None = None) -> DesktopPsa:
        user = user or self.tech
        return DesktopPsa(self.env.psa, self.env.tenant, user, self.integration, "tech")


@pytest.fixture
def ctl(sim: Any) -> Iterator[SimControl]:
    with SimControl(sim.base_url) as control:
        yield control


@pytest.fixture
async def api(sim: Any, tmp_path: Path) -> AsyncIterator[NinjaOneApi]:
    ninja = open_api(
        sim.base_url,
        "demo-client",
        "demo-secret",
        rate_per_second=500,
        retry=RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.1),
        lock_dir=tmp_path,
    )
    yield ninja
    await ninja.client.aclose()


@pytest.fixture
def desk(psa: PsaEnv, sim: Any) -> Desk:  # noqa: F811 (the imported fixture)
    online = sorted(
        d.id
        for d in sim.tenant.fleet.devices.values()
        if d.node_class == "WINDOWS_WORKSTATION" and not d.offline
    )[:6]
    suffix = uuid.uuid4().hex[:4]
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        integration = add_integration(s)
        client = add_client(s, "Acme")
        assets = {d: add_asset(s, client, d, 1) for d in online[:5]}  # the 6th has no asset
        tech = create_user(s, f"tech{suffix}", ["Technician"], email=f"t{suffix}@msp.example")
        nobody = create_user(s, f"idle{suffix}", [], email=f"i{suffix}@msp.example")
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        ticket = tickets.create_ticket(s, client_id=client, title="Slow PC")
    devices = [Device(d, f"PC-{d:05d}") for d in online]
    return Desk(psa, integration, devices, assets, tech, nobody, ticket)


def service(desk: Desk, actions: DeviceActions, **kw: Any) -> DeviceActionService:
    kw.setdefault("poll_interval", POLL)
    kw.setdefault("timeout", 30.0)
    return DeviceActionService(actions, desk.handle(kw.pop("user", None)), **kw)


def history(desk: Desk, device_id: int) -> list[Any]:
    h = asset_history.c
    with desk.env.psa.tenant_session(desk.env.tenant) as s:
        return s.conn.execute(
            sa.select(h.change_type, h.changed_by, h.changes)
            .where(h.tenant == desk.env.tenant, h.asset_id == desk.assets[device_id])
            .order_by(h.changed_at)
        ).all()


def audits(desk: Desk) -> list[Any]:
    a = audit_logs.c
    with desk.env.psa.tenant_session(desk.env.tenant) as s:
        return s.conn.execute(
            sa.select(a.operation, a.user_id, a.record_id, a.changed_data)
            .where(a.tenant == desk.env.tenant, a.operation.like("device_action.%"))
            .order_by(a.timestamp)
        ).all()


def notes(desk: Desk) -> list[Any]:
    c = comments.c
    with desk.env.psa.tenant_session(desk.env.tenant) as s:
        return s.conn.execute(
            sa.select(c.markdown_content, c.is_internal, c.user_id).where(
                c.tenant == desk.env.tenant, c.ticket_id == desk.ticket.ticket_id
            )
        ).all()


async def test_reboot_from_a_ticket_to_its_outcome_recorded_in_alga(
    desk: Desk, api: NinjaOneApi
) -> None:
    device = desk.devices[0]
    seen: list[str] = []
    svc = service(desk, api.device_actions)
    outcome = await svc.run(
        ActionRequest("reboot", reason="Slow"),
        [device],
        ticket=desk.ticket.ticket_number.lower(),
        on_update=lambda row: seen.append(row.status),
    )
    (row,) = outcome.results
    assert outcome.ok and row.result == "SUCCESS" and row.job_uid, row
    assert seen[0] == "SENT" and "REQUESTED" in seen and seen[-1] == "SUCCESS"
    assert outcome.record_errors == []
    sent, done = history(desk, device.id)
    assert sent.change_type == done.change_type == "rmm_action"
    assert sent.changed_by == done.changed_by == desk.tech
    assert sent.changes["result"] == {"old": None, "new": "sent"}
    assert done.changes["result"] == {"old": "sent", "new": "SUCCESS"}
    assert done.changes["ticket"] == desk.ticket.ticket_number
    assert "Reboot PC-" in done.changes["what"] and done.changes["job_uid"] == row.job_uid
    ops = [(a.operation, a.user_id, a.record_id) for a in audits(desk)]
    asset = str(desk.assets[device.id])
    assert ops == [
        ("device_action.sent", str(desk.tech), asset),
        ("device_action.finished", str(desk.tech), asset),
    ]
    (note,) = notes(desk)
    assert note.is_internal and note.user_id == desk.tech
    assert "1 of 1 succeeded" in note.markdown_content and device.name in note.markdown_content
    assert svc.last_results[device.id].ok


async def test_a_failed_forced_reboot_is_a_failure_everywhere(
    desk: Desk, api: NinjaOneApi, ctl: SimControl
) -> None:
    device = desk.devices[1]
    ctl.set_job_outcome("failure", device_id=device.id, action="reboot", message="Agent hung")
    request = ActionRequest("reboot", forced=True)
    svc = service(desk, api.device_actions)
    assert "without saving" in svc.confirmation(request, [device])
    outcome = await svc.run(request, [device], ticket=desk.ticket.ticket_number)
    (row,) = outcome.results
    assert not outcome.ok and row.result == "FAILURE" and "Agent hung" in row.message
    assert history(desk, device.id)[-1].changes["result"]["new"] == "FAILURE"
    assert "0 of 1 succeeded" in notes(desk)[0].markdown_content


async def test_script_patch_service_and_maintenance_reach_their_outcomes(
    desk: Desk, api: NinjaOneApi
) -> None:
    device = desk.devices[2]
    svc = service(desk, api.device_actions)
    options = await svc.scripting_options(device.id)
    script = next(s for s in options["scripts"] if s["type"] == "SCRIPT")
    services = await svc.windows_services(device.id)
    running = next(s for s in services if s["state"] == "RUNNING")
    requests = [
        ActionRequest(
            "script", script_id=script["id"], script_name=script["name"], run_as="SYSTEM"
        ),
        ActionRequest("os_scan"),
        ActionRequest("software_apply"),
        ActionRequest("service", service_id=running["name"], service_action="RESTART"),
        ActionRequest(MAINTENANCE_ON, until=9_999_999_999.0, reason="Window"),
        ActionRequest(MAINTENANCE_OFF),
    ]
    for request in requests:
        outcome = await svc.run(request, [device])
        assert outcome.ok, (request.kind, outcome.results)
    assert "Run the script" in svc.confirmation(requests[0], [device])
    results = [h.changes["result"]["new"] for h in history(desk, device.id)]
    # four jobs (sent, then their outcome) and two immediate maintenance changes
    assert results == ["sent", "SUCCESS"] * 4 + ["SUCCESS", "SUCCESS"]
    ops = {a.operation for a in audits(desk)}
    assert ops == {"device_action.sent", "device_action.finished"}


@pytest.mark.parametrize(
    ("kind", "sim_action"),
    [("script", "script"), ("os_apply", "os_apply"), ("software_scan", "software_scan"),
     ("service", "service")],
)  # fmt: skip
async def test_each_action_s_failure_is_its_outcome(
    desk: Desk, api: NinjaOneApi, ctl: SimControl, kind: str, sim_action: str
) -> None:
    device = desk.devices[3]
    svc = service(desk, api.device_actions)
    extra: dict[str, Any] = {}
    if kind == "script":
        options = await svc.scripting_options(device.id)
        extra["script_id"] = next(s["id"] for s in options["scripts"] if s["type"] == "SCRIPT")
    if kind == "service":
        services = await svc.windows_services(device.id)
        extra.update(service_id=services[0]["name"], service_action="RESTART")
    ctl.set_job_outcome("failure", device_id=device.id, action=sim_action, message="It broke")
    outcome = await svc.run(ActionRequest(kind, **extra), [device])
    (row,) = outcome.results
    assert row.result == "FAILURE" and "It broke" in row.message, row
    assert [h.changes["result"]["new"] for h in history(desk, device.id)] == ["sent", "FAILURE"]


async def test_bulk_reboot_gives_a_result_per_device(
    desk: Desk, api: NinjaOneApi, ctl: SimControl
) -> None:
    ctl.set_offline(desk.devices[1].id)
    ctl.set_job_outcome("failure", device_id=desk.devices[2].id, message="Pending update")
    gone = Device(987654, "Ghost")
    selection = [*desk.devices, gone]
    svc = service(desk, api.device_actions)
    assert "7 devices (PC-" in svc.confirmation(ActionRequest("reboot"), selection)
    outcome = await svc.run(ActionRequest("reboot"), selection, ticket=desk.ticket.ticket_number)
    by_id = {r.device_id: r for r in outcome.results}
    assert [r.device_id for r in outcome.results] == [d.id for d in selection]
    assert by_id[desk.devices[1].id].result == NOT_SENT
    assert "offline" in by_id[desk.devices[1].id].message
    assert by_id[desk.devices[2].id].result == "FAILURE"
    assert by_id[gone.id].result == NOT_SENT and "no device" in by_id[gone.id].message
    assert {by_id[d.id].result for d in (desk.devices[0], *desk.devices[3:])} == {"SUCCESS"}
    assert len(outcome.failed) == 3
    assert [h.changes["result"]["new"] for h in history(desk, desk.devices[1].id)] == [NOT_SENT]
    # the device without an asset and the unknown device are in the audit log all the same
    records = {a.record_id for a in audits(desk)}
    assert f"device:{desk.devices[5].id}" in records and f"device:{gone.id}" in records
    (note,) = notes(desk)
    assert (
        "4 of 7 succeeded" in note.markdown_content and "Ghost: not sent" in note.markdown_content
    )


async def test_who_may_act_but_not_comment_gets_a_system_note(desk: Desk, api: NinjaOneApi) -> None:
    with desk.env.psa.tenant_session(desk.env.tenant, desk.env.admin_id) as s:
        set_role_rights(s, "Dispatcher", [("asset", "read"), ("rmm", "execute_command")])
        actor = create_user(s, f"rmm{uuid.uuid4().hex[:4]}", ["Dispatcher"])
    svc = service(desk, api.device_actions, user=actor)
    outcome = await svc.run(
        ActionRequest("os_scan"), desk.devices[:1], ticket=desk.ticket.ticket_number
    )
    assert outcome.ok and outcome.comment_id is not None and outcome.record_errors == []
    (note,) = notes(desk)
    assert note.is_internal and note.user_id is None  # the system's note
    assert "1 of 1 succeeded" in note.markdown_content
    assert history(desk, desk.devices[0].id)[-1].changed_by == actor


async def test_refused_without_rmm_execute_command(
    desk: Desk, api: NinjaOneApi, ctl: SimControl
) -> None:
    svc = service(desk, api.device_actions, user=desk.nobody)
    assert svc.availability(ActionRequest("reboot")) == (False, DENIED)
    with pytest.raises(DeviceActionRefused, match="rmm:execute_command"):
        await svc.run(ActionRequest("reboot"), desk.devices[:2])
    jobs = ctl.jobs()
    assert jobs["running"] == jobs["finished"] == []  # nothing reached NinjaOne
    ((op, user, _, data),) = audits(desk)
    assert op == "device_action.refused" and user == str(desk.nobody)
    assert data["devices"] == 2
    assert history(desk, desk.devices[0].id) == []


async def test_403_without_the_control_scope(desk: Desk, sim: Any, ctl: SimControl) -> None:
    # The settings claim Control, but the API app was not granted it: NinjaOne says 403.
    ctl.register_client("desk-no-control", secret="s3cret")
    tokens = OAuthTokenProvider(
        sim.base_url, "desk-no-control", "s3cret", scopes=("monitoring", "management")
    )
    client = NinjaOneClient(sim.base_url, tokens, limiter=RateLimiter(500, burst=500))
    try:
        svc = service(desk, DeviceActions(client))
        outcome = await svc.run(ActionRequest("reboot"), desk.devices[:3])
    finally:
        await client.aclose()
    assert {r.result for r in outcome.results} == {REFUSED}
    assert all("Control scope" in r.message for r in outcome.results)
    assert history(desk, desk.devices[0].id)[0].changes["result"]["new"] == REFUSED
    # and when the settings know the scope is missing, nothing is sent at all
    svc = service(desk, DeviceActions(client), scopes=("monitoring",))
    ok, reason = svc.availability(ActionRequest("reboot"))
    assert not ok and "Control scope" in reason
    with pytest.raises(DeviceActionRefused, match="Control scope"):
        await svc.run(ActionRequest("reboot"), desk.devices[:1])


async def test_an_unknown_ticket_refuses_before_sending(
    desk: Desk, api: NinjaOneApi, ctl: SimControl
) -> None:
    svc = service(desk, api.device_actions)
    with pytest.raises(DeviceActionRefused, match="no ticket TIC999999"):
        await svc.run(ActionRequest("reboot"), desk.devices[:1], ticket="TIC999999")
    assert ctl.jobs()["finished"] == ctl.jobs()["running"] == []


async def test_custom_fields_are_changed_and_recorded(desk: Desk, api: NinjaOneApi) -> None:
    device = desk.devices[0]
    svc = service(desk, api.device_actions)
    before = await svc.custom_fields(device.id)
    name = next(iter(before))
    after = await svc.set_custom_fields(device, {name: "changed by test"}, before)
    assert after[name] == "changed by test"
    (entry,) = history(desk, device.id)
    assert entry.changes["action"] == "custom_fields"
    assert entry.changes["details"]["fields"][name]["new"] == "changed by test"
    nobody = service(desk, api.device_actions, user=desk.nobody)
    assert not nobody.can_edit_fields()[0]
    with pytest.raises(DeviceActionRefused):
        await nobody.set_custom_fields(device, {name: "x"}, after)


def test_device_result_reads_as_a_row() -> None:
    row = DeviceResult(1, "PC-1", status="SUCCESS", result="SUCCESS")
    assert row.ok and row.ended and row.as_dict()["device"] == "PC-1"
