"""A faithful NinjaOne API simulator for tests, benchmarks and the demo.

    from ninja_desk.simulator import SimulatorConfig, start_simulator, run_simulator_in_thread
    async with start_simulator(SimulatorConfig(devices=50)) as sim: ...   # sim.base_url
    with run_simulator_in_thread(cfg) as sim: SimControl(sim.base_url).rename_device(1, "x")

Pre-registered OAuth clients are listed in oauth.py, control endpoints in control.py.
"""

from ninja_desk.simulator.client import AsyncSimControl, SimControl, SimControlError
from ninja_desk.simulator.config import SimulatorConfig
from ninja_desk.simulator.server import (
    RunningSimulator,
    run_simulator_in_thread,
    start_simulator,
)

__all__ = [
    "AsyncSimControl",
    "RunningSimulator",
    "SimControl",
    "SimControlError",
    "SimulatorConfig",
    "run_simulator_in_thread",
    "start_simulator",
]
