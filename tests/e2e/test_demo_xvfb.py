"""The real demo on a real X display: the window comes up, a live alert arrives through
simulator -> webhook -> relay -> app, and a relaunch with the saved profile still receives
live alerts (issue 13: live alerts stopped on the second `make demo`)."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ninja_desk.simulator.client import SimControl
from tests.e2e.conftest import x_env

pytestmark = pytest.mark.e2e
SIM_LINE = re.compile(r"NinjaOne simulator at (http://\S+?),")


class Demo:
    def __init__(self, display: str, data_dir: Path, log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ninja_desk.cli.main",
                "--data-dir",
                str(data_dir),
                "demo",
                "--devices",
                "30",
                "--orgs",
                "3",
            ],
            env=x_env(display, data_dir),
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        self.display = display
        self.cache = data_dir / "demo" / "cache.sqlite3"

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, what: str, check, timeout: float) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"the demo exited ({self.proc.returncode}) before {what}:\n{self.text()}"
                )
            value = check()
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}:\n{self.text()[-3000:]}")

    def simulator_url(self) -> str:
        return str(
            self.wait_for(
                "the simulator", lambda: (m := SIM_LINE.search(self.text())) and m.group(1), 30
            )
        )

    def window_id(self) -> str:
        def visible() -> str:
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", "^NinjaDesk$"],
                env={"DISPLAY": self.display, "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                check=False,
            )
            return found.stdout.split()[0] if found.stdout.split() else ""

        return str(self.wait_for("the main window", visible, 30))

    def cached_alert(self, message: str) -> bool:
        if not self.cache.exists():
            return False
        with sqlite3.connect(f"file:{self.cache}?mode=ro", uri=True, timeout=2) as conn:
            row = conn.execute("SELECT 1 FROM alerts WHERE message = ?", (message,)).fetchone()
        return row is not None

    def agent_device(self) -> int:
        with sqlite3.connect(f"file:{self.cache}?mode=ro", uri=True, timeout=2) as conn:
            row = conn.execute(
                "SELECT id FROM devices WHERE deleted = 0 AND offline = 0 AND os_name IS NOT NULL "
                "ORDER BY id LIMIT 1"
            ).fetchone()
        return int(row[0])

    def live_alert_arrives(self, sim_url: str) -> None:
        message = f"e2e live alert {uuid.uuid4().hex[:8]}"
        control = SimControl(sim_url)
        try:
            control.trigger_alert(self.agent_device(), "CRITICAL", message=message)
        finally:
            control.close()
        self.wait_for(
            f"the live alert '{message}' in the app", lambda: self.cached_alert(message), 20
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


def test_demo_window_live_alerts_and_relaunch(xvfb, tmp_path) -> None:
    data_dir = tmp_path / "data"
    for launch in (1, 2):
        demo = Demo(xvfb, data_dir, tmp_path / f"demo-{launch}.log")
        try:
            sim_url = demo.simulator_url()
            demo.window_id()
            demo.live_alert_arrives(sim_url)
        finally:
            demo.stop()
    assert (data_dir / "demo" / "settings.json").exists()  # the second launch reused the profile
