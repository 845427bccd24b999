"""Device actions and the reads around them (reference §6.2): reboot, scripting options and
script runs, patch scan/apply, Windows services, maintenance, jobs, custom fields.

Actions answer 204 at once; the work happens in a job (jobs.py, actions.py). Scopes are
checked by the middleware (app.py): the actions need `control`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ninja_desk.simulator.actions import ActionRefused
from ninja_desk.simulator.custom_fields import CustomFieldError
from ninja_desk.simulator.responses import device_filter, device_of, json_body, state
from ninja_desk.simulator.scripting import CATEGORIES, scripting_options
from ninja_desk.simulator.tenant import NotFound

NO_CONTENT = 204


async def _body(request: web.Request, *, required: bool = False) -> dict[str, Any]:
    if not request.can_read_body:
        if required:
            raise ActionRefused(400, "A JSON request body is required")
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise ActionRefused(400, "Request body must be a JSON object") from exc
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise ActionRefused(400, "Request body must be a JSON object")
    return body


def _done() -> web.Response:
    return web.Response(status=NO_CONTENT)


# -- actions -------------------------------------------------------------------------------


async def reboot(request: web.Request) -> web.Response:
    dev = device_of(request)
    body = await _body(request)
    reason = body.get("reason")
    state(request).actions.reboot(
        dev, request.match_info["mode"], reason if isinstance(reason, str) else None
    )
    return _done()


async def scripting_options_handler(request: web.Request) -> web.Response:
    dev = device_of(request)
    if not dev.is_agent:
        return json_body({"categories": [dict(c) for c in CATEGORIES], "scripts": []})
    return json_body(scripting_options(dev))


async def run_script(request: web.Request) -> web.Response:
    dev = device_of(request)
    state(request).actions.run_script(dev, await _body(request, required=True))
    return _done()


async def patch(request: web.Request) -> web.Response:
    dev = device_of(request)
    state(request).actions.patch(dev, request.match_info["kind"], request.match_info["op"])
    return _done()


async def windows_services(request: web.Request) -> web.Response:
    dev = device_of(request)
    rows = state(request).actions.services.list(dev)
    name = request.query.get("name")
    wanted_state = request.query.get("state")
    if name:
        rows = [r for r in rows if name.lower() in (r["name"].lower(), r["displayName"].lower())]
    if wanted_state:
        rows = [r for r in rows if r["state"] == wanted_state.upper()]
    return json_body(rows)


async def control_service(request: web.Request) -> web.Response:
    dev = device_of(request)
    body = await _body(request, required=True)
    state(request).actions.control_service(dev, request.match_info["serviceId"], body.get("action"))
    return _done()


async def configure_service(request: web.Request) -> web.Response:
    dev = device_of(request)
    body = await _body(request, required=True)
    state(request).actions.configure_service(dev, request.match_info["serviceId"], body)
    return _done()


async def put_maintenance(request: web.Request) -> web.Response:
    dev = device_of(request)
    state(request).actions.set_maintenance(dev, await _body(request, required=True))
    return _done()


async def delete_maintenance(request: web.Request) -> web.Response:
    state(request).actions.clear_maintenance(device_of(request))
    return _done()


# -- jobs ----------------------------------------------------------------------------------


async def device_jobs(request: web.Request) -> web.Response:
    dev = device_of(request)
    return json_body([j.as_job() for j in state(request).actions.jobs.jobs_of(dev.id)])


async def jobs(request: web.Request) -> web.Response:
    sim = state(request)
    pred = device_filter(request)
    job_type = request.query.get("jobType")
    out = []
    for job in sim.actions.jobs.jobs_of():
        if job_type and job.codes.activity_type != job_type:
            continue
        if pred is not None:
            dev = sim.tenant.fleet.devices.get(job.device_id)
            if dev is None or not pred(dev):
                continue
        out.append(job.as_job())
    return json_body(out)


# -- custom fields -------------------------------------------------------------------------


def _org_id(request: web.Request) -> int:
    fleet = state(request).tenant.fleet
    try:
        org_id = int(request.match_info["id"])
    except ValueError:
        org_id = -1
    if org_id not in fleet.orgs:
        raise NotFound(f"Organization {request.match_info['id']} not found")
    return org_id


def _location_id(request: web.Request, org_id: int) -> int:
    fleet = state(request).tenant.fleet
    try:
        loc_id = int(request.match_info["locationId"])
    except ValueError:
        loc_id = -1
    if loc_id not in fleet.orgs[org_id].location_ids:
        raise NotFound(f"Location {request.match_info['locationId']} not found")
    return loc_id


def _inherit(request: web.Request) -> bool:
    return request.query.get("withInheritance", "").lower() == "true"


async def _patch_fields(request: web.Request, entity: str, entity_id: int) -> web.Response:
    body = await _body(request, required=True)
    try:
        state(request).actions.custom_fields.patch(entity, entity_id, body)
    except CustomFieldError as exc:
        raise ActionRefused(400, str(exc)) from exc
    if entity == "device":
        state(request).tenant.touch(state(request).tenant.device(entity_id))
    return _done()


async def device_custom_fields(request: web.Request) -> web.Response:
    dev = device_of(request)
    fields = state(request).actions.custom_fields
    if request.method == "PATCH":
        return await _patch_fields(request, "device", dev.id)
    return json_body(fields.get("device", dev.id, inherit=_inherit(request)))


async def organization_custom_fields(request: web.Request) -> web.Response:
    org_id = _org_id(request)
    if request.method == "PATCH":
        return await _patch_fields(request, "organization", org_id)
    return json_body(state(request).actions.custom_fields.get("organization", org_id))


async def location_custom_fields(request: web.Request) -> web.Response:
    org_id = _org_id(request)
    loc_id = _location_id(request, org_id)
    if request.method == "PATCH":
        return await _patch_fields(request, "location", loc_id)
    fields = state(request).actions.custom_fields
    return json_body(fields.get("location", loc_id, inherit=_inherit(request)))


async def device_policy_overrides(request: web.Request) -> web.Response:
    dev = device_of(request)
    return json_body({"overrides": state(request).directory.policy_overrides(dev)})
