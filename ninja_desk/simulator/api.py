"""The NinjaOne public API v2 route table, served under both `/v2/` and `/api/v2/`
(reference §1). Handlers live in routes_*.py; authentication, scopes, faults and statistics
are middleware (app.py), so handlers only read the tenant and shape answers.
"""

from __future__ import annotations

from aiohttp import web

from ninja_desk.simulator.routes_events import (
    activities,
    alerts,
    delete_alert,
    device_activities,
    device_alerts,
    reset_alert,
)
from ninja_desk.simulator.routes_inventory import (
    device,
    device_dashboard_url,
    device_inventory,
    devices,
    devices_detailed,
    devices_search,
    locations,
    organization,
    organization_devices,
    organization_locations,
    organizations,
)
from ninja_desk.simulator.routes_reports import query_report
from ninja_desk.simulator.routes_webhook import delete_webhook, put_webhook

PREFIXES = ("/v2", "/api/v2")


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
