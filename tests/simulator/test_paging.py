"""Every paging style with its edge cases, and the `df` filter (reference §4, §5)."""

from __future__ import annotations

import httpx
import pytest

from ninja_desk.simulator.client import AsyncSimControl
from ninja_desk.simulator.device_filter import DeviceFilterError, parse_device_filter
from ninja_desk.simulator.fleet import DeviceRec
from ninja_desk.simulator.reports import DATASET_REPORTS
from ninja_desk.simulator.server import RunningSimulator


async def _walk(api: httpx.AsyncClient, path: str, size: int, **params: str) -> list[list[dict]]:
    pages, after = [], None
    while True:
        q = {"pageSize": size} | params | ({"after": after} if after is not None else {})
        page = (await api.get(path, params=q)).json()
        pages.append(page)
        if len(page) < size:
            return pages
        after = page[-1]["id"]


@pytest.mark.parametrize(
    "path",
    [
        "/v2/devices",
        "/v2/devices-detailed",
        "/v2/organizations",
        "/v2/organizations-detailed",
        "/v2/locations",
    ],
)
async def test_id_watermark_pages_ascending_without_gaps(api: httpx.AsyncClient, path: str) -> None:
    everything = (await api.get(path)).json()  # no pageSize: all of it
    pages = await _walk(api, path, 7)
    flat = [row["id"] for page in pages for row in page]
    assert flat == sorted(flat) == [row["id"] for row in everything]
    assert len(pages[-1]) < 7


async def test_exact_multiple_ends_with_an_empty_page(api: httpx.AsyncClient) -> None:
    pages = await _walk(api, "/v2/devices", 20)  # 60 devices
    assert [len(p) for p in pages] == [20, 20, 20, 0]


async def test_after_beyond_the_end_and_cap(api: httpx.AsyncClient) -> None:
    assert (await api.get("/v2/devices", params={"after": 10_000, "pageSize": 5})).json() == []
    big = (await api.get("/v2/devices", params={"pageSize": 5000})).json()
    assert len(big) == 60
    bad = await api.get("/v2/devices", params={"pageSize": "many"})
    assert bad.status_code == 400


async def test_empty_result_with_filter(api: httpx.AsyncClient) -> None:
    body = await api.get("/v2/devices", params={"df": "org = 999"})
    assert body.status_code == 200 and body.json() == []
    report = (await api.get("/v2/queries/software", params={"df": "org = 999"})).json()
    assert report["results"] == [] and report["cursor"]["count"] == 0


