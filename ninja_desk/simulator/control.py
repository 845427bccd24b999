"""The simulator's own control API under `/_sim/` (JSON in, JSON out, no auth).

GET  /_sim/health                          {"ok": true, "devices": n, ...}
GET  /_sim/totals                          rows per dataset a full sync reads (reports.py)
GET  /_sim/stats    POST /_sim/stats/reset request statistics (stats.py)
GET|POST /_sim/faults    {rate_429, rate_5xx, latency_ms, retry_after,
                          rate_429_without_retry_after, token_lifetime}  read / change
POST /_sim/devices       {org_id, node_class?, location_id?, name?}   NODE_CREATED
POST /_sim/devices/{id}/rename   {name, field?: displayName|systemName}  NODE_UPDATED
POST /_sim/devices/{id}/move     {org_id, location_id?}                NODE_UPDATED
POST /_sim/devices/{id}/offline  {offline: bool, report?: none|condition|system}
                                 none (default): no activity, as without an offline condition;
                                 condition: AGENT_OFFLINE TRIGGERED / RESET; system: NODE_UPDATED
DELETE /_sim/devices/{id}                                              NODE_DELETED
POST /_sim/devices/{id}/software {name, version?, publisher?}          SOFTWARE_ADDED
DELETE /_sim/devices/{id}/software?name=NAME                           SOFTWARE_REMOVED
POST /_sim/devices/{id}/patch    {success, kind?: os|software, patch_id?}
                                 PATCH_MANAGEMENT_INSTALLED / _INSTALL_FAILED
POST /_sim/alerts        {device_id, severity?, priority?, message?, source_type?}
                         CONDITION TRIGGERED; answers the alert (with uid)
POST /_sim/alerts/{uid}/reset    {custom?}                             CONDITION RESET
POST /_sim/churn         {count, seed?}      N random changes (benchmarks)
POST /_sim/alert-storm   {count, severity?}  N alerts at once
POST /_sim/tokens/expire                     every access token expires now
POST /_sim/tokens/revoke {token?, client_id?}  one / a client's / all tokens
GET|POST /_sim/oauth/clients {client_id, secret?, platform?, grants?, redirect_uris?,
                              admin?}        list / register OAuth clients
GET|POST /_sim/webhook   {admin?, psa_conflict?, client_id?}  webhook configs and flags
POST /_sim/webhook/drain                     wait for queued deliveries to be attempted
GET|POST /_sim/jobs      {duration?, outcome?: {result: SUCCESS|FAILURE, device_id?, action?,
                          message?, times?}, clear_outcomes?}  device job settings; GET also
                          lists running and recently finished jobs (jobs.py)
"""

from __future__ import annotations

import random
from typing import Any

from aiohttp import web

from ninja_desk.simulator import reports, serializers
from ninja_desk.simulator.state import SIM_KEY, SimState
from ninja_desk.simulator.tenant import OFFLINE_REPORTING, NotFound


def _sim(request: web.Request) -> SimState:
    # Handlers run in the /_sim/ sub-application; config_dict reaches the parent's state.
    return request.config_dict[SIM_KEY]


def ok(value: Any = None, status: int = 200) -> web.Response:
    return web.json_response({"ok": True} if value is None else value, status=status)


def fail(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text='{"ok": false, "error": "body must be JSON"}', content_type="application/json"
        ) from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"ok": false, "error": "body must be a JSON object"}',
            content_type="application/json",
        )
    return body


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFound as exc:
        return fail(404, str(exc))
    except (KeyError, TypeError, ValueError) as exc:
        return fail(400, f"bad request: {exc}")


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


def _device_out(sim: SimState, device_id: int) -> dict[str, Any]:
    return serializers.device_detailed(sim.tenant.device(device_id))


async def health(request: web.Request) -> web.Response:
    sim = _sim(request)
    return ok(
        {
            "ok": True,
            "devices": len(sim.tenant.fleet.devices),
            "organizations": len(sim.tenant.fleet.orgs),
            "base_url": sim.base_url,
        }
    )


async def totals(request: web.Request) -> web.Response:
    sim = _sim(request)
    return ok(reports.dataset_totals(sim.tenant))


async def stats(request: web.Request) -> web.Response:
    return ok(_sim(request).stats.snapshot())


async def stats_reset(request: web.Request) -> web.Response:
    _sim(request).stats.reset()
    return ok()


