"""The NinjaOne sign-in end to end in a real browser: headless Debian chromium opens the
authorize URL the desktop's link hands to its opener, consents on the simulator's page, and
lands on the loopback callback, which finishes the sign-in (issue 13).

Driven through chromedriver's W3C WebDriver HTTP API with httpx (already a dependency): no
browser-automation package to install.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ninja_desk.ninjaone.connection import ConnectionState
from ninja_desk.simulator import SimulatorConfig, start_simulator
from ninja_desk.ui.settings.ninjaone_link import NinjaOneLink
from tests.e2e.conftest import require
from tests.ui.alerts_tickets_sample_data import make_ctx
from tests.ui.test_settings_integrations import FakeSecrets

pytestmark = pytest.mark.e2e
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C element reference key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Chromium:
    """One headless chromium session behind chromedriver."""

    def __init__(self, tmp_path: Path) -> None:
        require("chromium", "chromedriver")
        port = _free_port()
        self.log = (tmp_path / "chromedriver.log").open("wb")
        self.proc = subprocess.Popen(
            [shutil.which("chromedriver") or "chromedriver", f"--port={port}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        deadline = time.monotonic() + 15
        while True:
            try:
                if self.http.get("/status").json()["value"]["ready"]:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("chromedriver did not start")
            time.sleep(0.1)
        options = {
            "binary": shutil.which("chromium"),
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                f"--user-data-dir={tmp_path / 'chromium-profile'}",
            ],
        }
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}}
        answer = self.http.post("/session", json=caps).json()["value"]
        if "sessionId" not in answer:
            pytest.fail(f"chromium did not start: {answer}")
        self.session = f"/session/{answer['sessionId']}"

    def call(self, method: str, path: str, body: object = None) -> object:
        resp = self.http.request(method, self.session + path, json=body)
        value = resp.json()["value"]
        if resp.status_code >= 400:
            raise AssertionError(f"WebDriver {method} {path}: {value}")
        return value

    def visit_and_allow(self, url: str) -> None:
        """What the user does: the page opens, they press Allow."""
        self.call("POST", "/url", {"url": url})
        button = self.call(
            "POST", "/element", {"using": "css selector", "value": "button[value=allow]"}
        )
        self.call("POST", f"/element/{button[ELEMENT]}/click", {})  # type: ignore[index]

    def close(self) -> None:
        try:
            self.http.delete(self.session)
        finally:
            self.http.close()
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.log.close()


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Chromium]:
    browser = Chromium(tmp_path)
    yield browser
    browser.close()


async def test_sign_in_in_headless_chromium(chromium: Chromium, tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, filled=False)
    secrets = FakeSecrets()
    opened: list[str] = []

    def open_in_chromium(url: str) -> object:
        opened.append(url)
        return asyncio.to_thread(chromium.visit_and_allow, url)

    link = NinjaOneLink(ctx, opener=open_in_chromium, secrets_for=lambda _b, _c: secrets)
    try:
        async with start_simulator(SimulatorConfig(orgs=1, devices=2, seed=3)) as sim:
            tokens = await asyncio.wait_for(link.connect(sim.base_url, "desk-native"), 30)
            landed = await asyncio.to_thread(chromium.call, "GET", "/url")
            page = await asyncio.to_thread(chromium.call, "GET", "/source")
        assert opened and opened[0].startswith(f"{sim.base_url}/ws/oauth/authorize?")
        assert str(landed).startswith("http://127.0.0.1:") and "/callback?" in str(landed)
        assert "return to NinjaDesk" in str(page)
        assert tokens.access_token
        assert link.status.state is ConnectionState.CONNECTED
        assert ctx.sync is not None  # the desktop got a sync engine for the new session
    finally:
        await link.aclose()
        ctx.cache.close()
