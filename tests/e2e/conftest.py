"""End-to-end tests on a real X display (Xvfb) and a real browser (Debian's chromium).

They need system programs: Xvfb and xdotool (`apt-get install xvfb xdotool imagemagick`) and
chromium + chromedriver (`apt-get install chromium chromium-driver`), plus the Qt xcb
libraries (`packaging/README.md`). A missing program FAILS the test with the command to run:
an e2e test that silently skips in CI proves nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

APT_HINT = "apt-get install xvfb xdotool imagemagick chromium chromium-driver"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the real app under Xvfb or a real browser")


def require(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed; run: {APT_HINT}", pytrace=False)


def _free_display() -> int:
    for number in range(140, 400):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[str]:
    """A private Xvfb display (1280x800x24); yields its DISPLAY value."""
    require("Xvfb", "xdotool")
    number = _free_display()
    display = f":{number}"
    log = (tmp_path / "xvfb.log").open("wb")
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Xvfb {display} did not start (see {tmp_path / 'xvfb.log'})")
            time.sleep(0.05)
        yield display
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def x_env(display: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the real xcb platform, not offscreen
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        NINJA_DESK_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
    )
    return env