async def faults(request: web.Request) -> web.Response:
    sim = _sim(request)
    if request.method == "POST":
        body = await _body(request)
        # Token lifetime is an OAuth setting but belongs with the faults: a short lifetime is
        # how tests make tokens expire mid-sync. It applies to tokens issued from now on.
        lifetime = body.pop("token_lifetime", None)
        if lifetime is not None:
            if int(lifetime) < 1:
                raise ValueError("token_lifetime must be at least 1 second")
            sim.oauth.token_lifetime = int(lifetime)
        sim.faults.update(**body)
    return ok(sim.faults.settings.as_dict() | {"token_lifetime": sim.oauth.token_lifetime})


async def add_device(request: web.Request) -> web.Response:
    sim = _sim(request)
    b = await _body(request)
    dev = sim.tenant.add_device(
        int(b["org_id"]),
        b.get("node_class") or "WINDOWS_WORKSTATION",
        location_id=b.get("location_id"),
        name=b.get("name"),
    )
    return ok(_device_out(sim, dev.id), 201)


async def rename_device(request: web.Request) -> web.Response:
    sim = _sim(request)
    b = await _body(request)
    sim.tenant.rename_device(_id(request), str(b["name"]), field=b.get("field", "displayName"))
    return ok(_device_out(sim, _id(request)))


async def move_device(request: web.Request) -> web.Response:
    sim = _sim(request)
    b = await _body(request)
    loc = b.get("location_id")
    sim.tenant.move_device(_id(request), int(b["org_id"]), None if loc is None else int(loc))
    return ok(_device_out(sim, _id(request)))


async def offline_device(request: web.Request) -> web.Response:
    sim = _sim(request)
    b = await _body(request)
    report = str(b.get("report") or "none")
    if report not in OFFLINE_REPORTING:
        return fail(400, f"report must be one of {', '.join(OFFLINE_REPORTING)}")
    sim.tenant.set_offline(_id(request), bool(b.get("offline", True)), report=report)
    return ok(_device_out(sim, _id(request)))


async def delete_device(request: web.Request) -> web.Response:
    return ok(_sim(request).tenant.delete_device(_id(request)))


async def add_software(request: web.Request) -> web.Response:
    b = await _body(request)
    return ok(
        _sim(request).tenant.add_software(
            _id(request), str(b["name"]), b.get("version"), b.get("publisher")
        )
    )


async def remove_software(request: web.Request) -> web.Response:
    # The name travels in the query: titles contain "/", spaces and parentheses.
    return ok(_sim(request).tenant.remove_software(_id(request), request.query["name"]))


async def patch(request: web.Request) -> web.Response:
    b = await _body(request)
    return ok(
        _sim(request).tenant.patch_result(
            _id(request),
            success=bool(b.get("success", True)),
            kind=b.get("kind", "os"),
            patch_id=b.get("patch_id"),
        )
    )


async def trigger_alert(request: web.Request) -> web.Response:
    b = await _body(request)
    alert = _sim(request).tenant.trigger_alert(
        int(b["device_id"]),
        severity=b.get("severity"),
        priority=b.get("priority"),
        message=b.get("message"),
        source_type=b.get("source_type"),
    )
    return ok(alert, 201)


async def reset_alert(request: web.Request) -> web.Response:
    b = await _body(request)
    return ok(_sim(request).tenant.reset_alert(request.match_info["uid"], b.get("custom")))


async def churn(request: web.Request) -> web.Response:
    sim = _sim(request)
    b = await _body(request)
    rng = random.Random(b.get("seed", f"churn:{sim.config.seed}:{len(sim.tenant.activities)}"))
    done = sim.tenant.churn(int(b.get("count", 10)), rng)
    return ok({"ok": True, "changes": done, "lastActivityId": sim.tenant.activities.last_id})


async def alert_storm(request: web.Request) -> web.Response:
    sim = _sim(request)
    b = await _body(request)
    rng = random.Random(b.get("seed", f"storm:{sim.config.seed}:{len(sim.tenant.activities)}"))
    alerts = sim.tenant.alert_storm(int(b.get("count", 50)), rng, b.get("severity", "CRITICAL"))
    return ok({"ok": True, "alerts": alerts})


async def expire_tokens(request: web.Request) -> web.Response:
    return ok({"ok": True, "expired": _sim(request).oauth.expire_access_tokens()})


