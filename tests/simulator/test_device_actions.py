"""Device actions over loopback: each action from the POST to its job's end, the activities
it leaves, how it changes the device, scopes, unknown and offline devices."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from ninja_desk.simulator import AsyncSimControl, SimulatorConfig
from ninja_desk.simulator.server import RunningSimulator

from .conftest import BASE_TIME, client_credentials_token


@pytest.fixture
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(orgs=4, devices=60, seed=7, base_time=BASE_TIME, job_duration=0.08)


@pytest.fixture
async def ctl(sim: RunningSimulator) -> Any:
    async with AsyncSimControl(sim.base_url) as control:
        yield control


@pytest.fixture
async def no_control(sim: RunningSimulator) -> Any:
    """A client app token with monitoring and management but not control."""
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as http:
        token = await client_credentials_token(http, scope="monitoring management")
        http.headers["Authorization"] = f"Bearer {token['access_token']}"
        yield http


def _online(sim: RunningSimulator, node_class: str = "WINDOWS_WORKSTATION") -> int:
    devices = sim.tenant.fleet.devices.values()
    return next(d.id for d in devices if d.node_class == node_class and not d.offline)


async def _series(api: httpx.AsyncClient, device_id: int, mark: int) -> list[dict[str, Any]]:
    """Activities of the device newer than `mark`, oldest first."""
    body = (
        await api.get(
            f"/v2/device/{device_id}/activities", params={"newerThan": mark, "pageSize": 1000}
        )
    ).json()
    return list(reversed(body["activities"]))


async def _run(api: httpx.AsyncClient, device_id: int, method: str, path: str, **kw: Any) -> Any:
    """Send the action, wait for its job's final activity; returns (final, all activities)."""
    mark = (await api.get("/v2/activities", params={"pageSize": 10})).json()["lastActivityId"]
    resp = await api.request(method, path, **kw)
    assert resp.status_code == 204, resp.text
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = await _series(api, device_id, mark)
        jobs = [r for r in rows if "seriesUid" in r]
        if jobs:
            uid = jobs[0]["seriesUid"]
            done = [r for r in rows if r.get("seriesUid") == uid and "activityResult" in r]
            if done:
                return done[0], rows
        await asyncio.sleep(0.02)
    raise AssertionError("the job never finished")


async def test_reboot_takes_the_device_offline_then_back_with_a_new_boot_time(
    api: httpx.AsyncClient, sim: RunningSimulator, ctl: Any
) -> None:
    dev_id = _online(sim)
    before = (await api.get(f"/v2/device/{dev_id}")).json()["os"]["lastBootTime"]
    await ctl.set_job_duration(0.6)
    seen: list[dict[str, Any]] = []
    sim.tenant.listeners.append(seen.append)  # what webhook delivery receives
    task = asyncio.create_task(
        _run(api, dev_id, "POST", f"/v2/device/{dev_id}/reboot/NORMAL", json={"reason": "t"})
    )
    jobs: list[dict[str, Any]] = []
    went_offline = False
    while not task.done():
        jobs = jobs or (await api.get(f"/v2/device/{dev_id}/jobs")).json()
        went_offline |= (await api.get(f"/v2/device/{dev_id}")).json()["offline"]
        await asyncio.sleep(0.05)
    final, rows = await task
    assert went_offline
    assert jobs and jobs[0]["jobType"] == "ACTION" and jobs[0]["sourceName"] == "Reboot"
    assert jobs[0]["uid"] == final["seriesUid"]
    codes = [(r["activityType"], r["statusCode"]) for r in rows]
    assert codes[:2] == [("ACTION", "START_REQUESTED"), ("ACTION", "STARTED")]
    assert ("SYSTEM", "SYSTEM_REBOOTED") in codes
    assert final["statusCode"] == "COMPLETED" and final["activityResult"] == "SUCCESS"
    after = (await api.get(f"/v2/device/{dev_id}")).json()
    assert after["offline"] is False and after["os"]["lastBootTime"] > before
    assert (await api.get(f"/v2/device/{dev_id}/jobs")).json() == []
    assert {r["id"] for r in rows} <= {r["id"] for r in seen}


