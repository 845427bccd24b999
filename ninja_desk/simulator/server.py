"""Start and stop a simulator: on the running loop (`start_simulator`) or in a daemon thread
with its own loop (`run_simulator_in_thread`) for sync code, the CLI demo and benchmarks."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from aiohttp import web

from ninja_desk.simulator.app import create_app
from ninja_desk.simulator.config import SimulatorConfig
from ninja_desk.simulator.state import SimState, build_state
from ninja_desk.simulator.tenant import Tenant


@dataclass
class RunningSimulator:
    base_url: str
    state: SimState
    runner: web.AppRunner
    loop: asyncio.AbstractEventLoop | None = None

    @property
    def config(self) -> SimulatorConfig:
        return self.state.config

    @property
    def tenant(self) -> Tenant:
        """The live tenant (tests peek at it; only touch it from the simulator's loop)."""
        return self.state.tenant


async def _start(config: SimulatorConfig) -> RunningSimulator:
    state = build_state(config)
    runner = web.AppRunner(create_app(state), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, reuse_address=True)
    await site.start()
    # aiohttp exposes the bound port only through the runner's addresses.
    port = runner.addresses[0][1]
    host = config.host if ":" not in config.host else f"[{config.host}]"
    state.base_url = f"http://{host}:{port}"
    return RunningSimulator(state.base_url, state, runner)


@contextlib.asynccontextmanager
async def start_simulator(config: SimulatorConfig | None = None) -> AsyncIterator[RunningSimulator]:
    """Serve the simulator on the running loop for the duration of the block."""
    sim = await _start(config or SimulatorConfig())
    sim.loop = asyncio.get_running_loop()
    try:
        yield sim
    finally:
        await sim.runner.cleanup()


@contextlib.contextmanager
def run_simulator_in_thread(
    config: SimulatorConfig | None = None, startup_timeout: float = 30.0
) -> Iterator[RunningSimulator]:
    """Serve the simulator from a daemon thread with its own event loop."""
    loop = asyncio.new_event_loop()
    ready: concurrent.futures.Future[RunningSimulator] = concurrent.futures.Future()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            sim = loop.run_until_complete(_start(config or SimulatorConfig()))
        except BaseException as exc:  # handed to the caller through the future
            ready.set_exception(exc)
            loop.close()
            return
        sim.loop = loop
        ready.set_result(sim)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(sim.runner.cleanup())
            loop.close()

    thread = threading.Thread(target=run, name="ninja-sim", daemon=True)
    thread.start()
    sim = ready.result(timeout=startup_timeout)
    try:
        yield sim
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