async def revoke_tokens(request: web.Request) -> web.Response:
    b = await _body(request)
    n = _sim(request).oauth.revoke(token=b.get("token"), client_id=b.get("client_id"))
    return ok({"ok": True, "revoked": n})


async def oauth_clients(request: web.Request) -> web.Response:
    sim = _sim(request)
    if request.method == "POST":
        b = await _body(request)
        secret = b.get("secret")
        client = sim.oauth.register(
            str(b["client_id"]),
            secret=secret,
            platform=b.get("platform") or ("api_services" if secret else "native"),
            grants=b.get("grants")
            or (
                ["client_credentials", "refresh_token"]
                if secret
                else ["authorization_code", "refresh_token"]
            ),
            redirect_uris=b.get("redirect_uris") or [],
            admin=bool(b.get("admin", True)),
        )
        return ok(client.as_dict(), 201)
    return ok([c.as_dict() for c in sim.oauth.clients.values()])


async def webhook(request: web.Request) -> web.Response:
    sim = _sim(request)
    if request.method == "POST":
        b = await _body(request)
        if "psa_conflict" in b:
            sim.psa_conflict = bool(b["psa_conflict"])
        if "admin" in b:
            if b.get("client_id"):
                sim.oauth.clients[str(b["client_id"])].admin = bool(b["admin"])
            else:
                sim.webhook_admin = bool(b["admin"])
    return ok(
        {
            "admin": sim.webhook_admin,
            "psa_conflict": sim.psa_conflict,
            "configs": {cid: c.as_dict() for cid, c in sim.webhooks.configs.items()},
        }
    )


async def webhook_drain(request: web.Request) -> web.Response:
    sim = _sim(request)
    await sim.webhooks.drain()
    return ok(sim.stats.snapshot()["webhooks"])


async def jobs(request: web.Request) -> web.Response:
    sim = _sim(request)
    runner = sim.actions.jobs
    settings = runner.settings
    if request.method == "POST":
        b = await _body(request)
        if b.get("clear_outcomes"):
            settings.rules.clear()
        if b.get("duration") is not None:
            duration = float(b["duration"])
            if duration < 0:
                raise ValueError("duration must not be negative")
            settings.duration = duration
        outcome = b.get("outcome")
        if outcome is not None:
            device_id = outcome.get("device_id")
            times = outcome.get("times")
            settings.add_rule(
                str(outcome["result"]),
                device_id=None if device_id is None else int(device_id),
                action=outcome.get("action"),
                message=outcome.get("message"),
                times=None if times is None else int(times),
            )
    return ok(
        settings.as_dict()
        | {
            "running": [j.as_dict() for j in runner.running.values()],
            "finished": [j.as_dict() for j in runner.finished],
        }
    )


def add_routes(app: web.Application) -> None:
    sub = web.Application(middlewares=[control_errors])
    r = sub.router
    r.add_get("/health", health)
    r.add_get("/totals", totals)
    r.add_get("/stats", stats)
    r.add_post("/stats/reset", stats_reset)
    r.add_get("/faults", faults)
    r.add_post("/faults", faults)
    r.add_post("/devices", add_device)
    r.add_post("/devices/{id}/rename", rename_device)
    r.add_post("/devices/{id}/move", move_device)
    r.add_post("/devices/{id}/offline", offline_device)
    r.add_delete("/devices/{id}", delete_device)
    r.add_post("/devices/{id}/software", add_software)
    r.add_delete("/devices/{id}/software", remove_software)
    r.add_post("/devices/{id}/patch", patch)
    r.add_post("/alerts", trigger_alert)
    r.add_post("/alerts/{uid}/reset", reset_alert)
    r.add_post("/churn", churn)
    r.add_post("/alert-storm", alert_storm)
    r.add_post("/tokens/expire", expire_tokens)
    r.add_post("/tokens/revoke", revoke_tokens)
    r.add_get("/oauth/clients", oauth_clients)
    r.add_post("/oauth/clients", oauth_clients)
    r.add_get("/webhook", webhook)
    r.add_post("/webhook", webhook)
    r.add_post("/webhook/drain", webhook_drain)
    r.add_get("/jobs", jobs)
    r.add_post("/jobs", jobs)
    app.add_subapp("/_sim/", sub)
