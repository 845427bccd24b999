"""Alerts (unpaged, df-filtered; reset = RESET activity) and activities (id paging)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ninja_desk.simulator.activities import (
    ACTIVITY_PAGE_DEFAULT,
    ACTIVITY_PAGE_MAX,
    ACTIVITY_PAGE_MIN,
    DEVICE_TYPES,
)
from ninja_desk.simulator.pagination import PagingError, int_param
from ninja_desk.simulator.responses import (
    api_error,
    device_filter,
    device_of,
    json_body,
    state,
)


def _alerts(request: web.Request, device_id: int | None) -> list[dict[str, Any]]:
    tenant = state(request).tenant
    pred = device_filter(request) if device_id is None else None
    source = request.query.get("sourceType")
    out = []
    for alert in tenant.alerts.values():
        if device_id is not None and alert["deviceId"] != device_id:
            continue
        if source and alert["sourceType"] != source:
            continue
        if pred is not None:
            dev = tenant.fleet.devices.get(alert["deviceId"])
            if dev is None or not pred(dev):
                continue
        out.append(alert)
    return out


async def alerts(request: web.Request) -> web.Response:
    return json_body(_alerts(request, None))


async def device_alerts(request: web.Request) -> web.Response:
    return json_body(_alerts(request, device_of(request).id))


async def delete_alert(request: web.Request) -> web.Response:
    state(request).tenant.reset_alert(request.match_info["uid"])
    return web.Response(status=204)


async def reset_alert(request: web.Request) -> web.Response:
    custom: dict[str, Any] | None = None
    if request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            return api_error(400, "Request body must be a JSON object", "VALIDATION_FAILED")
        if body is not None and not isinstance(body, dict):
            return api_error(400, "Request body must be a JSON object", "VALIDATION_FAILED")
        custom = body or None
    state(request).tenant.reset_alert(request.match_info["uid"], custom)
    return web.Response(status=204)


# -- activities --------------------------------------------------------------------------


def _time_param(raw: str | None) -> float | None:
    """`before`/`after` as epoch seconds or YYYY-MM-DD (reference §3, both seen working)."""
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return datetime.strptime(raw[:10], "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError as exc:
        raise PagingError(f"Cannot parse date {raw!r}") from exc


def _activity_matcher(
    request: web.Request, device_id: int | None
) -> Callable[[dict[str, Any]], bool] | None:
    q = request.query
    tenant = state(request).tenant
    checks: list[Callable[[dict[str, Any]], bool]] = []
    if device_id is not None:
        checks.append(lambda a: a.get("deviceId") == device_id)
    act_type = q.get("activityType") if device_id is not None else q.get("type")
    if act_type:
        types = set(act_type.split(","))
        checks.append(lambda a: a["activityType"] in types)
    if q.get("status"):
        codes = set(q["status"].split(","))
        checks.append(lambda a: a["statusCode"] in codes)
    if q.get("seriesUid"):
        series = q["seriesUid"]
        checks.append(lambda a: a.get("seriesUid") == series)
    if q.get("sourceConfigUid"):
        src = q["sourceConfigUid"]
        checks.append(lambda a: a.get("sourceConfigUid") == src)
    cls = (q.get("class") or "ALL").upper()
    # Class semantics are undocumented; the simulator reads DEVICE as "about a device",
    # SYSTEM as activityType SYSTEM and USER as "caused by a user".
    if cls == "DEVICE":
        checks.append(lambda a: "deviceId" in a and a["activityType"] in DEVICE_TYPES | {"SYSTEM"})
    elif cls == "SYSTEM":
        checks.append(lambda a: a["activityType"] == "SYSTEM")
    elif cls == "USER":
        checks.append(lambda a: "userId" in a)
    elif cls != "ALL":
        raise PagingError(f"Unknown activity class {cls!r}")
    before, after = _time_param(q.get("before")), _time_param(q.get("after"))
    if before is not None:
        checks.append(lambda a: a["activityTime"] < before)
    if after is not None:
        checks.append(lambda a: a["activityTime"] > after)
    pred = device_filter(request) if device_id is None else None
    if pred is not None:
        devices = tenant.fleet.devices

        def df_check(a: dict[str, Any]) -> bool:
            dev = devices.get(a.get("deviceId", -1))
            return dev is not None and pred(dev)

        checks.append(df_check)
    if not checks:
        return None
    return lambda a: all(c(a) for c in checks)


def _activities(request: web.Request, device_id: int | None) -> dict[str, Any]:
    log = state(request).tenant.activities
    size = int_param(request.query, "pageSize", ACTIVITY_PAGE_DEFAULT) or ACTIVITY_PAGE_DEFAULT
    size = max(ACTIVITY_PAGE_MIN, min(size, ACTIVITY_PAGE_MAX))
    rows = log.page(
        older_than=int_param(request.query, "olderThan"),
        newer_than=int_param(request.query, "newerThan"),
        page_size=size,
        match=_activity_matcher(request, device_id),
    )
    return {"lastActivityId": log.last_id, "activities": rows}


async def activities(request: web.Request) -> web.Response:
    return json_body(_activities(request, None))


async def device_activities(request: web.Request) -> web.Response:
    dev = device_of(request)
    body = _activities(request, dev.id)
    log = state(request).tenant.activities
    newest = log.page(
        older_than=None, newer_than=None, page_size=1, match=lambda a: a.get("deviceId") == dev.id
    )
    body["lastNodeActivityId"] = newest[0]["id"] if newest else 0
    return json_body(body)
