"""NinjaOne public API v2 handlers, served under both `/v2/` and `/api/v2/` (reference §1).

Authentication, scopes, faults and statistics are middleware (app.py); handlers only read
the tenant and shape answers. Errors use the generic envelope of reference §10.2:
`{"resultCode", "errorMessage", "incidentId"}`.
"""

from __future__ import annotations

import bisect
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ninja_desk.simulator import reports, serializers
from ninja_desk.simulator.activities import (
    ACTIVITY_PAGE_DEFAULT,
    ACTIVITY_PAGE_MAX,
    ACTIVITY_PAGE_MIN,
    DEVICE_TYPES,
)
from ninja_desk.simulator.device_filter import Predicate, parse_device_filter
from ninja_desk.simulator.fleet import DeviceRec, OrgRec
from ninja_desk.simulator.oauth import AccessToken
from ninja_desk.simulator.pagination import (
    PagingError,
    id_page_bounds,
    id_window,
    int_param,
    report_page_size,
)
from ninja_desk.simulator.state import SIM_KEY, TOKEN_KEY, SimState
from ninja_desk.simulator.tenant import NotFound
from ninja_desk.simulator.webhooks import WebhookConfig, WebhookConfigError

PREFIXES = ("/v2", "/api/v2")


def state(request: web.Request) -> SimState:
    return request.app[SIM_KEY]


def token(request: web.Request) -> AccessToken:
    """The caller's access token; set by the auth middleware before any handler runs."""
    token_info: AccessToken = request[TOKEN_KEY]
    return token_info


def api_error(status: int, message: str, result_code: str = "FAILURE",
              headers: dict[str, str] | None = None) -> web.Response:
    body = {"resultCode": result_code, "errorMessage": message, "incidentId": str(uuid.uuid4())}
    return web.json_response(body, status=status, headers=headers)


def json_text(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="application/json")


def json_body(value: Any) -> web.Response:
    return json_text(serializers.rest_json(value))


def _df(request: web.Request) -> Predicate | None:
    return parse_device_filter(request.query.get("df"))


def _device(request: web.Request) -> DeviceRec:
    try:
        device_id = int(request.match_info["id"])
    except ValueError as exc:
        raise NotFound(f"Invalid device id {request.match_info['id']!r}") from exc
    return state(request).tenant.device(device_id)


def _filtered_ids(ids: list[int], devices: dict[int, DeviceRec], after: int | None,
                  page_size: int, pred: Predicate | None) -> Iterator[DeviceRec]:
    """Devices after `after` in id order that match `pred`, at most page_size (0 = all)."""
    if pred is None:
        for dev_id in id_window(ids, after, page_size):
            yield devices[dev_id]
        return
    start = 0 if after is None else bisect.bisect_right(ids, after)
    n = 0
    for dev_id in ids[start:]:
        dev = devices[dev_id]
        if pred(dev):
            yield dev
            n += 1
            if page_size and n >= page_size:
                return


# -- organizations and locations ---------------------------------------------------------


async def organizations(request: web.Request) -> web.Response:
    fleet = state(request).tenant.fleet
    after, size = id_page_bounds(request.query)
    detailed = request.path.endswith("-detailed")
    orgs = [fleet.orgs[i] for i in id_window(sorted(fleet.orgs), after, size)]
    if detailed:
        return json_body([serializers.org_detailed(o, fleet) for o in orgs])
    return json_body([serializers.org_brief(o) for o in orgs])


def _org(request: web.Request) -> OrgRec:
    fleet = state(request).tenant.fleet
    try:
        org = fleet.orgs.get(int(request.match_info["id"]))
    except ValueError:
        org = None
    if org is None:
        raise NotFound(f"Organization {request.match_info['id']} not found")
    return org


async def organization(request: web.Request) -> web.Response:
    return json_body(serializers.org_detailed(_org(request), state(request).tenant.fleet))


async def organization_locations(request: web.Request) -> web.Response:
    fleet = state(request).tenant.fleet
    org = _org(request)
    return json_body([serializers.location(fleet.locations[i]) for i in org.location_ids])


async def organization_devices(request: web.Request) -> web.Response:
    org = _org(request)
    return _device_list(request, lambda d: d.org_id == org.id)


async def locations(request: web.Request) -> web.Response:
    fleet = state(request).tenant.fleet
    after, size = id_page_bounds(request.query)
    return json_body([serializers.location(fleet.locations[i], with_org=True)
                      for i in id_window(sorted(fleet.locations), after, size)])


# -- devices -----------------------------------------------------------------------------


