"""`ninja-desk demo`: the built-in NinjaOne simulator, a relay, a demo PSA, then the app.

What a new user sees on a fresh machine with nothing configured. The demo keeps its own data
dir (`<data dir>/demo`) so it never mixes with a real connection; alerts keep arriving while it
runs, through simulator -> webhook -> relay -> app -> alert pipeline -> PSA ticket.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING

from ninja_desk.cli.common import DEMO_PROFILE, ENV_CLIENT_SECRET, profile_dir
from ninja_desk.cli.demo_stack import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    RELAY_ENDPOINT,
    LiveAlerts,
    first_sync_and_webhook,
    prepare_psa,
    start_relay,
)
from ninja_desk.settings import Settings
from ninja_desk.sync.desktop_runtime import ENV_RELAY_TOKEN

if TYPE_CHECKING:  # the CLI loads Qt only when the desktop is asked for
    from ninja_desk.simulator import SimControl
    from ninja_desk.ui.app import DemoHandles


def cmd_demo(args: argparse.Namespace) -> int:
    from ninja_desk.simulator import SimControl, SimulatorConfig, run_simulator_in_thread

    demo_dir = profile_dir(args.data_dir, getattr(args, "profile", None) or DEMO_PROFILE)
    demo_dir.mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(orgs=args.orgs, devices=args.devices, seed=7)
    with run_simulator_in_thread(config) as sim:
        relay = start_relay(demo_dir / "relay.sqlite3")
        alerts: LiveAlerts | None = None
        try:
            print(f"NinjaOne simulator at {sim.base_url}, relay at {relay.url}", file=sys.stderr)
            os.environ[ENV_CLIENT_SECRET] = DEMO_CLIENT_SECRET
            os.environ[ENV_RELAY_TOKEN] = relay.subscriber_token
            result = asyncio.run(first_sync_and_webhook(sim.base_url, demo_dir, relay))
            settings = Settings.load(demo_dir)
            settings.custom_base_url = sim.base_url
            settings.client_id = DEMO_CLIENT_ID
            settings.relay_url = relay.url
            settings.relay_endpoint = RELAY_ENDPOINT
            settings.webhook_registered = True
            settings.first_run_done = True
            settings.demo = True
            prepare_psa(demo_dir, settings, sim.base_url)
            settings.save(demo_dir)
            print(
                f"Demo fleet synced: {result['devices']} devices, {result['software_rows']} "
                f"software rows, {result['api_calls']} API calls in {result['seconds']} s. "
                f"The command line reaches it with 'ninja-desk --profile {demo_dir.name} "
                "devices' (or status).",
                file=sys.stderr,
            )
            if args.headless:
                return 0
            try:
                from ninja_desk.ui.app import run_app
            except ImportError as exc:
                print(f"The desktop UI is not installed ({exc}); ran headless.", file=sys.stderr)
                return 0
            control = SimControl(sim.base_url)
            alerts = LiveAlerts(control, _agent_device_ids(demo_dir))
            alerts.start()
            return run_app(sys.argv[:1], data_dir=demo_dir, demo=_handles(control))
        finally:
            if alerts is not None:
                alerts.stop()
            relay.stop()


def _agent_device_ids(demo_dir: os.PathLike[str]) -> list[int]:
    from ninja_desk.cache.queries.devices import DEMO_AGENTS_SQL
    from ninja_desk.cache.store import LocalCache
    from ninja_desk.paths import cache_file

    cache = LocalCache(cache_file(demo_dir))
    try:
        rows = cache.rows(DEMO_AGENTS_SQL)
    finally:
        cache.close()
    return [r["id"] for r in rows]


def _handles(control: SimControl) -> DemoHandles:
    from ninja_desk.ui.app import DemoHandles

    return DemoHandles(api=None, control=control)
