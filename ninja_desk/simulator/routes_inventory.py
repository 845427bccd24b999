"""Organizations, locations, devices (slim, detailed, search) and per-device inventory."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from ninja_desk.simulator import reports, serializers
from ninja_desk.simulator.device_filter import Predicate
from ninja_desk.simulator.fleet import OrgRec
from ninja_desk.simulator.pagination import id_page_bounds, id_window, int_param
from ninja_desk.simulator.responses import (
    device_filter,
    device_of,
    filtered_devices,
    json_body,
    json_text,
    state,
)
from ninja_desk.simulator.tenant import NotFound


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
    return json_body(
        [
            serializers.location(fleet.locations[i], with_org=True)
            for i in id_window(sorted(fleet.locations), after, size)
        ]
    )


# -- devices -----------------------------------------------------------------------------


def _device_list(request: web.Request, extra: Predicate | None = None) -> web.Response:
    sim = state(request)
    fleet = sim.tenant.fleet
    after, size = id_page_bounds(request.query)
    pred = device_filter(request)
    if extra is not None:
        pred = extra if pred is None else (lambda d, a=pred, b=extra: a(d) and b(d))
    expand = {e.strip() for e in request.query.get("expand", "").split(",") if e.strip()}
    devs = filtered_devices(fleet.sorted_device_ids(), fleet.devices, after, size, pred)
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
    pred = device_filter(request)
    devs = filtered_devices(fleet.sorted_device_ids(), fleet.devices, after, size, pred)
    cache = sim.tenant.json_cache
    return json_text("[" + ",".join(cache.detailed(d) for d in devs) + "]")


async def device(request: web.Request) -> web.Response:
    return json_text(state(request).tenant.json_cache.detailed(device_of(request)))


async def devices_search(request: web.Request) -> web.Response:
    fleet = state(request).tenant.fleet
    q = request.query.get("q", "").strip()
    limit = int_param(request.query, "limit", 100) or 100
    found: list[dict[str, Any]] = []
    if q:
        needle = q.lower()
        for dev_id in fleet.sorted_device_ids():
            dev = fleet.devices[dev_id]
            for attr, value in (
                ("displayName", dev.display_name),
                ("systemName", dev.system_name),
                ("dnsName", dev.dns_name),
                ("ipAddress", ",".join(dev.ip_addresses)),
                ("lastLoggedInUser", dev.last_user),
            ):
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
    dev = device_of(request)
    what = request.match_info["what"]
    inv = sim.tenant.inventory
    q = request.query
    if what == "software":
        rows: Any = [
            json.loads("{" + f'"installDate":"{s.install_date}",{s.fragment}' + "}")
            for s in inv.software(dev)
        ]
    elif what in ("os-patches", "os-patch-installs", "software-patches", "software-patch-installs"):
        builder = reports.REPORTS[what]
        rows = []
        for text in builder(sim.tenant, dev, q, reports.ReportContext(sim.tenant)):
            row = json.loads(text)
            row.pop("deviceId", None)
            row.pop("timestamp", None)
            rows.append(row)
    elif what == "volumes":
        rows = serializers.volumes(
            dev, include_bl="bl" in q.get("include", "").split(","), for_report=True
        )
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
    dev = device_of(request)
    url = f"{sim.base_url}/#/deviceDashboard/{dev.id}/overview"
    if request.query.get("redirect", "").lower() == "true":
        raise web.HTTPFound(url)
    return json_body({"url": url, "expires": round(time.time() + 300, 3)})
