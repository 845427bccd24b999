"""Core API behaviour over loopback: auth, devices, reports, activities, control, stats."""

from __future__ import annotations

import httpx

from ninja_desk.simulator import SimControl, SimulatorConfig, run_simulator_in_thread
from ninja_desk.simulator.server import RunningSimulator

from .conftest import client_credentials_token


async def test_client_credentials_token_and_bearer(http: httpx.AsyncClient) -> None:
    token = await client_credentials_token(http, scope="monitoring")
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert "refresh_token" not in token  # no offline_access asked
    assert (await http.get("/v2/organizations")).status_code == 401
    ok = await http.get(
        "/v2/organizations", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert ok.status_code == 200 and ok.json()[0]["id"] == 1


async def test_both_prefixes_serve_the_same(api: httpx.AsyncClient) -> None:
    a = await api.get("/v2/devices", params={"pageSize": 5})
    b = await api.get("/api/v2/devices", params={"pageSize": 5})
    assert a.json() == b.json() and len(a.json()) == 5


async def test_devices_detailed_is_polymorphic(api: httpx.AsyncClient) -> None:
    devices = (await api.get("/v2/devices-detailed")).json()
    types = {d["deviceType"] for d in devices}
    assert "AgentDevice" in types
    agent = next(d for d in devices if d["deviceType"] == "AgentDevice")
    assert {"os", "system", "memory", "processors", "volumes"} <= set(agent)
    assert agent["volumes"][0]["nodeId"] == agent["id"]
    slim = (await api.get("/v2/devices")).json()
    assert all("deviceType" not in d and "os" not in d for d in slim)


async def test_report_paging_covers_every_row_once(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    expected = sum(len(sim.tenant.inventory.software(d)) for d in sim.tenant.fleet.devices.values())
    rows, cursor, pages = [], None, 0
    while True:
        params = {"pageSize": 500} | ({"cursor": cursor} if cursor else {})
        body = (await api.get("/v2/queries/software", params=params)).json()
        assert body["cursor"]["offset"] == len(rows)
        assert body["cursor"]["count"] == len(body["results"])
        rows += body["results"]
        cursor = body["cursor"]["name"]
        pages += 1
        if len(body["results"]) < 500:
            break
    assert len(rows) == expected and pages > 2
    keys = {(r["deviceId"], r["name"]) for r in rows}
    assert len(keys) == expected
    assert all(len(r["installDate"]) == 10 for r in rows)


async def test_activities_newest_first_with_lastActivityId(api: httpx.AsyncClient) -> None:
    body = (await api.get("/v2/activities", params={"pageSize": 10})).json()
    ids = [a["id"] for a in body["activities"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 10
    assert body["lastActivityId"] == ids[0]


async def test_control_changes_show_in_api_and_activities(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    async def newest() -> dict:
        return (await api.get("/v2/activities", params={"pageSize": 10})).json()["activities"][0]

    ctl = await _ctl(api)
    await ctl("POST", "/_sim/devices/3/rename", {"name": "Front desk"})
    assert (await api.get("/v2/device/3")).json()["displayName"] == "Front desk"
    assert (await newest())["statusCode"] == "NODE_UPDATED"
    await ctl("POST", "/_sim/devices/3/move", {"org_id": 2})
    dev = (await api.get("/v2/device/3")).json()
    loc_ids = [loc["id"] for loc in (await api.get("/v2/organization/2/locations")).json()]
    assert dev["organizationId"] == 2 and dev["locationId"] in loc_ids
    added = await ctl("POST", "/_sim/devices", {"org_id": 1})
    assert (await newest())["statusCode"] == "NODE_CREATED"
    assert (await api.get(f"/v2/device/{added['id']}")).status_code == 200
    await ctl("DELETE", f"/_sim/devices/{added['id']}")
    gone = await api.get(f"/v2/device/{added['id']}")
    assert gone.status_code == 404 and set(gone.json()) == {
        "resultCode",
        "errorMessage",
        "incidentId",
    }
    assert (await newest())["statusCode"] == "NODE_DELETED"


async def _ctl(api: httpx.AsyncClient):
    async def call(method: str, path: str, body: dict | None = None) -> dict:
        resp = await api.request(method, path, json=body)
        assert resp.status_code < 300, resp.text
        return resp.json()

    return call


def test_thread_runner_and_sim_control() -> None:
    cfg = SimulatorConfig(orgs=2, devices=20, seed=5)
    with run_simulator_in_thread(cfg) as sim, SimControl(sim.base_url) as ctl:
        assert ctl.health()["devices"] == 20
        ctl.rename_device(1, "renamed")
        alert = ctl.trigger_alert(2, severity="CRITICAL", message="disk full")
        assert alert["uid"] and alert["severity"] == "CRITICAL"
        ctl.reset_alert(alert["uid"])
        dev = ctl.add_device(org_id=1)
        assert dev["organizationId"] == 1
        ctl.churn(15)
        token = httpx.post(
            f"{sim.base_url}/ws/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "demo-client",
                "client_secret": "demo-secret",
                "scope": "monitoring",
            },
        ).json()["access_token"]
        r = httpx.get(f"{sim.base_url}/v2/device/1", headers={"Authorization": f"Bearer {token}"})
        assert r.json()["displayName"] == "renamed"
        stats = ctl.stats()
        assert stats["requests"]["GET /v2/device/{id}"] == 1
        assert 0 < stats["serve_ms"]["GET /v2/device/{id}"]["max"] < 1000
        assert stats["statuses"]["200"] >= 1
        ctl.reset_stats()
        assert ctl.stats()["total_requests"] == 0
        assert ctl.expire_tokens() >= 1
        r = httpx.get(f"{sim.base_url}/v2/device/1", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        assert ctl.webhook() is None


async def test_unknown_routes_and_ids_use_the_error_envelope(api: httpx.AsyncClient) -> None:
    for path in (
        "/v2/no-such-thing",
        "/v2/device/999999",
        "/v2/device/abc",
        "/v2/organization/999",
        "/v2/device/1/nonsense",
        "/v2/queries/nonsense",
    ):
        resp = await api.get(path)
        assert resp.status_code == 404, path
        assert set(resp.json()) == {"resultCode", "errorMessage", "incidentId"}, path
    resp = await api.post("/v2/devices")
    assert resp.status_code == 405 and resp.json()["resultCode"]
    resp = await api.delete("/v2/alert/00000000-0000-4000-8000-000000000000")
    assert resp.status_code == 404


async def test_dashboard_url_points_at_the_simulator(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    body = (await api.get("/v2/device/4/dashboard-url")).json()
    assert body["url"] == f"{sim.base_url}/#/deviceDashboard/4/overview"
    assert body["expires"] > 0
    redirect = await api.get("/v2/device/4/dashboard-url", params={"redirect": "true"})
    assert redirect.status_code == 302 and redirect.headers["Location"] == body["url"]


async def test_search_and_subresources(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    dev = next(
        d
        for d in sim.tenant.fleet.devices.values()
        if d.node_class == "WINDOWS_WORKSTATION" and not d.display_name
    )
    found = (await api.get("/v2/devices/search", params={"q": dev.system_name})).json()
    assert found["query"] == dev.system_name
    assert found["devices"][0]["id"] == dev.id and found["devices"][0]["score"] == 100
    vols = (await api.get(f"/v2/device/{dev.id}/volumes")).json()
    assert vols and all("bitLockerStatus" not in v for v in vols)
    vols_bl = (await api.get(f"/v2/device/{dev.id}/volumes", params={"include": "bl"})).json()
    assert all("bitLockerStatus" in v for v in vols_bl)
    user = (await api.get(f"/v2/device/{dev.id}/last-logged-on-user")).json()
    assert "\\" in user["userName"] and user["logonTime"] > 0
    software = (await api.get(f"/v2/device/{dev.id}/software")).json()
    assert len(software) == len(sim.tenant.inventory.software(dev))
    assert all("deviceId" not in s for s in software)


async def test_rest_timestamps_have_nine_decimals_on_the_wire(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    import re

    text = (await api.get("/v2/devices-detailed", params={"pageSize": 3})).text
    stamps = re.findall(r'"(?:created|lastContact|lastUpdate|lastBootTime)":([0-9.]+)', text)
    assert stamps and all(re.fullmatch(r"\d{10}\.\d{9}", s) for s in stamps)
    dev = sim.tenant.fleet.devices[1]
    assert (await api.get("/v2/device/1")).json()["created"] == dev.created  # value kept
    report = (await api.get("/v2/queries/software", params={"pageSize": 2})).text
    assert re.search(r'"timestamp":\d{10}\.\d{9}[,}]', report)
    acts = (await api.get("/v2/activities", params={"pageSize": 10})).text
    assert re.search(r'"activityTime":\d{10}\.\d{9}[,}]', acts)


async def test_prewarm_serialises_report_rows_in_the_background(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    assert sim.state.warmup is not None
    assert await sim.state.warmup == len(sim.tenant.fleet.devices)
    before = (await api.get("/v2/queries/device-health", params={"pageSize": 1000})).json()
    # A change after warm-up is visible: the device's revision invalidates its cached rows.
    dev_id = before["results"][0]["deviceId"]
    await api.post("/_sim/alerts", json={"device_id": dev_id, "severity": "CRITICAL"})
    after = (await api.get("/v2/queries/device-health", params={"df": f"id = {dev_id}"})).json()[
        "results"
    ][0]
    assert after["alertCount"] == before["results"][0]["alertCount"] + 1
    assert after["healthStatus"] == "UNHEALTHY"
