"""Device actions through the real client (ninjaone/device_actions.py) against the real
simulator over loopback: each action from the request to its job's outcome, the device
changed, the typed errors (no Control scope, unknown device, offline, not applicable), bulk
follow, timeouts, and the job's activities reaching incremental sync."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from ninja_desk.core.device_jobs import ActionKind, JobProgress
from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.device_actions import (
    ActionNotApplicable,
    ActionRejected,
    DeviceActions,
    DeviceNotFound,
    DeviceOffline,
    ScopeMissing,
    follow_all,
)
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.session import open_api
from ninja_desk.ninjaone.tokens import OAuthTokenProvider
from ninja_desk.simulator import SimControl

POLL = 0.05


@pytest.fixture
def ctl(sim: Any) -> Iterator[SimControl]:
    # Closed after the test (the shared fixture leaves its connection open).
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
def actions(api: NinjaOneApi) -> DeviceActions:
    return api.device_actions


@pytest.fixture
async def no_control(sim: Any, ctl: SimControl) -> AsyncIterator[DeviceActions]:
    """An API client app granted monitoring and management, but not control."""
    ctl.register_client("desk-no-control", secret="s3cret")
    tokens = OAuthTokenProvider(
        sim.base_url, "desk-no-control", "s3cret", scopes=("monitoring", "management")
    )
    client = NinjaOneClient(sim.base_url, tokens, limiter=RateLimiter(500, burst=500))
    yield DeviceActions(client)
    await client.aclose()


def _device(sim: Any, node_class: str = "WINDOWS_WORKSTATION", skip: int = 0) -> int:
    ids = [
        d.id
        for d in sorted(sim.tenant.fleet.devices.values(), key=lambda d: d.id)
        if d.node_class == node_class and not d.offline
    ]
    return ids[skip]


async def test_reboot_from_request_to_outcome(
    sim: Any, actions: DeviceActions, api: NinjaOneApi
) -> None:
    dev_id = _device(sim)
    before = (await api.client.get(f"/device/{dev_id}"))["os"]["lastBootTime"]
    steps: list[JobProgress] = []
    ticket = await actions.reboot(dev_id, reason="Patch Tuesday")
    assert ticket.kind is ActionKind.REBOOT and ticket.device_id == dev_id
    outcome = await actions.follow_job(ticket, on_progress=steps.append, poll_interval=POLL)
    assert outcome.success, outcome.message
    assert outcome.job_uid and outcome.finished_at
    statuses = [s.status for s in steps]
    assert statuses[0] == "REQUESTED" and len(statuses) >= 2, statuses
    assert {s.job_uid for s in steps} == {outcome.job_uid}
    assert [a["statusCode"] for a in outcome.activities][-1] == "COMPLETED"
    after = await api.client.get(f"/device/{dev_id}")
    assert after["offline"] is False and after["os"]["lastBootTime"] > before
    assert await actions.device_jobs(dev_id) == []


async def test_failed_reboot_reports_the_failure(
    sim: Any, ctl: SimControl, actions: DeviceActions, api: NinjaOneApi
) -> None:
    dev_id = _device(sim)
    before = (await api.client.get(f"/device/{dev_id}"))["os"]["lastBootTime"]
    ctl.set_job_outcome("failure", device_id=dev_id, action="reboot", message="Agent hung")
    ticket = await actions.reboot(dev_id, forced=True)
    outcome = await actions.follow_job(ticket, poll_interval=POLL)
    assert not outcome.success and outcome.result == "FAILURE"
    assert "Agent hung" in outcome.message
    assert (await api.client.get(f"/device/{dev_id}"))["os"]["lastBootTime"] == before


async def test_script_run_success_and_failure(
    sim: Any, ctl: SimControl, actions: DeviceActions
) -> None:
    dev_id = _device(sim)
    options = await actions.scripting_options(dev_id)
    script = next(s for s in options["scripts"] if s["type"] == "SCRIPT")
    built_in = next(s for s in options["scripts"] if s["type"] == "ACTION")
    ticket = await actions.run_script(dev_id, script_id=script["id"], run_as="SYSTEM")
    outcome = await actions.follow_job(ticket, poll_interval=POLL)
    assert outcome.success and "exit code 0" in outcome.message
    ticket = await actions.run_script(dev_id, action_uid=built_in["uid"])
    assert (await actions.follow_job(ticket, poll_interval=POLL)).success
    ctl.set_job_outcome("failure", device_id=dev_id, action="script", message="Disk is full")
    ticket = await actions.run_script(dev_id, script_id=script["id"], parameters="-All")
    outcome = await actions.follow_job(ticket, poll_interval=POLL)
    assert outcome.result == "FAILURE" and outcome.message.endswith("Disk is full")
    with pytest.raises(ActionRejected, match="not available"):
        await actions.run_script(dev_id, script_id=99999)


async def test_patch_scan_and_apply(sim: Any, ctl: SimControl, actions: DeviceActions) -> None:
    dev_id = _device(sim)
    scan = await actions.follow_job(await actions.patch(dev_id, "os", "scan"), poll_interval=POLL)
    assert scan.success and "patches pending" in scan.message
    outcome = await actions.follow_job(
        await actions.patch(dev_id, "os", "apply"), poll_interval=POLL
    )
    assert outcome.success, outcome.message
    codes = [a["statusCode"] for a in outcome.activities]
    assert codes[0] == "PATCH_MANAGEMENT_APPLY_PATCH_STARTED"
    assert codes[-1] == "PATCH_MANAGEMENT_APPLY_PATCH_COMPLETED"
    other = _device(sim, skip=1)
    ctl.set_job_outcome("failure", device_id=other, action="software_apply")
    failed = await actions.follow_job(
        await actions.patch(other, "software", "apply"), poll_interval=POLL
    )
    assert failed.result == "FAILURE"


async def test_service_control_changes_the_service(
    sim: Any, ctl: SimControl, actions: DeviceActions
) -> None:
    dev_id = _device(sim)
    assert (await actions.windows_services(dev_id, name="Spooler"))[0]["state"] == "RUNNING"
    ticket = await actions.control_service(dev_id, "Spooler", "stop")
    assert (await actions.follow_job(ticket, poll_interval=POLL)).success
    assert (await actions.windows_services(dev_id, name="Spooler"))[0]["state"] == "STOPPED"
    ctl.set_job_outcome("failure", device_id=dev_id, action="service")
    ticket = await actions.control_service(dev_id, "Spooler", "START")
    outcome = await actions.follow_job(ticket, poll_interval=POLL)
    assert outcome.result == "FAILURE" and "did not respond" in outcome.message
    assert (await actions.windows_services(dev_id, name="Spooler"))[0]["state"] == "STOPPED"


async def test_without_the_control_scope_actions_say_so(
    sim: Any, no_control: DeviceActions
) -> None:
    dev_id = _device(sim)
    calls = (
        lambda: no_control.reboot(dev_id),
        lambda: no_control.run_script(dev_id, script_id=101),
        lambda: no_control.patch(dev_id, "os", "apply"),
        lambda: no_control.control_service(dev_id, "Spooler", "RESTART"),
    )
    for call in calls:
        with pytest.raises(ScopeMissing) as caught:
            await call()
        assert caught.value.scope == "control" and caught.value.status == 403
        assert "needs the Control scope" in str(caught.value)
    # What needs only monitoring/management still works for that app.
    await no_control.patch_custom_fields(dev_id, {"assetTag": "AT-LOCKED"})
    assert (await no_control.custom_fields(dev_id))["assetTag"] == "AT-LOCKED"


async def test_unknown_offline_and_not_applicable_devices(
    sim: Any, ctl: SimControl, actions: DeviceActions
) -> None:
    with pytest.raises(DeviceNotFound, match="no device 987654"):
        await actions.reboot(987654)
    dev_id = _device(sim)
    ctl.set_offline(dev_id, True)
    with pytest.raises(DeviceOffline, match="offline") as caught:
        await actions.reboot(dev_id)
    assert caught.value.status == 400
    nms = next(d.id for d in sim.tenant.fleet.devices.values() if d.node_class.startswith("NMS"))
    with pytest.raises(ActionNotApplicable):
        await actions.patch(nms, "os", "scan")


async def test_bulk_reboot_follows_every_job(
    sim: Any, ctl: SimControl, actions: DeviceActions
) -> None:
    ids = [_device(sim, skip=i) for i in range(6)]
    mark = await actions.activity_mark()
    ctl.set_job_outcome("failure", device_id=ids[2], action="reboot", message="Hung")
    tickets = [await actions.reboot(i, mark=mark) for i in ids]
    heard: list[Any] = []
    steps: list[JobProgress] = []
    calls_before = actions.client.total_calls
    outcomes = await follow_all(
        actions,
        tickets,
        poll_interval=POLL,
        timeout=20,
        on_outcome=heard.append,
        on_progress=steps.append,
    )
    assert [o.device_id for o in outcomes] == ids
    assert [o.success for o in outcomes] == [True, True, False, True, True, True]
    assert outcomes[2].message.endswith("Hung")
    assert len({o.job_uid for o in outcomes}) == len(ids)
    assert sorted(o.device_id for o in heard) == sorted(ids)
    assert {s.device_id for s in steps if s.status == "REQUESTED"} == set(ids)
    # Two calls a poll for the whole selection, not two per device.
    polls = actions.client.calls["GET /v2/activities"]
    assert actions.client.total_calls - calls_before <= 2 * polls + 2


async def test_two_jobs_on_one_device_are_told_apart(sim: Any, actions: DeviceActions) -> None:
    dev_id = _device(sim)
    first = await actions.run_script(dev_id, script_id=101)
    second = await actions.run_script(dev_id, script_id=102)
    a = await actions.follow_job(first, poll_interval=POLL)
    b = await actions.follow_job(second, poll_interval=POLL)
    assert a.success and b.success and a.job_uid != b.job_uid
    assert "Disk cleanup" in a.message and "Collect event logs" in b.message


async def test_follow_times_out_with_an_outcome(
    sim: Any, ctl: SimControl, actions: DeviceActions
) -> None:
    ctl.set_job_duration(30)
    dev_id = _device(sim)
    ticket = await actions.patch(dev_id, "software", "scan")
    started = time.monotonic()
    outcome = await actions.follow_job(ticket, timeout=0.4, poll_interval=POLL)
    assert outcome.timed_out and not outcome.success
    assert outcome.job_uid is not None and "within 0.4 s" in outcome.message
    assert time.monotonic() - started < 5
    jobs = await actions.device_jobs(dev_id)
    assert [j.uid for j in jobs] == [outcome.job_uid] and jobs[0].job_type == (
        "SOFTWARE_PATCH_MANAGEMENT"
    )
    assert [j.uid for j in await actions.jobs(job_type="SOFTWARE_PATCH_MANAGEMENT")] == [
        outcome.job_uid
    ]


async def test_maintenance_and_custom_fields(
    sim: Any, actions: DeviceActions, api: NinjaOneApi
) -> None:
    dev_id = _device(sim)
    await actions.set_maintenance(dev_id, time.time() + 3600, ["ALERTS", "PATCHING"], reason="Move")
    maintenance = (await api.client.get(f"/device/{dev_id}"))["maintenance"]
    assert maintenance["status"] == "IN_MAINTENANCE"
    with pytest.raises(ActionRejected, match="starts in the past"):
        await actions.set_maintenance(dev_id, time.time() + 60, start=time.time() - 3600)
    await actions.clear_maintenance(dev_id)
    assert "maintenance" not in await api.client.get(f"/device/{dev_id}")
    with pytest.raises(ValueError):
        await actions.set_maintenance(dev_id, time.time() + 60, ["REBOOTS"])
    fields = await actions.custom_fields(dev_id, inherit=True)
    assert fields["assetTag"] == f"AT-{dev_id:05d}" and "primaryContact" in fields
    await actions.patch_custom_fields(dev_id, {"patchRing": "Ring 2", "assetTag": None})
    fields = await actions.custom_fields(dev_id)
    assert fields["patchRing"] == "Ring 2" and "assetTag" not in fields
    with pytest.raises(ActionRejected, match="not defined"):
        await actions.patch_custom_fields(dev_id, {"nope": 1})
    org = await actions.organization_custom_fields(1)
    await actions.patch_organization_custom_fields(1, {"contractTier": "Platinum"})
    assert (
        (await actions.organization_custom_fields(1))["contractTier"]
        == "Platinum"
        != org.get("contractTier")
    )


async def test_job_activities_reach_incremental_sync(
    sim: Any, engine: Any, actions: DeviceActions
) -> None:
    first = await engine.sync("full")
    assert first.kind == "full"
    dev_id = _device(sim)
    query = "SELECT offline, last_boot_time FROM devices WHERE id = :id"
    before = engine.cache.rows(query, id=dev_id)[0]["last_boot_time"]
    outcome = await actions.follow_job(await actions.reboot(dev_id), poll_interval=POLL)
    assert outcome.success
    result = await engine.sync("incremental")
    assert result.kind == "incremental" and result.activities >= 4
    row = engine.cache.rows(query, id=dev_id)[0]
    assert not row["offline"] and row["last_boot_time"] > before
