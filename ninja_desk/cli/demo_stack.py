"""The demo's moving parts: simulator, relay, a demo PSA database, live alerts.

Everything runs on loopback in background threads of this process and stops with it. The demo
is the real product wired to a fake NinjaOne: the same sync engine, relay, alert pipeline and
PSA code a production desktop runs.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.credentials import ENV_WEBHOOK_SECRET
from ninja_desk.ninjaone.session import open_api
from ninja_desk.ninjaone.webhooks import ensure_webhook
from ninja_desk.paths import cache_file
from ninja_desk.settings import Settings
from ninja_desk.sync.engine import SyncEngine

log = logging.getLogger(__name__)

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # the simulator's published test client, not a real secret
RELAY_ENDPOINT = "ninjaone"

# Rules a new MSP would start with: critical and major alerts become tickets, noise is dropped.
# (name, conditions, actions, options): Alga's rule shape (conditions/actions, so the rules show
# in Alga's UI) plus NinjaDesk's options. No board or priority is named: tickets go to the
# integration's board with the priority the tenant's severity map gives.
DEMO_RULES: tuple[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]], ...] = (
    ("Critical and major alerts open tickets", {"severities": ["critical", "major"]},
     {"createTicket": True, "autoResolveTicket": True, "resetAlertOnTicketClose": True},
     {"dry_run": False, "group_storms": True, "storm_window_minutes": 15}),
    ("Minor alerts: watch only", {"severities": ["minor", "none"]}, {"createTicket": False},
     {}),
)  # fmt: skip


class BackgroundLoop:
    """An asyncio loop in a daemon thread, for servers the demo keeps running."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Any, timeout: float = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():  # closed, or its self-pipe sockets leak
            self.loop.close()


@dataclass
class RunningRelay:
    url: str
    subscriber_token: str = field(repr=False)
    endpoint_secret: str = field(repr=False)
    stop: Callable[[], None]


def start_relay(db_path: Path, config: Any = None) -> RunningRelay:
    """The relay on a loopback port, served like `ninja-desk-relay serve` serves it (its
    runner: header-read and keep-alive timeouts). `config`: a RelayConfig, default settings."""
    from aiohttp import web

    from ninja_desk.relay import admin
    from ninja_desk.relay.app import RelayConfig, create_app, make_runner
    from ninja_desk.relay.store import open_store

    store = open_store(f"sqlite:///{db_path}")
    store.init_schema()
    try:
        secret = admin.add_endpoint(store, RELAY_ENDPOINT)
    except Exception:  # the demo dir was used before: new secrets, same relay database
        secret = admin.rotate_endpoint(store, RELAY_ENDPOINT, 0.0)
    name = f"demo-desktop-{uuid.uuid4().hex[:6]}"
    token = admin.add_subscriber(store, name)
    background = BackgroundLoop("demo-relay")

    async def serve() -> tuple[web.AppRunner, int]:
        runner = make_runner(create_app(store, config or RelayConfig()))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, runner.addresses[0][1]

    runner, port = background.run(serve())

    def stop() -> None:
        try:
            background.run(runner.cleanup(), timeout=10)
        finally:
            background.stop()

    return RunningRelay(f"http://127.0.0.1:{port}", token, secret, stop)


def prepare_psa(demo_dir: Path, settings: Settings, ninjaone_url: str) -> None:
    """A SQLite PSA with the NinjaOne integration, every org mapped and starter rules."""
    from ninja_desk.cache.queries.clients import organizations
    from ninja_desk.psa import alert_rules, org_mapping
    from ninja_desk.sync.desktop_runtime import open_desktop_psa

    settings.psa_url = f"sqlite:///{demo_dir / 'psa.sqlite3'}"
    psa = open_desktop_psa(settings, ninjaone_url, user_name="demo")
    assert psa is not None
    cache = LocalCache(cache_file(demo_dir))
    try:
        orgs = organizations(cache)
    finally:
        cache.close()
    with psa.session() as s:
        mapped = org_mapping.load_mappings(s, psa.integration_id)
        for org in orgs:
            if str(org.id) not in mapped:
                org_mapping.create_client_from_organization(s, psa.integration_id, org)
        if not alert_rules.list_rules(s, psa.integration_id):
            for order, (name, conditions, actions, options) in enumerate(DEMO_RULES):
                alert_rules.create_rule(
                    s, psa.integration_id, name, priority_order=(order + 1) * 10,
                    conditions=conditions, actions=actions, options=options,
                )  # fmt: skip
    psa.db.dispose()


async def first_sync_and_webhook(base_url: str, demo_dir: Path, relay: RunningRelay) -> dict:
    cache = LocalCache(cache_file(demo_dir))
    engine = SyncEngine(
        open_api(base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, lock_dir=demo_dir), cache
    )
    try:
        result = (await engine.sync("full")).as_dict()
        # The same registration the desktop and `ninja-desk login` make (one implementation);
        # forced: the relay's endpoint secret is new on every demo start.
        relay_settings = Settings(relay_url=relay.url, relay_endpoint=RELAY_ENDPOINT)
        await ensure_webhook(
            engine.api.client,
            relay_settings,
            None,
            data_dir=demo_dir,
            force=True,
            environ={ENV_WEBHOOK_SECRET: relay.endpoint_secret},
        )
        return result
    finally:
        await engine.api.client.aclose()
        cache.close()


class LiveAlerts:
    """Raises and clears alerts in the simulator now and then, so the demo has news."""

    MESSAGES = (
        ("CRITICAL", "CONDITION_AGENT_DISK_FREE_SPACE", "Disk C: free space is below 5%"),
        ("MAJOR", "CONDITION_AGENT_CPU", "CPU utilisation above 95% for 10 minutes"),
        ("CRITICAL", "AGENT_OFFLINE", "Agent has been offline for 15 minutes"),
        ("MINOR", "CONDITION_PENDING_REBOOT", "A reboot is pending after patching"),
        ("MODERATE", "CONDITION_AGENT_MEMORY", "Memory utilisation above 90%"),
    )

    def __init__(self, control: Any, device_ids: list[int], *, every: float = 20.0) -> None:
        self.control = control
        self.device_ids = device_ids
        self.every = every
        self._open: list[str] = []
        self._stop = threading.Event()
        self._rng = random.Random(11)
        self._thread = threading.Thread(target=self._run, name="demo-alerts", daemon=True)

    def start(self) -> None:
        if self.device_ids:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.tick()
            except Exception as exc:  # a demo nicety; never take the app down
                log.debug("demo alert tick failed: %s", exc)

    def tick(self) -> None:
        if self._open and self._rng.random() < 0.4:
            self.control.reset_alert(self._open.pop(0))
            return
        severity, source, message = self._rng.choice(self.MESSAGES)
        alert = self.control.trigger_alert(
            self._rng.choice(self.device_ids), severity, message=message, source_type=source
        )
        self._open.append(alert["uid"])
