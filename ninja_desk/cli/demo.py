"""`ninja-desk demo`: the built-in NinjaOne simulator, a first sync, then the app.

What a new user sees on a fresh machine with nothing configured. The demo keeps its own data
dir (`<data dir>/demo`) so it never mixes with a real connection.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from ninja_desk.cache.store import LocalCache
from ninja_desk.cli.common import ENV_CLIENT_SECRET
from ninja_desk.ninjaone.session import open_api
from ninja_desk.paths import cache_file, data_dir
from ninja_desk.settings import Settings
from ninja_desk.sync.engine import SyncEngine

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # the simulator's published test client, not a real secret


def cmd_demo(args: argparse.Namespace) -> int:
    from ninja_desk.simulator import SimulatorConfig, run_simulator_in_thread

    demo_dir = data_dir(args.data_dir) / "demo"
    demo_dir.mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(orgs=args.orgs, devices=args.devices, seed=7)
    with run_simulator_in_thread(config) as sim:
        settings = Settings.load(demo_dir)
        settings.custom_base_url = sim.base_url
        settings.client_id = DEMO_CLIENT_ID
        settings.demo = True
        settings.save(demo_dir)
        os.environ[ENV_CLIENT_SECRET] = DEMO_CLIENT_SECRET
        print(f"NinjaOne simulator running at {sim.base_url}", file=sys.stderr)
        result = asyncio.run(_first_sync(sim.base_url, demo_dir))
        print(
            f"Demo fleet synced: {result['devices']} devices, {result['software_rows']} software "
            f"rows, {result['api_calls']} API calls in {result['seconds']} s.",
            file=sys.stderr,
        )
        if args.headless:
            return 0
        try:
            from ninja_desk.ui.app import run_app
        except ImportError as exc:
            print(f"The desktop UI is not installed ({exc}); ran headless.", file=sys.stderr)
            return 0
        return run_app(sys.argv[:1], data_dir=demo_dir)


async def _first_sync(base_url: str, demo_dir: os.PathLike[str]) -> dict[str, object]:
    cache = LocalCache(cache_file(demo_dir))
    engine = SyncEngine(open_api(base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET), cache)
    try:
        return (await engine.sync("full")).as_dict()
    finally:
        await engine.api.client.aclose()
        cache.close()
