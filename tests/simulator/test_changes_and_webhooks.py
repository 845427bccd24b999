"""Each control change records the right activity and reaches a webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from ninja_desk.simulator import AsyncSimControl
from ninja_desk.simulator.server import RunningSimulator


class Receiver:
    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.delay = 0.0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.deliveries.append((dict(request.headers), await request.json()))
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rec.url = f"http://127.0.0.1:{port}/hook"
    yield rec
    await runner.cleanup()


async def _newest(api: httpx.AsyncClient) -> dict[str, Any]:
    return (await api.get("/v2/activities", params={"pageSize": 10})).json()["activities"][0]


async def test_every_change_records_its_activity(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    async with AsyncSimControl(sim.base_url) as ctl:
        last = (await _newest(api))["id"]

        async def expect(activity_type: str, code: str, device_id: int) -> dict[str, Any]:
            nonlocal last
            act = await _newest(api)
            assert (act["activityType"], act["statusCode"]) == (activity_type, code)
            assert act["deviceId"] == device_id and act["id"] > last
            assert isinstance(act["activityTime"], float) and act["type"] and act["status"]
            last = act["id"]
            return act

        dev = await ctl.add_device(org_id=2, name="NEWPC")
        await expect("SYSTEM", "NODE_CREATED", dev["id"])
        await ctl.rename_device(dev["id"], "Reception")
        await expect("SYSTEM", "NODE_UPDATED", dev["id"])
        await ctl.move_device(dev["id"], 3)
        act = await expect("SYSTEM", "NODE_UPDATED", dev["id"])
        assert act["data"]["message"]["params"]["newClientId"] == 3
        await ctl.set_offline(dev["id"], True, report="system")
        await expect("SYSTEM", "NODE_UPDATED", dev["id"])
        assert (await api.get(f"/v2/device/{dev['id']}")).json()["offline"] is True
        # Without an offline condition NinjaOne records nothing; with one, a CONDITION series.
        await ctl.set_offline(dev["id"], False)
        assert (await _newest(api))["id"] == last
        assert (await api.get(f"/v2/device/{dev['id']}")).json()["offline"] is False
        await ctl.set_offline(dev["id"], True, report="condition")
        went = await expect("CONDITION", "TRIGGERED", dev["id"])
        await ctl.set_offline(dev["id"], False, report="condition")
        back = await expect("CONDITION", "RESET", dev["id"])
        assert back["seriesUid"] == went["seriesUid"]
        name = "Contoso CRM / Sales (x64) 2.1"
        await ctl.add_software(dev["id"], name, "2.1")
        await expect("SYSTEM", "SOFTWARE_ADDED", dev["id"])
        sw = (await api.get(f"/v2/device/{dev['id']}/software")).json()
        assert any(s["name"] == name and s["version"] == "2.1" for s in sw)
        await ctl.remove_software(dev["id"], name)
        await expect("SYSTEM", "SOFTWARE_REMOVED", dev["id"])
        sw = (await api.get(f"/v2/device/{dev['id']}/software")).json()
        assert all(s["name"] != name for s in sw)
        win = next(
            d
            for d in sim.tenant.fleet.devices.values()
            if sim.tenant.inventory.os_patches(d)
            and any(p["status"] != "REJECTED" for p in sim.tenant.inventory.os_patches(d))
        )
        before = len(sim.tenant.inventory.os_patches(win))
        res = await ctl.patch_installed(win.id)
        act = await expect("PATCH_MANAGEMENT", "PATCH_MANAGEMENT_INSTALLED", win.id)
        assert act["data"]["message"]["params"]["installTime"] > 1e12  # ms inside params
        assert len(sim.tenant.inventory.os_patches(win)) == before - 1
        installs = (await api.get(f"/v2/device/{win.id}/os-patch-installs")).json()
        assert any(i["id"] == res["patch"]["id"] and i["status"] == "INSTALLED" for i in installs)
        if any(p["status"] != "REJECTED" for p in sim.tenant.inventory.os_patches(win)):
            await ctl.patch_failed(win.id)
            await expect("PATCH_MANAGEMENT", "PATCH_MANAGEMENT_INSTALL_FAILED", win.id)
        alert = await ctl.trigger_alert(dev["id"], severity="MAJOR", message="Disk nearly full")
        act = await expect("CONDITION", "TRIGGERED", dev["id"])
        assert act["seriesUid"] == alert["uid"] and act["severity"] == "MAJOR"
        listed = (await api.get(f"/v2/device/{dev['id']}/alerts")).json()
        assert [a["uid"] for a in listed] == [alert["uid"]]
        resp = await api.post(f"/v2/alert/{alert['uid']}/reset", json={"note": "fixed"})
        assert resp.status_code == 204
        act = await expect("CONDITION", "RESET", dev["id"])
        assert act["seriesUid"] == alert["uid"] and act["data"]["custom"] == {"note": "fixed"}
        assert (await api.get(f"/v2/device/{dev['id']}/alerts")).json() == []
        legacy = await ctl.trigger_alert(dev["id"], severity=None)
        assert "severity" not in legacy and "priority" not in legacy
        act = await expect("CONDITION", "TRIGGERED", dev["id"])
        assert "severity" not in act
        await ctl.delete_device(dev["id"])
        await expect("SYSTEM", "NODE_DELETED", dev["id"])
        assert legacy["uid"] not in {a["uid"] for a in (await api.get("/v2/alerts")).json()}


async def test_churn_and_storm(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    async with AsyncSimControl(sim.base_url) as ctl:
        before = (await _newest(api))["id"]
        result = await ctl.churn(20, seed=3)
        assert len(result["changes"]) == 20 and result["lastActivityId"] > before
        n_alerts = len((await api.get("/v2/alerts")).json())
        storm = await ctl.alert_storm(12)
        assert len(storm["alerts"]) == 12
        assert len((await api.get("/v2/alerts")).json()) == n_alerts + 12


async def test_webhook_delivery_headers_filter_expand(
    api: httpx.AsyncClient, sim: RunningSimulator, receiver: Receiver
) -> None:
    config = {
        "url": receiver.url,
        "activities": {"CONDITION": ["TRIGGERED", "RESET"], "SYSTEM": ["NODE_CREATED"]},
        "expand": ["device", "organization", "location"],
        "headers": [
            {"name": "Authorization", "value": "Bearer hook-secret"},
            {"name": "X-Tenant", "value": "t1"},
        ],
    }
    assert (await api.put("/v2/webhook", json=config)).status_code == 204
    async with AsyncSimControl(sim.base_url) as ctl:
        assert (await ctl.webhook())["url"] == receiver.url
        alert = await ctl.trigger_alert(5, severity="CRITICAL")
        await ctl.rename_device(5, "not delivered: NODE_UPDATED is filtered out")
        await ctl.reset_alert(alert["uid"])
        dev = await ctl.add_device(org_id=1)
        drained = await ctl.drain_webhooks()
    assert drained["delivered"] == 3 and drained.get("failed", 0) == 0
    codes = [body["statusCode"] for _, body in receiver.deliveries]
    assert codes == ["TRIGGERED", "RESET", "NODE_CREATED"]
    headers, body = receiver.deliveries[0]
    assert headers["Authorization"] == "Bearer hook-secret" and headers["X-Tenant"] == "t1"
    assert headers["Content-Type"].startswith("application/json")
    assert body["seriesUid"] == alert["uid"] and body["deviceId"] == 5
    refs = body["device"]["references"]
    org = sim.tenant.fleet.orgs[body["device"]["organizationId"]]
    assert refs["organization"] == {
        "name": org.name,
        "nodeApprovalMode": org.node_approval_mode,
        "id": org.id,
    }
    assert set(refs["location"]) == {"name", "id"}
    assert "os" not in body["device"] and "deviceType" not in body["device"]
    assert len(str(body["activityTime"]).split(".")[-1]) <= 3  # ms precision in webhooks
    assert receiver.deliveries[2][1]["device"]["id"] == dev["id"]


async def test_webhook_without_expand_and_replace_on_put(
    api: httpx.AsyncClient, sim: RunningSimulator, receiver: Receiver
) -> None:
    await api.put("/v2/webhook", json={"url": "http://127.0.0.1:9/old"})
    await api.put("/v2/webhook", json={"url": receiver.url, "activities": {"SYSTEM": ["*"]}})
    async with AsyncSimControl(sim.base_url) as ctl:
        await ctl.trigger_alert(5)  # CONDITION: filtered out
        await ctl.delete_device(6)
        await ctl.drain_webhooks()
    assert [b["statusCode"] for _, b in receiver.deliveries] == ["NODE_DELETED"]
    assert "device" not in receiver.deliveries[0][1]
    assert (await api.delete("/v2/webhook")).status_code == 204
    async with AsyncSimControl(sim.base_url) as ctl:
        assert await ctl.webhook() is None


async def test_slow_receiver_never_blocks_the_api(
    api: httpx.AsyncClient, sim: RunningSimulator, receiver: Receiver
) -> None:
    receiver.delay = 0.5
    await api.put("/v2/webhook", json={"url": receiver.url})
    loop = asyncio.get_running_loop()
    async with AsyncSimControl(sim.base_url) as ctl:
        start = loop.time()
        for _ in range(5):
            await ctl.trigger_alert(5)
        assert (await api.get("/v2/devices")).status_code == 200
        # Delivering inline would take >= 5 x 0.5 s; generous bound for a loaded machine.
        assert loop.time() - start < 1.5
        assert (await ctl.stats())["webhooks"]["queued"] == 5


async def test_webhook_admin_and_psa_conflict(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    async with AsyncSimControl(sim.base_url) as ctl:
        await ctl.configure_webhook(admin=False)
        resp = await api.put("/v2/webhook", json={"url": "https://hooks.example.com/x"})
        assert resp.status_code == 403
        assert resp.json()["errorMessage"] == "Only system administrators can configure webhooks"
        await ctl.configure_webhook(admin=True, psa_conflict=True)
        assert (
            await api.put("/v2/webhook", json={"url": "https://h.example/x"})
        ).status_code == 204
        resp = await api.delete("/v2/webhook")
        assert resp.status_code == 403
        assert resp.json()["errorMessage"] == "Different PSA is already configured"
        bad = await api.put("/v2/webhook", json={"activities": {}})
        assert bad.status_code == 400
        # Per client app: demo-client becomes a non-admin app, others are unaffected.
        await ctl.configure_webhook(admin=False, client_id="demo-client")
        resp = await api.put("/v2/webhook", json={"url": "https://h.example/x"})
        assert resp.status_code == 403


async def test_churn_repeats_for_the_same_seed(sim: RunningSimulator) -> None:
    from ninja_desk.simulator import SimulatorConfig, start_simulator

    cfg = SimulatorConfig(orgs=4, devices=60, seed=7, base_time=sim.config.base_time)
    async with (
        start_simulator(cfg) as twin,
        AsyncSimControl(sim.base_url) as a,
        AsyncSimControl(twin.base_url) as b,
    ):
        first = (await a.churn(25, seed=9))["changes"]
        second = (await b.churn(25, seed=9))["changes"]
    assert first == second and {c["op"] for c in first} - {"skipped"}


async def test_failed_deliveries_are_counted(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    await api.put("/v2/webhook", json={"url": "http://127.0.0.1:9/nothing-listens"})
    async with AsyncSimControl(sim.base_url) as ctl:
        await ctl.trigger_alert(5)
        drained = await ctl.drain_webhooks()
    assert drained["failed"] == 1 and drained["last_error"]
