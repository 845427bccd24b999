"""A full run through the CLI: login (browser), sync, token refresh, webhook, logout.

Afterwards no secret may appear in any log output (DEBUG, httpx and httpcore included), in the
command output, or in any file in the data dir; the keyring is empty and NinjaOne has revoked
the session.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ninja_desk.cache.store import LocalCache
from ninja_desk.cli.auth_commands import (
    cmd_login,
    cmd_logout,
    cmd_webhook,
    register_auth_commands,
)
from ninja_desk.ninjaone.credentials import keyring_token_store, stored_client_secret
from ninja_desk.ninjaone.redaction import uninstall_redaction
from ninja_desk.ninjaone.session import open_api
from ninja_desk.paths import cache_file
from ninja_desk.settings import Settings
from ninja_desk.simulator import SimControl, SimulatorConfig, run_simulator_in_thread
from ninja_desk.sync.engine import SyncEngine
from tests.keyring_memory import MemoryKeyring, memory_keyring  # noqa: F401

RELAY = "https://relay.example.com/hooks/ninjaone"
# Made at run time, never literals: a traceback quoting this file's source must not look like
# a leak, and a real leak must still be found.
WEB_CLIENT = "desk-web-leakcheck"
WEB_SECRET = "web-" + secrets.token_urlsafe(16)
WEBHOOK_SECRET = "ndr_whs_" + secrets.token_urlsafe(20)


class ThreadBrowser:
    """A browser in its own thread (the CLI runs its own event loop on this one)."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.pages: list[httpx.Response] = []
        self._threads: list[threading.Thread] = []

    def open(self, url: str) -> bool:
        thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return True

    def _visit(self, url: str) -> None:
        with httpx.Client(timeout=10) as http:
            answer = http.get(url + "&decision=allow")
            location = answer.headers["location"]
            self.codes.append(httpx.URL(location).params["code"])
            self.pages.append(http.get(location))

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=10)


def parse(data_dir: Path, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register_auth_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    args.data_dir = str(data_dir)
    return args


@pytest.fixture
def sim() -> Iterator[object]:
    with run_simulator_in_thread(SimulatorConfig(orgs=2, devices=5, seed=1)) as running:
        yield running


@pytest.fixture(autouse=True)
def _restore_log_record_factory() -> Iterator[None]:
    yield
    uninstall_redaction()


def live_secrets(sim: object) -> set[str]:
    oauth = sim.state.oauth  # type: ignore[attr-defined]
    return set(oauth.access_tokens) | set(oauth.refresh_tokens)


def test_login_sync_webhook_logout_leaves_no_secret(
    sim: object,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = sim.base_url  # type: ignore[attr-defined]
    data = tmp_path / "data"
    monkeypatch.setenv("NINJA_DESK_DATA_DIR", str(data))
    monkeypatch.delenv("NINJA_DESK_CLIENT_SECRET", raising=False)
    caplog.set_level(logging.DEBUG)
    log_file = logging.FileHandler(tmp_path / "run.log")
    log_file.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(log_file)
    seen: set[str] = set()
    browser = ThreadBrowser()
    control = SimControl(base)
    control.register_client(
        WEB_CLIENT,
        secret=WEB_SECRET,
        platform="web",
        grants=["authorization_code", "refresh_token"],
        redirect_uris=["http://127.0.0.1/callback"],
    )
    try:
        # 1. Web app sign-in: the client secret is asked once and kept in the keyring.
        args = parse(data, "login", "--ninjaone-url", base, "--client-id", WEB_CLIENT, "--web-app")
        assert cmd_login(args, opener=browser.open, prompt=lambda _: WEB_SECRET) == 0
        browser.join()
        assert browser.pages[-1].status_code == 200
        seen |= live_secrets(sim)

        # 2. Sync into the cache (the stack the app builds), again after the server expired
        #    every access token: a refresh with rotation, persisted in the keyring.
        def full_sync() -> None:
            store = keyring_token_store(base, WEB_CLIENT)
            api = open_api(base, WEB_CLIENT, stored_client_secret(base, WEB_CLIENT), store=store)
            cache = LocalCache(cache_file(data))

            async def run() -> None:
                try:
                    await SyncEngine(api, cache).sync("full")
                finally:
                    await api.client.aclose()

            try:
                asyncio.run(run())
            finally:
                cache.close()

        full_sync()
        seen |= live_secrets(sim)
        control.expire_tokens()
        full_sync()
        seen |= live_secrets(sim)
        assert (data / "cache.sqlite3").exists()

        # 3. Webhook registration; the relay secret is asked once and kept in the keyring.
        args = parse(data, "webhook", "register", "--relay-url", RELAY)
        assert cmd_webhook(args, prompt=lambda _: WEBHOOK_SECRET) == 0
        assert control.webhook(WEB_CLIENT)["headers"][0]["value"] == WEBHOOK_SECRET
        assert Settings.load(data).webhook_registered
        seen |= live_secrets(sim)
        refreshed = control.stats()["requests"].get("POST /ws/oauth/token", 0)
        assert refreshed >= 3  # code exchange, first refresh (new process), after expiry

        # 4. Logout: webhook removed, token revoked, keyring emptied, cache kept.
        assert cmd_logout(parse(data, "logout")) == 0
        assert control.webhook(WEB_CLIENT) is None
        assert (data / "cache.sqlite3").exists()
        assert memory_keyring.entries == {}
        assert not [t for t in sim.state.oauth.refresh_tokens.values() if t.client_id == WEB_CLIENT]  # type: ignore[attr-defined]
        assert not Settings.load(data).webhook_registered

        # 5. logout --wipe deletes the cache file.
        assert cmd_logout(parse(data, "logout", "--wipe")) == 0
        assert not (data / "cache.sqlite3").exists()
    finally:
        logging.getLogger().removeHandler(log_file)
        log_file.close()
        control.close()

    secrets = seen | set(browser.codes) | {WEB_SECRET, WEBHOOK_SECRET}
    assert len(secrets) >= 6
    output = capsys.readouterr()
    haystacks = {
        "log records": caplog.text,
        "log file": (tmp_path / "run.log").read_text(),
        "stdout": output.out,
        "stderr": output.err,
    }
    for path in data.rglob("*"):
        if path.is_file():
            haystacks[str(path)] = path.read_bytes().decode("utf-8", "replace")
    assert "HTTP Request" in caplog.text  # httpx really logged at DEBUG/INFO
    assert "callback?code=***" in caplog.text  # the browser's request was scrubbed
    # A clean login/sync/logout prints no tracebacks (and a traceback could quote a secret).
    assert "Traceback" not in output.err, output.err[-3000:]
    leaks = {
        (name, s[:6], _context(text, s))
        for name, text in haystacks.items()
        for s in secrets
        if s in text
    }
    assert leaks == set()


def _context(text: str, secret: str) -> str:
    """Where a secret leaked, with the secret itself masked, so a failure can be diagnosed."""
    at = text.index(secret)
    return text[max(0, at - 160) : at + len(secret) + 80].replace(secret, "<SECRET>")