def _device_list(request: web.Request, extra: Predicate | None = None) -> web.Response:
    sim = state(request)
    fleet = sim.tenant.fleet
    after, size = id_page_bounds(request.query)
    pred = _df(request)
    if extra is not None:
        pred = extra if pred is None else (lambda d, a=pred, b=extra: a(d) and b(d))
    expand = {e.strip() for e in request.query.get("expand", "").split(",") if e.strip()}
    devs = _filtered_ids(fleet.sorted_device_ids(), fleet.devices, after, size, pred)
    if expand:
        out = []
        for dev in devs:
            row = serializers.device_base(dev)
            refs = serializers.references(dev, fleet, expand)
            if refs:
                row["references"] = refs
            out.append(row)
        return json_body(out)
    cache = sim.tenant.json_cache
    return json_text("[" + ",".join(cache.slim(d) for d in devs) + "]")


async def devices(request: web.Request) -> web.Response:
    return _device_list(request)


async def devices_detailed(request: web.Request) -> web.Response:
    sim = state(request)
    fleet = sim.tenant.fleet
    after, size = id_page_bounds(request.query)
    devs = _filtered_ids(fleet.sorted_device_ids(), fleet.devices, after, size, _df(request))
    cache = sim.tenant.json_cache
    return json_text("[" + ",".join(cache.detailed(d) for d in devs) + "]")


async def device(request: web.Request) -> web.Response:
    return json_text(state(request).tenant.json_cache.detailed(_device(request)))


async def devices_search(request: web.Request) -> web.Response:
    fleet = state(request).tenant.fleet
    q = request.query.get("q", "").strip()
    limit = int_param(request.query, "limit", 100) or 100
    found: list[dict[str, Any]] = []
    if q:
        needle = q.lower()
        for dev_id in fleet.sorted_device_ids():
            dev = fleet.devices[dev_id]
            for attr, value in (("displayName", dev.display_name),
                                ("systemName", dev.system_name), ("dnsName", dev.dns_name),
                                ("ipAddress", ",".join(dev.ip_addresses)),
                                ("lastLoggedInUser", dev.last_user)):
                if value and needle in value.lower():
                    row = serializers.device_base(dev)
                    row["score"] = 100 if value.lower() == needle else 50
                    row["matchAttr"] = attr
                    row["matchAttrValue"] = value
                    found.append(row)
                    break
            if len(found) >= limit:
                break
    return json_body({"query": q, "devices": found})


async def device_inventory(request: web.Request) -> web.Response:
    """The bare-array sub-resources of reference §6.3."""
    sim = state(request)
    dev = _device(request)
    what = request.match_info["what"]
    inv = sim.tenant.inventory
    q = request.query
    if what == "software":
        rows: Any = [json.loads("{" + f'"installDate":"{s.install_date}",{s.fragment}' + "}")
                     for s in inv.software(dev)]
    elif what in ("os-patches", "os-patch-installs", "software-patches",
                  "software-patch-installs"):
        builder = reports.REPORTS[what]
        rows = []
        for text in builder(sim.tenant, dev, q, reports.ReportContext(sim.tenant)):
            row = json.loads(text)
            row.pop("deviceId", None)
            row.pop("timestamp", None)
            rows.append(row)
    elif what == "volumes":
        rows = serializers.volumes(dev, include_bl="bl" in q.get("include", "").split(","),
                                   for_report=True)
    elif what == "processors":
        rows = list(dev.detail.get("processors", ()))
    elif what == "disks":
        rows = reports.disk_rows(dev)
    elif what == "network-interfaces":
        rows = reports.network_interface_rows(dev)
    elif what == "last-logged-on-user":
        user = reports.logged_on_user(dev)
        if user is None:
            return web.Response(status=204)
        rows = user
    else:
        raise web.HTTPNotFound()
    return json_body(rows)


async def device_dashboard_url(request: web.Request) -> web.Response:
    sim = state(request)
    dev = _device(request)
    url = f"{sim.base_url}/#/deviceDashboard/{dev.id}/overview"
    if request.query.get("redirect", "").lower() == "true":
        raise web.HTTPFound(url)
    return json_body({"url": url, "expires": round(time.time() + 300, 3)})


# -- alerts ------------------------------------------------------------------------------


def _alerts(request: web.Request, device_id: int | None) -> list[dict[str, Any]]:
    tenant = state(request).tenant
    pred = _df(request) if device_id is None else None
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
    return json_body(_alerts(request, _device(request).id))


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