async def test_configured_failure_leaves_the_device_as_it_was(
    api: httpx.AsyncClient, sim: RunningSimulator, ctl: Any
) -> None:
    dev_id = _online(sim)
    before = (await api.get(f"/v2/device/{dev_id}")).json()["os"]["lastBootTime"]
    await ctl.set_job_outcome(
        "failure", device_id=dev_id, action="reboot", message="Stuck", times=1
    )
    final, rows = await _run(api, dev_id, "POST", f"/v2/device/{dev_id}/reboot/FORCED")
    assert final["activityResult"] == "FAILURE" and "Stuck" in final["message"]
    assert final["sourceName"] == "Forced reboot"
    assert all(r["statusCode"] != "SYSTEM_REBOOTED" for r in rows)
    assert (await api.get(f"/v2/device/{dev_id}")).json()["os"]["lastBootTime"] == before
    # `times=1`: the rule is used up, the next reboot succeeds.
    final, _ = await _run(api, dev_id, "POST", f"/v2/device/{dev_id}/reboot/NORMAL")
    assert final["activityResult"] == "SUCCESS"
    assert (await ctl.jobs())["rules"] == []


async def test_actions_need_the_control_scope(
    no_control: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    dev_id = _online(sim)
    for path, body in (
        (f"/v2/device/{dev_id}/reboot/NORMAL", {}),
        (f"/v2/device/{dev_id}/script/run", {"type": "SCRIPT", "id": 101}),
        (f"/v2/device/{dev_id}/patch/os/apply", None),
        (f"/v2/device/{dev_id}/windows-service/Spooler/control", {"action": "STOP"}),
    ):
        resp = await no_control.post(path, json=body)
        assert resp.status_code == 403, path
        assert "control" in resp.json()["errorMessage"]
    assert not sim.state.actions.jobs.running
    # Reads and the management writes still work without control.
    assert (await no_control.get(f"/v2/device/{dev_id}/jobs")).status_code == 200
    resp = await no_control.patch(f"/v2/device/{dev_id}/custom-fields", json={"assetTag": "X"})
    assert resp.status_code == 204


async def test_unknown_offline_and_not_applicable_devices(
    api: httpx.AsyncClient, sim: RunningSimulator, ctl: Any
) -> None:
    resp = await api.post("/v2/device/999999/reboot/NORMAL")
    assert resp.status_code == 404 and "nodeId" in resp.json()["errorMessage"]
    dev_id = _online(sim)
    await ctl.set_offline(dev_id, True)
    resp = await api.post(f"/v2/device/{dev_id}/script/run", json={"type": "SCRIPT", "id": 101})
    body = resp.json()
    assert resp.status_code == 400 and body["resultCode"] == "DEVICE_OFFLINE"
    assert "offline" in body["errorMessage"]
    nms = next(d.id for d in sim.tenant.fleet.devices.values() if d.node_class.startswith("NMS"))
    resp = await api.post(f"/v2/device/{nms}/patch/os/scan")
    assert resp.status_code == 400
    assert resp.json()["errorMessage"] == "Device is not applicable for os scan."
    resp = await api.post(f"/v2/device/{_online(sim)}/reboot/SOFT")
    assert resp.status_code == 400
    assert not sim.state.actions.jobs.running


async def test_scripts_and_built_in_actions(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    dev_id = _online(sim)
    options = (await api.get(f"/v2/device/{dev_id}/scripting/options")).json()
    script = next(s for s in options["scripts"] if s["type"] == "SCRIPT")
    action = next(s for s in options["scripts"] if s["type"] == "ACTION")
    assert "SYSTEM" in options["credentials"]["roles"]
    final, rows = await _run(
        api,
        dev_id,
        "POST",
        f"/v2/device/{dev_id}/script/run",
        json={"type": "SCRIPT", "id": script["id"], "parameters": "-Force", "runAs": "system"},
    )
    assert final["activityType"] == "SCRIPTING" and final["activityResult"] == "SUCCESS"
    assert "exit code 0" in final["message"] and final["sourceName"] == script["name"]
    assert rows[0]["statusCode"] == "START_REQUESTED"
    final, _ = await _run(
        api,
        dev_id,
        "POST",
        f"/v2/device/{dev_id}/script/run",
        json={"type": "ACTION", "uid": action["uid"]},
    )
    assert final["activityType"] == "ACTION" and final["sourceConfigUid"] == action["uid"]
    for bad in (
        {"type": "SCRIPT", "id": 999},
        {"type": "SCRIPT", "id": script["id"], "runAs": "root"},
        {"type": "BOGUS"},
    ):
        assert (await api.post(f"/v2/device/{dev_id}/script/run", json=bad)).status_code == 400


async def test_script_failure_carries_the_output(
    api: httpx.AsyncClient, sim: RunningSimulator, ctl: Any
) -> None:
    dev_id = _online(sim)
    await ctl.set_job_outcome("failure", action="script", message="Access denied")
    final, _ = await _run(
        api,
        dev_id,
        "POST",
        f"/v2/device/{dev_id}/script/run",
        json={"type": "SCRIPT", "id": 101},
    )
    assert final["activityResult"] == "FAILURE"
    assert final["message"].endswith("exit code 1: Access denied")
    assert final["data"]["message"]["params"]["output"] == "Access denied"


def _patchable(sim: RunningSimulator) -> int:
    inv = sim.tenant.inventory
    return next(
        d.id
        for d in sim.tenant.fleet.devices.values()
        if d.node_class == "WINDOWS_WORKSTATION"
        and not d.offline
        and sum(p["status"] != "REJECTED" for p in inv.os_patches(d)) >= 2
    )


async def test_patch_apply_installs_pending_patches(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    dev_id = _patchable(sim)
    pending = (await api.get(f"/v2/device/{dev_id}/os-patches")).json()
    wanted = {p["id"] for p in pending if p["status"] != "REJECTED"}
    final, rows = await _run(api, dev_id, "POST", f"/v2/device/{dev_id}/patch/os/apply")
    assert final["statusCode"] == "PATCH_MANAGEMENT_APPLY_PATCH_COMPLETED"
    assert final["activityResult"] == "SUCCESS"
    assert rows[0]["statusCode"] == "PATCH_MANAGEMENT_APPLY_PATCH_STARTED"
    assert sum(r["statusCode"] == "PATCH_MANAGEMENT_INSTALLED" for r in rows) == len(wanted)
    left = (await api.get(f"/v2/device/{dev_id}/os-patches")).json()
    assert not wanted & {p["id"] for p in left}
    installed = (await api.get(f"/v2/device/{dev_id}/os-patch-installs")).json()
    assert wanted <= {p["id"] for p in installed if p["status"] == "INSTALLED"}


async def test_patch_apply_failure_and_scan(
    api: httpx.AsyncClient, sim: RunningSimulator, ctl: Any
) -> None:
    dev_id = _patchable(sim)
    await ctl.set_job_outcome("failure", device_id=dev_id, action="os_apply")
    final, rows = await _run(api, dev_id, "POST", f"/v2/device/{dev_id}/patch/os/apply")
    assert final["activityResult"] == "FAILURE" and "failed" in final["message"]
    assert any(r["statusCode"] == "PATCH_MANAGEMENT_INSTALL_FAILED" for r in rows)
    left = (await api.get(f"/v2/device/{dev_id}/os-patches")).json()
    assert any(p["status"] == "FAILED" for p in left)
    final, rows = await _run(api, dev_id, "POST", f"/v2/device/{dev_id}/patch/software/scan")
    assert [r["statusCode"] for r in rows if r.get("seriesUid") == final["seriesUid"]] == [
        "SOFTWARE_PATCH_MANAGEMENT_SCAN_STARTED",
        "SOFTWARE_PATCH_MANAGEMENT_SCAN_COMPLETED",
    ]
    assert final["activityResult"] == "SUCCESS"


async def test_service_control_changes_the_service_state(
    api: httpx.AsyncClient, sim: RunningSimulator, ctl: Any
) -> None:
    dev_id = _online(sim)
    services = (await api.get(f"/v2/device/{dev_id}/windows-services")).json()
    spooler = next(s for s in services if s["name"] == "Spooler")
    assert spooler["state"] == "RUNNING"
    path = f"/v2/device/{dev_id}/windows-service/Spooler/control"
    final, rows = await _run(api, dev_id, "POST", path, json={"action": "STOP"})
    assert final["activityResult"] == "SUCCESS"
    assert any(r["statusCode"] == "REMOTE_TOOLS_STOP_SERVICE_SUCCESS" for r in rows)
    stopped = await api.get(f"/v2/device/{dev_id}/windows-services", params={"name": "spooler"})
    assert stopped.json()[0]["state"] == "STOPPED"
    await ctl.set_job_outcome("failure", device_id=dev_id, action="service")
    final, rows = await _run(api, dev_id, "POST", path, json={"action": "START"})
    assert final["activityResult"] == "FAILURE"
    assert any(r["statusCode"] == "REMOTE_TOOLS_START_SERVICE_FAILED" for r in rows)
    still = await api.get(f"/v2/device/{dev_id}/windows-services", params={"state": "STOPPED"})
    assert "Spooler" in {s["name"] for s in still.json()}
    resp = await api.post(
        f"/v2/device/{dev_id}/windows-service/NoSuch/control", json={"action": "STOP"}
    )
    assert resp.status_code == 404
    resp = await api.post(path, json={"action": "KILL"})
    assert resp.status_code == 400


async def test_maintenance_mode(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    dev_id = _online(sim)
    now = time.time()
    resp = await api.put(
        f"/v2/device/{dev_id}/maintenance",
        json={"disabledFeatures": ["ALERTS", "PATCHING"], "end": int((now + 3600) * 1000)},
    )
    assert resp.status_code == 204, resp.text
    dev = (await api.get(f"/v2/device/{dev_id}")).json()
    assert dev["maintenance"]["status"] == "IN_MAINTENANCE"
    assert abs(dev["maintenance"]["end"] - (now + 3600)) < 2
    in_group = (await api.get("/v2/group/4/device-ids")).json()
    assert dev_id in in_group
    past = await api.put(
        f"/v2/device/{dev_id}/maintenance",
        json={"disabledFeatures": ["ALERTS"], "start": now - 7200, "end": now + 60},
    )
    assert past.status_code == 400
    assert past.json()["errorMessage"]["code"] == "node_maintenance_date_in_past"
    later = await api.put(
        f"/v2/device/{dev_id}/maintenance",
        json={"disabledFeatures": ["TASKS"], "start": now + 600, "end": now + 1200},
    )
    assert later.status_code == 204
    dev = (await api.get(f"/v2/device/{dev_id}")).json()
    assert dev["maintenance"]["status"] == "PENDING"
    assert (await api.delete(f"/v2/device/{dev_id}/maintenance")).status_code == 204
    assert "maintenance" not in (await api.get(f"/v2/device/{dev_id}")).json()
    codes = [
        a["statusCode"]
        for a in (await api.get(f"/v2/device/{dev_id}/activities")).json()["activities"]
    ]
    assert codes[:3] == [
        "MAINTENANCE_MODE_DELETED",
        "MAINTENANCE_MODE_CONFIGURED",
        "MAINTENANCE_MODE_CONFIGURED",
    ]
    bad = await api.put(f"/v2/device/{dev_id}/maintenance", json={"disabledFeatures": ["X"]})
    assert bad.status_code == 400


async def test_maintenance_ends_by_itself(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    dev_id = _online(sim)
    resp = await api.put(
        f"/v2/device/{dev_id}/maintenance",
        json={"disabledFeatures": ["ALERTS"], "end": time.time() + 0.3},
    )
    assert resp.status_code == 204
    await asyncio.sleep(0.5)
    assert "maintenance" not in (await api.get(f"/v2/device/{dev_id}")).json()


async def test_custom_fields(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    dev_id = _online(sim)
    fields = (await api.get(f"/v2/device/{dev_id}/custom-fields")).json()
    assert fields["assetTag"] == f"AT-{dev_id:05d}" and "primaryContact" not in fields
    inherited = (
        await api.get(f"/v2/device/{dev_id}/custom-fields", params={"withInheritance": "true"})
    ).json()
    assert inherited["primaryContact"].startswith("it-contact@")
    resp = await api.patch(
        f"/v2/device/{dev_id}/custom-fields",
        json={"assetTag": "AT-NEW", "primaryContact": "me@x.example", "patchRing": None},
    )
    assert resp.status_code == 204
    fields = (await api.get(f"/v2/device/{dev_id}/custom-fields")).json()
    assert fields["assetTag"] == "AT-NEW" and fields["primaryContact"] == "me@x.example"
    assert "patchRing" not in fields
    report = (
        await api.get(
            "/v2/queries/custom-fields", params={"df": f"id={dev_id}", "fields": "assetTag"}
        )
    ).json()
    assert report["results"] == [{"deviceId": dev_id, "fields": {"assetTag": "AT-NEW"}}]
    for bad in ({"noSuchField": 1}, {"backupVerified": "yes"}, {"contractTier": "Gold"}):
        assert (await api.patch(f"/v2/device/{dev_id}/custom-fields", json=bad)).status_code == 400
    org = (await api.get("/v2/organization/1/custom-fields")).json()
    assert {"contractTier", "slaHours"} <= set(org)
    assert (
        await api.patch("/v2/organization/1/custom-fields", json={"slaHours": 2})
    ).status_code == 204
    assert (await api.get("/v2/organization/1/custom-fields")).json()["slaHours"] == 2
    assert (await api.get("/v2/organization/999/custom-fields")).status_code == 404


async def test_jobs_list_and_filters(
    api: httpx.AsyncClient, sim: RunningSimulator, ctl: Any
) -> None:
    await ctl.set_job_duration(5)
    dev_id = _online(sim)
    assert (await api.post(f"/v2/device/{dev_id}/patch/os/scan")).status_code == 204
    assert (await api.post(f"/v2/device/{dev_id}/reboot/NORMAL")).status_code == 204
    every = (await api.get("/v2/jobs")).json()
    assert {j["jobType"] for j in every} == {"ACTION", "PATCH_MANAGEMENT"}
    only = (await api.get("/v2/jobs", params={"jobType": "PATCH_MANAGEMENT"})).json()
    assert [j["deviceId"] for j in only] == [dev_id]
    assert (await api.get("/v2/jobs", params={"df": f"id={dev_id + 1}"})).json() == []
    state = await ctl.jobs()
    assert len(state["running"]) == 2 and state["duration"] == 5


async def test_directory_reads(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    devices = sim.tenant.fleet.devices.values()
    roles = {r["id"] for r in (await api.get("/v2/roles")).json()}
    policies = {p["id"] for p in (await api.get("/v2/policies")).json()}
    assert {d.role_id for d in devices} <= roles
    assert {d.role_policy_id for d in devices} | {d.policy_id for d in devices if d.policy_id} <= (
        policies
    )
    groups = (await api.get("/v2/groups")).json()
    offline = next(g for g in groups if g["name"] == "Offline devices")
    ids = (await api.get(f"/v2/group/{offline['id']}/device-ids")).json()
    assert ids == sorted(d.id for d in devices if d.offline) and offline["deviceCount"] == len(ids)
    users = (await api.get("/v2/users", params={"userType": "TECHNICIAN"})).json()
    assert users and all(u["userType"] == "TECHNICIAN" and "roles" not in u for u in users)
    with_roles = (await api.get("/v2/users", params={"includeRoles": "true"})).json()
    assert {u["userType"] for u in with_roles} == {"TECHNICIAN", "END_USER"}
    assert all(u["roles"] for u in with_roles)
    channels = (await api.get("/v2/notification-channels")).json()
    enabled = (await api.get("/v2/notification-channels/enabled")).json()
    assert len(enabled) < len(channels) and all(c["enabled"] for c in enabled)
    org_users = (await api.get("/v2/organization/1/end-users")).json()
    assert org_users and all(u["organizationId"] == 1 for u in org_users)
    assert (await api.get("/v2/group/77/device-ids")).status_code == 404
    assert (await api.get("/v2/organization/checklists")).json() == []
