"""The NinjaOne public API v2 route table, served under both `/v2/` and `/api/v2/`
(reference §1). Handlers live in routes_*.py; authentication, scopes, faults and statistics
are middleware (app.py), so handlers only read the tenant and shape answers.
"""

from __future__ import annotations

from aiohttp import web

from ninja_desk.simulator import routes_actions as act
from ninja_desk.simulator import routes_directory as rd
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
        # Literal paths first: `/organization/checklists` must not reach `/organization/{id}`.
        add_directory_routes(app, p)
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
        add_action_routes(app, p)
        app.router.add_get(p + "/device/{id}/{what}", device_inventory)
        app.router.add_get(f"{p}/alerts", alerts)
        app.router.add_delete(p + "/alert/{uid}", delete_alert)
        app.router.add_post(p + "/alert/{uid}/reset", reset_alert)
        app.router.add_get(f"{p}/activities", activities)
        app.router.add_get(p + "/queries/{report}", query_report)
        app.router.add_put(f"{p}/webhook", put_webhook)
        app.router.add_delete(f"{p}/webhook", delete_webhook)


def add_action_routes(app: web.Application, p: str) -> None:
    """Device actions, jobs and custom fields; registered before the `/device/{id}/{what}`
    inventory catch-all so they win."""
    r = app.router
    dev = p + "/device/{id}"
    r.add_post(dev + "/reboot/{mode}", act.reboot)
    r.add_get(dev + "/scripting/options", act.scripting_options_handler)
    r.add_post(dev + "/script/run", act.run_script)
    r.add_post(dev + "/patch/{kind}/{op}", act.patch)
    r.add_get(dev + "/windows-services", act.windows_services)
    r.add_post(dev + "/windows-service/{serviceId}/control", act.control_service)
    r.add_post(dev + "/windows-service/{serviceId}/configure", act.configure_service)
    r.add_put(dev + "/maintenance", act.put_maintenance)
    r.add_delete(dev + "/maintenance", act.delete_maintenance)
    r.add_get(dev + "/jobs", act.device_jobs)
    r.add_get(dev + "/custom-fields", act.device_custom_fields)
    r.add_patch(dev + "/custom-fields", act.device_custom_fields)
    r.add_get(dev + "/policy/overrides", act.device_policy_overrides)
    r.add_get(f"{p}/jobs", act.jobs)
    org = p + "/organization/{id}"
    r.add_get(org + "/custom-fields", act.organization_custom_fields)
    r.add_patch(org + "/custom-fields", act.organization_custom_fields)
    r.add_get(org + "/location/{locationId}/custom-fields", act.location_custom_fields)
    r.add_patch(org + "/location/{locationId}/custom-fields", act.location_custom_fields)


# Collections a tenant of this simulator has none of; served so clients see `[]`, not 404.
EMPTY_COLLECTIONS = (
    "/contacts",
    "/checklist/templates",
    "/document-templates",
    "/knowledgebase/organization/articles",
    "/knowledgebase/global/articles",
    "/related-items",
    "/vulnerability/scan-groups",
    "/organization/checklists",
    "/organization/documents",
    "/organization/{organizationId}/documents",
    "/related-items/with-entity/{entityType}/{entityId}",
    "/related-items/with-entity-type/{entityType}",
    "/related-items/with-related-entity/{relEntityType}/{relEntityId}",
    "/related-items/with-related-entity-type/{relatedEntityType}",
)


def add_directory_routes(app: web.Application, p: str) -> None:
    r = app.router
    r.add_get(f"{p}/policies", rd.policies)
    r.add_get(f"{p}/roles", rd.roles)
    r.add_get(f"{p}/groups", rd.groups)
    r.add_get(p + "/group/{id}/device-ids", rd.group_device_ids)
    r.add_get(f"{p}/users", rd.users)
    r.add_get(f"{p}/user/technicians", rd.technicians)
    r.add_get(p + "/user/technician/{id}", rd.technician)
    r.add_get(f"{p}/user/end-users", rd.end_users)
    r.add_get(p + "/user/end-user/{id}", rd.end_user)
    r.add_get(p + "/user/end-user/{id}/custom-fields", rd.end_user_custom_fields)
    r.add_get(f"{p}/user/roles", rd.user_roles)
    r.add_get(p + "/organization/{id}/end-users", rd.organization_end_users)
    r.add_get(f"{p}/notification-channels", rd.notification_channels)
    r.add_get(f"{p}/notification-channels/enabled", rd.notification_channels)
    r.add_get(f"{p}/tasks", rd.tasks)
    r.add_get(f"{p}/automation/scripts", rd.scripts)
    r.add_get(f"{p}/software-products", rd.software_products)
    r.add_get(f"{p}/device-custom-fields", rd.device_custom_field_definitions)
    r.add_get(f"{p}/tag", rd.tags)
    r.add_get(
        p + "/organization/{id}/location/{location_id}/installer/{installer_type}", rd.installer
    )
    for path in EMPTY_COLLECTIONS:
        r.add_get(p + path, rd.empty_list)