async def test_device_list_with_filter_pages(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    want = [d.id for d in sim.tenant.fleet.devices.values() if d.org_id == 1]
    pages = await _walk(api, "/v2/devices", 3, df="org = 1")
    assert [r["id"] for p in pages for r in p] == want


async def test_report_cursor_exact_multiple_and_unknown_cursor(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    n = sum(1 for d in sim.tenant.fleet.devices.values() if d.detail.get("os"))
    first = (await api.get("/v2/queries/operating-systems", params={"pageSize": n})).json()
    assert len(first["results"]) == n
    nxt = (
        await api.get(
            "/v2/queries/operating-systems",
            params={"pageSize": n, "cursor": first["cursor"]["name"]},
        )
    ).json()
    assert nxt["results"] == [] and nxt["cursor"]["offset"] == n
    bad = await api.get("/v2/queries/operating-systems", params={"cursor": "nope"})
    assert bad.status_code == 400


async def test_report_cursor_pages_split_inside_a_device(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    dev = next(d for d in sim.tenant.fleet.devices.values() if d.is_agent)
    names = [s.name for s in sim.tenant.inventory.software(dev)]
    got, cursor = [], None
    while True:
        params = {"pageSize": 7, "df": f"id = {dev.id}"} | ({"cursor": cursor} if cursor else {})
        body = (await api.get("/v2/queries/software", params=params)).json()
        got += [r["name"] for r in body["results"]]
        cursor = body["cursor"]["name"]
        if len(body["results"]) < 7:
            break
    assert got == names


async def test_activities_paging_older_and_newer(api: httpx.AsyncClient) -> None:
    seen, older = [], None
    while True:
        params = {"pageSize": 10} | ({"olderThan": older} if older else {})
        acts = (await api.get("/v2/activities", params=params)).json()["activities"]
        seen += [a["id"] for a in acts]
        if len(acts) < 10:
            break
        older = acts[-1]["id"]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) >= 60
    # newerThan returns the window just above the id, newest first inside the page.
    mid = sorted(seen)[5]
    newer = (await api.get("/v2/activities", params={"newerThan": mid, "pageSize": 10})).json()
    ids = [a["id"] for a in newer["activities"]]
    assert ids == sorted(seen)[6:16][::-1]
    # pageSize is clamped to 10..1000, default 200.
    small = (await api.get("/v2/activities", params={"pageSize": 2})).json()
    assert len(small["activities"]) == 10
    default = (await api.get("/v2/activities")).json()
    assert len(default["activities"]) == min(200, len(seen))


async def test_activity_filters(api: httpx.AsyncClient, sim: RunningSimulator) -> None:
    alert = next(iter(sim.tenant.alerts.values()))
    by_series = (await api.get("/v2/activities", params={"seriesUid": alert["uid"]})).json()
    assert [a["statusCode"] for a in by_series["activities"]] == ["TRIGGERED"]
    cond = (
        await api.get("/v2/activities", params={"type": "CONDITION", "status": "TRIGGERED"})
    ).json()
    assert cond["activities"] and all(a["activityType"] == "CONDITION" for a in cond["activities"])
    org1 = (await api.get("/v2/activities", params={"df": "org = 1"})).json()["activities"]
    devs = sim.tenant.fleet.devices
    assert org1 and all(devs[a["deviceId"]].org_id == 1 for a in org1)
    system = (await api.get("/v2/activities", params={"class": "SYSTEM"})).json()
    assert all(a["activityType"] == "SYSTEM" for a in system["activities"])
    dev_id = alert["deviceId"]
    per_device = (await api.get(f"/v2/device/{dev_id}/activities")).json()
    assert per_device["lastNodeActivityId"] == per_device["activities"][0]["id"]
    assert all(a["deviceId"] == dev_id for a in per_device["activities"])


async def test_alerts_are_unpaged_and_df_filtered(
    api: httpx.AsyncClient, sim: RunningSimulator
) -> None:
    alerts = (await api.get("/v2/alerts", params={"pageSize": 1})).json()
    assert len(alerts) == len(sim.tenant.alerts)
    dev_id = alerts[0]["deviceId"]
    only = (await api.get("/v2/alerts", params={"df": f"id = {dev_id}"})).json()
    assert only and {a["deviceId"] for a in only} == {dev_id}
    bad = await api.get("/v2/alerts", params={"df": "color = red"})
    assert bad.status_code == 400 and bad.json()["resultCode"]


def _dev(**kw: object) -> DeviceRec:
    base = {
        "id": 5,
        "uid": "u",
        "org_id": 2,
        "loc_id": 3,
        "node_class": "WINDOWS_SERVER",
        "role_id": 1002,
        "role_policy_id": 57,
        "system_name": "S",
        "created": 1_700_000_000.0,
        "last_contact": 1_700_000_100.0,
    }
    return DeviceRec(**(base | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        ("id=5", True),
        ("id = 6", False),
        ("org eq 2", True),
        ("organization = 2", True),
        ("org neq 2", False),
        ("loc in (1,3)", True),
        ("loc notin (3)", False),
        ("class eq WINDOWS_SERVER", True),
        ("class in (WINDOWS_WORKSTATION,MAC)", False),
        ("status eq APPROVED", True),
        ("role = 1002", True),
        ("created before 2023-11-15", True),
        ("created after 2023-11-15", False),
        ("created after 2023-11-13", True),
        ("online", True),
        ("offline", False),
        ("class eq WINDOWS_SERVER AND online", True),
        ("org = 2 AND offline", False),
        ("tagId in (1,2)", False),
        ("tagId notin (1,2)", True),
        ("group 4", False),
        ("", True),
    ],
)
def test_df_good(df: str, expected: bool) -> None:
    pred = parse_device_filter(df)
    assert (pred is None or pred(_dev())) is expected


@pytest.mark.parametrize(
    "df",
    [
        "org",
        "org = ",
        "id = abc",
        "colour = red",
        "loc in 1,2",
        "loc in ()",
        "created before x",
        "org = 1 AND",
        "AND online",
        "class before 2024-01-01",
        "org ~ 1",
    ],
)
def test_df_malformed(df: str) -> None:
    with pytest.raises(DeviceFilterError):
        parse_device_filter(df)


async def _report_rows(api: httpx.AsyncClient, report: str) -> int:
    body = (await api.get(f"/v2/queries/{report}", params={"pageSize": 500})).json()
    count = len(body["results"])
    while body["results"]:
        q = {"cursor": body["cursor"]["name"], "pageSize": 500}
        body = (await api.get(f"/v2/queries/{report}", params=q)).json()
        count += len(body["results"])
    return count


async def test_dataset_totals_match_what_a_full_read_returns(
    sim: RunningSimulator, api: httpx.AsyncClient
) -> None:
    async with AsyncSimControl(sim.base_url) as control:
        before = await control.dataset_totals()
        await control.add_software(1, "Totals Probe 1.0")
        after_change = await control.dataset_totals()
    assert after_change["software"] == before["software"] + 1
    for dataset, path in [
        ("devices", "/v2/devices-detailed"),
        ("organizations", "/v2/organizations"),
        ("locations", "/v2/locations"),
        ("alerts", "/v2/alerts"),
    ]:
        assert after_change[dataset] == len((await api.get(path)).json()), dataset
    for dataset, report in DATASET_REPORTS.items():
        assert after_change[dataset] == await _report_rows(api, report), dataset
    assert after_change["software"] > after_change["devices"] > 0
