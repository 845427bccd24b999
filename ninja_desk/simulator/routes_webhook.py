"""`PUT`/`DELETE /v2/webhook`: one configuration per client app (reference §6.7, §9.1)."""

from __future__ import annotations

from aiohttp import web

from ninja_desk.simulator.responses import api_error, state, token
from ninja_desk.simulator.webhooks import WebhookConfig, WebhookConfigError


async def put_webhook(request: web.Request) -> web.Response:
    sim = state(request)
    info = token(request)
    client = sim.oauth.clients.get(info.client_id)
    if not sim.webhook_admin or (client is not None and not client.admin):
        return api_error(
            403, "Only system administrators can configure webhooks", "INSUFFICIENT_PERMISSIONS"
        )
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