def _activity_matcher(request: web.Request, device_id: int | None
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
        checks.append(lambda a: "deviceId" in a and a["activityType"] in DEVICE_TYPES
                      | {"SYSTEM"})
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
    pred = _df(request) if device_id is None else None
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
    dev = _device(request)
    body = _activities(request, dev.id)
    log = state(request).tenant.activities
    newest = log.page(older_than=None, newer_than=None, page_size=1,
                      match=lambda a: a.get("deviceId") == dev.id)
    body["lastNodeActivityId"] = newest[0]["id"] if newest else 0
    return json_body(body)


# -- reports -----------------------------------------------------------------------------


async def query_report(request: web.Request) -> web.Response:
    sim = state(request)
    name = request.match_info["report"]
    builder = reports.REPORTS.get(name)
    if builder is None:
        return api_error(404, f"Unknown report {name!r}", "NOT_FOUND")
    size = report_page_size(request.query)
    cursor_name = request.query.get("cursor")
    if cursor_name:
        cur = sim.cursors.get(cursor_name, name)
        params = cur.params
    else:
        params = {k: v for k, v in request.query.items() if k not in ("cursor", "pageSize")}
        parse_device_filter(params.get("df"))  # 400 now, not on page 2
        cur = sim.cursors.new(name, params)
    pred = parse_device_filter(params.get("df"))
    fleet = sim.tenant.fleet
    ids = fleet.sorted_device_ids()
    ctx = reports.ReportContext(sim.tenant)
    rows: list[str] = []
    pos_id, skip = cur.next_device_id, cur.skip_rows
    next_id, next_skip = (ids[-1] + 1 if ids else pos_id), 0  # "exhausted" unless we stop
    i = bisect.bisect_left(ids, pos_id)
    while i < len(ids):
        dev = fleet.devices[ids[i]]
        if pred is None or pred(dev):
            dev_rows = sim.report_rows.rows(name, builder, sim.tenant, dev, params, ctx)
            already = skip if dev.id == pos_id else 0
            if already:
                dev_rows = dev_rows[already:]
            room = size - len(rows)
            if len(dev_rows) > room:
                # The page ends inside this device: remember how many of its rows went out.
                rows.extend(dev_rows[:room])
                next_id, next_skip = dev.id, already + room
                break
            rows.extend(dev_rows)
            if len(rows) >= size:
                next_id = ids[i + 1] if i + 1 < len(ids) else ids[i] + 1
                break
        i += 1
    offset = cur.offset
    cur.next_device_id, cur.skip_rows = next_id, next_skip
    cur.offset = offset + len(rows)
    head = serializers.dumps({"cursor": cur.wire(offset, len(rows))})
    return json_text(head[:-1] + ',"results":[' + ",".join(rows) + "]}")


# -- webhook -----------------------------------------------------------------------------


async def put_webhook(request: web.Request) -> web.Response:
    sim = state(request)
    info = token(request)
    client = sim.oauth.clients.get(info.client_id)
    if not sim.webhook_admin or (client is not None and not client.admin):
        return api_error(403, "Only system administrators can configure webhooks",
                         "INSUFFICIENT_PERMISSIONS")
    try:
        config = WebhookConfig.parse(await request.json())
    except (ValueError, WebhookConfigError) as exc:
        return api_error(400, f"Invalid webhook configuration: {exc}", "VALIDATION_FAILED")
    sim.webhooks.configs[info.client_id] = config  # one per client app; PUT replaces
    return web.Response(status=204)


async def delete_webhook(request: web.Request) -> web.Response:
    sim = state(request)
    if sim.psa_conflict:
        return api_error(403, "Different PSA is already configured", "INSUFFICIENT_PERMISSIONS")
    sim.webhooks.configs.pop(token(request).client_id, None)
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    for p in PREFIXES:
        app.router.add_get(f"{p}/organizations", organizations)
        app.router.add_get(f"{p}/organizations-detailed", organizations)
        app.router.add_get(p + "/organization/{id}", organization)
        app.router.add_get(p + "/organization/{id}/locations", organization_locations)
        app.router.add_get(p + "/organization/{id}/devices", organization_devices)
        app.router.add_get(f"{p}/locations", locations)
        app.router.add_get(f"{p}/devices", devices)
        app.router.add_get(f"{p}/devices-detailed", devices_detailed)
        app.router.add_get(f"{p}/devices/search", devices_search)
        app.router.add_get(p + "/device/{id}", device)
        app.router.add_get(p + "/device/{id}/dashboard-url", device_dashboard_url)
        app.router.add_get(p + "/device/{id}/alerts", device_alerts)
        app.router.add_get(p + "/device/{id}/activities", device_activities)
        app.router.add_get(p + "/device/{id}/{what}", device_inventory)
        app.router.add_get(f"{p}/alerts", alerts)
        app.router.add_delete(p + "/alert/{uid}", delete_alert)
        app.router.add_post(p + "/alert/{uid}/reset", reset_alert)
        app.router.add_get(f"{p}/activities", activities)
        app.router.add_get(p + "/queries/{report}", query_report)
        app.router.add_put(f"{p}/webhook", put_webhook)
        app.router.add_delete(f"{p}/webhook", delete_webhook)
