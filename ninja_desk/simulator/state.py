"""Everything one running simulator holds, reachable from each request via `SIM_KEY`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ninja_desk.simulator.actions import DeviceActions
from ninja_desk.simulator.config import SimulatorConfig
from ninja_desk.simulator.directory import Directory
from ninja_desk.simulator.faults import FaultInjector
from ninja_desk.simulator.jobs import JobSettings
from ninja_desk.simulator.oauth import AccessToken, OAuthServer
from ninja_desk.simulator.pagination import CursorStore
from ninja_desk.simulator.reports import RowCache
from ninja_desk.simulator.stats import Stats
from ninja_desk.simulator.tenant import Tenant
from ninja_desk.simulator.webhooks import WebhookDispatcher


@dataclass
class SimState:
    config: SimulatorConfig
    tenant: Tenant
    oauth: OAuthServer
    faults: FaultInjector
    stats: Stats
    webhooks: WebhookDispatcher
    actions: DeviceActions
    directory: Directory
    cursors: CursorStore = field(default_factory=CursorStore)
    report_rows: RowCache = field(default_factory=RowCache)
    base_url: str = ""
    webhook_admin: bool = True
    psa_conflict: bool = False
    warmup: asyncio.Task[int] | None = None


SIM_KEY = web.AppKey("sim", SimState)
# The access token of the current API request. RequestKey arrived in aiohttp 3.12; the
# pinned range starts lower, so fall back to a plain string key there.
TOKEN_KEY: Any = (
    web.RequestKey("sim_token", AccessToken) if hasattr(web, "RequestKey") else "sim_token"
)


def build_state(config: SimulatorConfig) -> SimState:
    tenant = Tenant(config)
    stats = Stats()
    return SimState(
        config=config,
        tenant=tenant,
        oauth=OAuthServer(config.token_lifetime, config.code_lifetime, config.auto_consent),
        faults=FaultInjector(config),
        stats=stats,
        webhooks=WebhookDispatcher(tenant, stats),
        actions=DeviceActions(tenant, JobSettings(duration=config.job_duration)),
        directory=Directory(tenant.fleet),
        webhook_admin=config.webhook_admin,
        psa_conflict=config.psa_conflict,
    )
