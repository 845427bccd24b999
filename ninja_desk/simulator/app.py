"""The aiohttp application: middleware (stats, faults, auth, scopes) and routes."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from ninja_desk.core.tasks import cancel_and_wait
from ninja_desk.simulator import api, control, reports
from ninja_desk.simulator.actions import ActionRefused
from ninja_desk.simulator.device_filter import DeviceFilterError
from ninja_desk.simulator.oauth import AccessToken
from ninja_desk.simulator.pagination import PagingError
from ninja_desk.simulator.responses import api_error
from ninja_desk.simulator.state import SIM_KEY, TOKEN_KEY, SimState
from ninja_desk.simulator.tenant import NotFound

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _is_api(path: str) -> bool:
    return path.startswith(("/v2/", "/api/v2/"))


def _endpoint(request: web.Request) -> str:
    """`GET /v2/device/{id}`: method + route template, `/api` folded into `/v2`."""
    info = request.match_info
    route = getattr(info, "route", None)
    template = None
    if route is not None and route.resource is not None:
        template = route.resource.canonical
    if not template or info.http_exception is not None:
        template = "<unmatched>"
    if template.startswith("/api/v2/"):
        template = template[4:]
    return f"{request.method} {template}"


# Device actions that reach into the device through its agent: reboot, script / built-in
# action runs, patch scan and apply, Windows service control and configuration.
_CONTROL_ACTION = re.compile(
    r"/device/[^/]+/(reboot/[^/]+|script/run|patch/[^/]+/[^/]+|windows-service/[^/]+/[^/]+)$"
)


def _required_scopes(request: web.Request) -> set[str]:
    # Reference §2.3 convention: GET -> monitoring, writes -> management, remote sessions ->
    # control. `GET /device/{id}/dashboard-url` is a read that returns a link to the web UI,
    # not a remote session, so it needs monitoring. Webhook setup was done with a
    # `monitoring` token by NinjaOne staff (§9.1), so either scope is accepted there.
    # Device actions (issue 16) need `control`: acting on a device through its agent is what
    # that scope grants, and a client app without it must not reboot or run scripts.
    if request.path.endswith("/webhook"):
        return {"monitoring", "management"}
    if request.method == "POST" and _CONTROL_ACTION.search(request.path):
        return {"control"}
    if request.method == "GET":
        return {"monitoring"}
    return {"management"}


def _client_key(sim: SimState, request: web.Request) -> tuple[str, AccessToken | None]:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    info = sim.oauth.access_tokens.get(token) if token else None
    if info is not None:
        return info.client_id, info
    return request.remote or "unknown", None


@web.middleware
async def stats_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = request.app[SIM_KEY]
    if request.path.startswith("/_sim/"):
        return await handler(request)
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        # Handler time (including injected latency): benchmarks use it to tell the
        # simulator's cost from the client's.
        sim.stats.record(_endpoint(request), status, time.perf_counter() - start)


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request.path):
        return await handler(request)
    sim = request.app[SIM_KEY]
    now = time.time()
    client, info = _client_key(sim, request)
    sim.stats.check_early(client, now, _endpoint(request))
    settings = sim.faults.settings
    if settings.latency_ms > 0:
        await asyncio.sleep(settings.latency_ms / 1000.0)
    fault = sim.faults.draw()
    if fault is not None:
        sim.stats.faults[str(fault.status)] += 1
        if fault.status == 429:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = _retry_after_text(fault.retry_after)
                sim.stats.note_retry_after(client, time.time(), fault.retry_after)
            else:
                sim.stats.faults["429_without_retry_after"] += 1
            return api_error(429, "Too many requests", "TOO_MANY_REQUESTS", headers)
        return api_error(fault.status, "Internal server error (simulated)")
    if request.method == "DELETE" and (request.content_length or request.body_exists):
        # NinjaOne rejects a DELETE that carries a body (reference §3).
        return api_error(400, "DELETE requests must not have a body", "VALIDATION_FAILED")
    if info is None or info.expires_at <= time.time():
        reason = "Access token expired" if info is not None else "Missing or invalid token"
        return web.json_response(
            {"error": "invalid_token", "error_description": reason},
            status=401,
            headers={
                "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'
            },
        )
    needed = _required_scopes(request)
    if not needed & info.scopes:
        return api_error(
            403,
            f"Insufficient permissions: scope {' or '.join(sorted(needed))} required",
            "INSUFFICIENT_PERMISSIONS",
        )
    request[TOKEN_KEY] = info
    try:
        return await handler(request)
    except NotFound as exc:
        return api_error(404, str(exc), "NOT_FOUND")
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        # Unknown API routes answer in NinjaOne's envelope, not aiohttp's plain text.
        return api_error(
            exc.status,
            f"{request.method} {request.path}: {exc.reason}",
            "NOT_FOUND" if exc.status == 404 else "METHOD_NOT_ALLOWED",
        )
    except (DeviceFilterError, PagingError) as exc:
        return api_error(400, str(exc), "VALIDATION_FAILED")
    except ActionRefused as exc:
        if exc.params is not None:
            # The validation envelope with a message code (reference §10.2, §12.16).
            return web.json_response(
                {"errorMessage": {"code": str(exc), "params": exc.params}}, status=exc.status
            )
        return api_error(exc.status, str(exc), exc.code)


def _retry_after_text(seconds: float) -> str:
    # Retry-After is delay-seconds (an integer) on the wire; keep sub-second values usable
    # for fast tests by sending the decimal, which lenient clients parse as a float.
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


async def _index(request: web.Request) -> web.Response:
    return web.Response(
        text="<!doctype html><title>NinjaOne simulator</title><h1>NinjaOne "
        "simulator</h1><p>This stands in for the NinjaOne web app; device "
        "dashboards are the part after '#'.</p>",
        content_type="text/html",
    )


def create_app(sim: SimState) -> web.Application:
    app = web.Application(middlewares=[stats_middleware, api_middleware])
    app[SIM_KEY] = sim
    oauth = sim.oauth
    app.router.add_get("/", _index)
    app.router.add_get("/ws/oauth/authorize", oauth.authorize)
    app.router.add_post("/ws/oauth/token", oauth.token)
    app.router.add_post("/ws/oauth/revoke", oauth.revoke_endpoint)
    app.router.add_get("/.well-known/oauth-authorization-server", oauth.metadata)
    api.add_routes(app)
    control.add_routes(app)

    async def on_startup(_: web.Application) -> None:
        await sim.webhooks.start()
        if sim.config.prewarm:
            sim.warmup = asyncio.create_task(
                reports.prewarm(sim.tenant, sim.report_rows), name="sim-prewarm"
            )

    async def on_cleanup(_: web.Application) -> None:
        await cancel_and_wait([sim.warmup])
        await sim.actions.stop()
        await sim.webhooks.stop()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
