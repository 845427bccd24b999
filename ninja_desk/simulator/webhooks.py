"""Webhook configuration (one per API client app, replaced on PUT) and delivery.

Delivery follows reference §9.2: one POST per activity, JSON body shaped like
`DetailedActivity`, only the custom headers from the configuration plus Content-Type, no
signature. Activities are queued (bounded) and POSTed by one background task, so a slow or
dead receiver never blocks the API; when the queue is full the delivery is dropped and
counted. Results land in `/_sim/stats` under `webhooks`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ninja_desk.core.tasks import cancel_and_wait
from ninja_desk.simulator.serializers import device_base, dumps, references
from ninja_desk.simulator.stats import Stats
from ninja_desk.simulator.tenant import Tenant

QUEUE_SIZE = 1000
DELIVERY_TIMEOUT = 5.0


class WebhookConfigError(ValueError):
    pass


@dataclass(slots=True)
class WebhookConfig:
    url: str
    activities: dict[str, list[str]] | None = None
    expand: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    organization_ids: list[int] | None = None

    @classmethod
    def parse(cls, body: Any) -> WebhookConfig:
        if not isinstance(body, dict) or not isinstance(body.get("url"), str) or not body["url"]:
            raise WebhookConfigError("Webhook configuration needs a url")
        if not body["url"].startswith(("http://", "https://")):
            raise WebhookConfigError("Webhook url must be http(s)")
        acts = body.get("activities")
        if acts is not None and not (
            isinstance(acts, dict)
            and all(
                isinstance(v, list) and all(isinstance(s, str) for s in v) for v in acts.values()
            )
        ):
            raise WebhookConfigError("activities must map activity types to status-code lists")
        headers = body.get("headers") or []
        if not isinstance(headers, list) or not all(
            isinstance(h, dict)
            and isinstance(h.get("name"), str)
            and isinstance(h.get("value"), str)
            for h in headers
        ):
            raise WebhookConfigError("headers must be a list of {name, value}")
        expand = body.get("expand") or []
        if not isinstance(expand, list) or not all(isinstance(e, str) for e in expand):
            raise WebhookConfigError("expand must be a list of strings")
        org_ids = body.get("organizationIds")
        if org_ids is not None and not (
            isinstance(org_ids, list) and all(isinstance(i, int) for i in org_ids)
        ):
            raise WebhookConfigError("organizationIds must be a list of integers")
        return cls(body["url"], acts, expand, headers, org_ids)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url}
        if self.activities is not None:
            out["activities"] = self.activities
        out["expand"] = self.expand
        out["headers"] = self.headers
        if self.organization_ids is not None:
            out["organizationIds"] = self.organization_ids
        return out

    def wants(self, activity: dict[str, Any], org_id: int | None) -> bool:
        if self.activities is not None:
            codes = self.activities.get(activity["activityType"])
            if codes is None or ("*" not in codes and activity["statusCode"] not in codes):
                return False
        return not (self.organization_ids is not None and org_id not in self.organization_ids)


class WebhookDispatcher:
    """Holds the per-client configurations and delivers activities in the background."""

    def __init__(self, tenant: Tenant, stats: Stats) -> None:
        self.tenant = tenant
        self.stats = stats
        self.configs: dict[str, WebhookConfig] = {}
        self._queue: asyncio.Queue[tuple[str, dict[str, str], bytes]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        tenant.listeners.append(self.on_activity)

    async def start(self) -> None:
        self._queue = asyncio.Queue(QUEUE_SIZE)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT))
        self._task = asyncio.create_task(self._run(), name="sim-webhook-delivery")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        if self._session is not None:
            await self._session.close()

    def on_activity(self, activity: dict[str, Any]) -> None:
        """Called synchronously by the tenant for every change; never blocks."""
        if not self.configs or self._queue is None:
            return
        dev = self.tenant.fleet.devices.get(activity.get("deviceId", -1))
        org_id = dev.org_id if dev is not None else None
        for config in self.configs.values():
            if not config.wants(activity, org_id):
                continue
            body = self.payload(activity, config)
            headers = {h["name"]: h["value"] for h in config.headers}
            headers["Content-Type"] = "application/json"
            try:
                self._queue.put_nowait((config.url, headers, dumps(body).encode()))
                self.stats.webhooks["queued"] += 1
            except asyncio.QueueFull:
                self.stats.webhooks["dropped"] += 1

    def payload(self, activity: dict[str, Any], config: WebhookConfig) -> dict[str, Any]:
        body = dict(activity)
        # Webhook bodies carry millisecond precision (reference §3), REST up to nanoseconds.
        body["activityTime"] = round(activity["activityTime"], 3)
        expand = set(config.expand)
        dev = self.tenant.fleet.devices.get(activity.get("deviceId", -1))
        if "device" in expand and dev is not None:
            device = device_base(dev)
            refs = references(dev, self.tenant.fleet, expand)
            if refs:
                device["references"] = refs
            body["device"] = device
        return body

    async def _run(self) -> None:
        assert self._queue is not None and self._session is not None
        while True:
            url, headers, data = await self._queue.get()
            try:
                async with self._session.post(url, data=data, headers=headers) as resp:
                    await resp.read()
                    if 200 <= resp.status < 300:
                        self.stats.webhooks["delivered"] += 1
                    else:
                        self.stats.webhooks["failed"] += 1
                        self.stats.webhook_last_error = f"HTTP {resp.status} from {url}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                self.stats.webhooks["failed"] += 1
                self.stats.webhook_last_error = f"{type(exc).__name__}: {exc}"
            finally:
                self._queue.task_done()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued delivery was attempted (tests, `/_sim/webhook/drain`)."""
        if self._queue is not None:
            await asyncio.wait_for(self._queue.join(), timeout)
