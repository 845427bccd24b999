"""Read endpoints around the fleet (reference §6.8): policies, roles, groups, users, user
roles, notification channels, scheduled tasks, scripts, software products, custom field
definitions, tags and contacts."""

from __future__ import annotations

import time

from aiohttp import web

from ninja_desk.simulator.custom_fields import definitions
from ninja_desk.simulator.responses import json_body, state
from ninja_desk.simulator.scripting import automation_scripts
from ninja_desk.simulator.tenant import NotFound


def _int_id(request: web.Request, key: str = "id") -> int:
    try:
        return int(request.match_info[key])
    except ValueError as exc:
        raise NotFound(f"Invalid id {request.match_info[key]!r}") from exc


async def policies(request: web.Request) -> web.Response:
    return json_body(state(request).directory.policies())


async def roles(request: web.Request) -> web.Response:
    return json_body(state(request).directory.roles())


async def groups(request: web.Request) -> web.Response:
    return json_body(state(request).directory.groups(time.time()))


async def group_device_ids(request: web.Request) -> web.Response:
    directory = state(request).directory
    group = directory.group(_int_id(request))
    if group is None:
        raise NotFound(f"Group {request.match_info['id']} not found")
    return json_body(directory.group_device_ids(group))


async def users(request: web.Request) -> web.Response:
    q = request.query
    include_roles = q.get("includeRoles", "").lower() == "true"
    return json_body(state(request).directory.users(q.get("userType"), include_roles))


async def technicians(request: web.Request) -> web.Response:
    directory = state(request).directory
    return json_body([directory.technician(u) for u in directory.technicians])


async def technician(request: web.Request) -> web.Response:
    directory = state(request).directory
    user_id = _int_id(request)
    for user in directory.technicians:
        if user["id"] == user_id:
            return json_body(directory.technician(user))
    raise NotFound(f"Technician {user_id} not found")


async def end_users(request: web.Request) -> web.Response:
    directory = state(request).directory
    return json_body([directory.end_user(u) for u in directory.end_users])


def _end_user(request: web.Request) -> dict[str, object]:
    user_id = _int_id(request)
    for user in state(request).directory.end_users:
        if user["id"] == user_id:
            return user
    raise NotFound(f"End user {user_id} not found")


async def end_user(request: web.Request) -> web.Response:
    return json_body(state(request).directory.end_user(_end_user(request)))


async def end_user_custom_fields(request: web.Request) -> web.Response:
    _end_user(request)
    return json_body({})


async def organization_end_users(request: web.Request) -> web.Response:
    sim = state(request)
    org_id = _int_id(request)
    if org_id not in sim.tenant.fleet.orgs:
        raise NotFound(f"Organization {org_id} not found")
    include_roles = request.query.get("includeRoles", "").lower() == "true"
    rows = sim.directory.users("END_USER", include_roles)
    rows = [u for u in rows if u["organizationId"] == org_id]
    return json_body(rows)


async def user_roles(request: web.Request) -> web.Response:
    return json_body(state(request).directory.user_roles(request.query.get("roleType")))


async def notification_channels(request: web.Request) -> web.Response:
    enabled_only = request.path.endswith("/enabled")
    return json_body(state(request).directory.notification_channels(enabled_only))


async def tasks(request: web.Request) -> web.Response:
    return json_body(state(request).directory.scheduled_tasks())


async def scripts(request: web.Request) -> web.Response:
    return json_body(automation_scripts(state(request).directory.created))


async def software_products(request: web.Request) -> web.Response:
    return json_body(state(request).directory.software_products())


async def device_custom_field_definitions(request: web.Request) -> web.Response:
    return json_body(definitions())


async def tags(request: web.Request) -> web.Response:
    return json_body({"tags": []})


async def empty_list(request: web.Request) -> web.Response:
    """Collections this tenant simply has none of (contacts, checklists, documents...)."""
    return json_body([])


INSTALLER_TYPES = {
    "WINDOWS_MSI": "msi",
    "MAC_DMG": "dmg",
    "MAC_PKG": "pkg",
    "LINUX_DEB": "deb",
    "LINUX_RPM": "rpm",
    "LINUX_ARM64_DEB": "deb",
    "LINUX_ARMV7A_DEB": "deb",
    "LINUX_ARM64_RPM": "rpm",
    "LINUX_ARMV7A_RPM": "rpm",
}


async def installer(request: web.Request) -> web.Response:
    """`GET /v2/organization/{id}/location/{location_id}/installer/{installer_type}`: a
    download `Link` for the agent installer of that location."""
    sim = state(request)
    org = sim.tenant.fleet.orgs.get(_int_id(request))
    if org is None:
        raise NotFound(f"Organization {request.match_info['id']} not found")
    loc_id = _int_id(request, "location_id")
    if loc_id not in org.location_ids:
        raise NotFound(f"Location {loc_id} not found in organization {org.id}")
    kind = request.match_info["installer_type"].upper()
    if kind not in INSTALLER_TYPES:
        raise web.HTTPNotFound()
    name = f"ninjaone-agent-{org.id}-{loc_id}-{kind.lower()}.{INSTALLER_TYPES[kind]}"
    return json_body({"url": f"{sim.base_url}/ws/agent/installer/{name}"})
