"""A faithful NinjaOne API simulator for tests, benchmarks and the demo.

    from ninja_desk.simulator import SimulatorConfig, start_simulator, run_simulator_in_thread
    from ninja_desk.simulator import SimControl

    cfg = SimulatorConfig(orgs=5, devices=50, seed=1)
    async with start_simulator(cfg) as sim:        # on the running loop
        sim.base_url                                # "http://127.0.0.1:<port>"
    with run_simulator_in_thread(cfg) as sim:       # own loop, daemon thread
        SimControl(sim.base_url).rename_device(1, "Front desk")

- OAuth clients: `demo-client`/`demo-secret` (client_credentials), `desk-native` (PKCE,
  `http://127.0.0.1/callback` on any port), `desk-web`/`web-secret` (oauth.py).
- API under `/v2/` and `/api/v2/` (api.py, reports.py); control API under `/_sim/`
  (control.py), wrapped by `SimControl` / `AsyncSimControl` (client.py) and the
  `ninja-desk-sim` CLI (cli.py).
- Device actions (reboot, script run, patch scan/apply, Windows service control) need the
  `control` scope and become jobs (jobs.py, actions.py) that run `job_duration` seconds and
  end as `/_sim/jobs` outcome rules say (`SimControl.set_job_outcome`, `ninja-desk-sim jobs`).
- Same seed, same tenant; faults draw from a seeded RNG too.
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
