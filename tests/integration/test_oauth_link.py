"""NinjaOneLink, the controller the settings page and the wizard use, against the simulator."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ninja_desk.cli.auth_commands import cmd_login, register_auth_commands
from ninja_desk.ninjaone.connection import ConnectionState, NinjaOneLink
from ninja_desk.ninjaone.credentials import REFRESH_TOKEN, WEBHOOK_SECRET, service_name
from ninja_desk.ninjaone.disconnect import disconnect
from ninja_desk.ninjaone.oauth_loopback import OAuthDenied
from ninja_desk.ninjaone.webhooks import WebhookError
from ninja_desk.settings import Settings
from ninja_desk.simulator import AsyncSimControl, RunningSimulator, SimulatorConfig, start_simulator
from tests.keyring_memory import MemoryKeyring, memory_keyring  # noqa: F401


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with start_simulator(SimulatorConfig(orgs=2, devices=5, seed=1)) as running:
        yield running


def browser(decision: str = "allow"):  # type: ignore[no-untyped-def]
    tasks: list[asyncio.Task[httpx.Response]] = []

    async def visit(url: str) -> httpx.Response:
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as http:
            return await http.get(url + "&decision=" + decision)

    def open_url(url: str) -> bool:
        tasks.append(asyncio.get_running_loop().create_task(visit(url)))
        return True

    return open_url


async def test_connect_resume_webhook_disconnect(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    settings = Settings(relay_url="https://relay.example.com/hooks/n1")
    link = NinjaOneLink(settings, data_dir=tmp_path, opener=browser())
    states: list[ConnectionState] = []
    link.status.add_listener(lambda s: states.append(s.state))
    try:
        tokens = await link.connect(sim.base_url, "desk-native")
        assert link.status.state is ConnectionState.CONNECTED
        assert link.status.snapshot.scopes == tokens.scopes
        assert states[0] is ConnectionState.CONNECTING and states[-1] is ConnectionState.CONNECTED
        assert link.client is not None
        assert await link.client.get("/organizations")
        assert link.status.snapshot.last_success is not None

        with pytest.raises(WebhookError, match="secret"):
            await link.register_webhook()
        link.store_webhook_secret("ndr_whs_link-test-secret")
        await link.register_webhook()
        settings.webhook_registered = True
        async with AsyncSimControl(sim.base_url) as control:
            assert (await control.webhook("desk-native"))["url"] == settings.relay_url
    finally:
        await link.aclose()

    # A restart: the stored session resumes without a browser.
    again = NinjaOneLink(settings, data_dir=tmp_path, opener=None)
    try:
        assert again.resume(sim.base_url, "desk-native")
        assert again.client is not None and await again.client.get("/organizations")
        report = await again.disconnect()
        assert report.clean and report.webhook_removed and report.token_revoked
        assert again.status.state is ConnectionState.DISCONNECTED
        assert memory_keyring.entries == {}
        assert not again.resume(sim.base_url, "desk-native")
    finally:
        await again.aclose()


async def test_denied_connect_is_an_error_state(
    sim: RunningSimulator,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    link = NinjaOneLink(Settings(), data_dir=tmp_path, opener=browser("deny"))
    try:
        with pytest.raises(OAuthDenied):
            await link.connect(sim.base_url, "desk-native")
        assert link.status.state is ConnectionState.ERROR
        assert "denied" in (link.status.snapshot.reason or "")
    finally:
        await link.aclose()


async def test_disconnect_offline_still_forgets_and_says_what_is_left(
    tmp_path: Path,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    from ninja_desk.ninjaone.credentials import KeyringSecrets

    base = "http://127.0.0.1:9"  # discard port: nothing listens
    secrets = KeyringSecrets(service_name(base, "desk-native"))
    secrets.set(REFRESH_TOKEN, "rt")
    secrets.set(WEBHOOK_SECRET, "ws")
    cache = tmp_path / "cache.sqlite3"
    cache.write_bytes(b"x")
    report = await disconnect(
        base_url=base, client_id="desk-native", secrets=secrets, wipe=True, cache_path=cache
    )
    assert not report.token_revoked and report.secrets_deleted and report.cache_deleted
    assert any("OAuth Tokens" in p for p in report.problems)
    assert secrets.get(REFRESH_TOKEN) is None
    assert not cache.exists()


def test_cli_login_without_a_secure_keyring_refuses_before_the_browser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring.core

    previous = keyring.core._keyring_backend
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.delenv("NINJA_DESK_REFRESH_TOKEN", raising=False)
    monkeypatch.delenv("NINJA_DESK_CLIENT_SECRET", raising=False)
    opened: list[str] = []
    parser = argparse.ArgumentParser()
    register_auth_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["login", "--ninjaone-url", "http://127.0.0.1:9", "--client-id", "desk-native"]
    )
    args.data_dir = str(tmp_path)
    try:
        assert cmd_login(args, opener=opened.append) == 2
    finally:
        keyring.core._keyring_backend = previous
    err = capsys.readouterr().err
    assert "No secure keyring" in err and "NINJA_DESK_REFRESH_TOKEN" in err
    assert "--encrypted-file" in err
    assert opened == []
    assert not (tmp_path / "settings.json").exists()


def test_cli_login_into_an_encrypted_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from ninja_desk.simulator import run_simulator_in_thread

    def open_url(url: str) -> bool:
        def visit() -> None:
            with httpx.Client(follow_redirects=True, timeout=10) as http:
                http.get(url + "&decision=allow")

        threading.Thread(target=visit, daemon=True).start()
        return True

    monkeypatch.setenv("NINJA_DESK_PASSPHRASE", "correct horse battery")
    secrets_file = tmp_path / "secrets.enc"
    parser = argparse.ArgumentParser()
    register_auth_commands(parser.add_subparsers(dest="command"))
    with run_simulator_in_thread(SimulatorConfig(orgs=1, devices=2, seed=1)) as running:
        args = parser.parse_args(
            [
                "login",
                "--ninjaone-url",
                running.base_url,
                "--client-id",
                "desk-native",
                "--no-control",
                "--encrypted-file",
                str(secrets_file),
            ]
        )
        args.data_dir = str(tmp_path)
        assert cmd_login(args, opener=open_url) == 0
        refresh = [t for t in running.state.oauth.refresh_tokens]
    out = capsys.readouterr().out
    assert "Connected to NinjaOne" in out and "control" not in out.split("Granted scopes:")[1]
    assert refresh and refresh[0].encode() not in secrets_file.read_bytes()
    assert Settings.load(tmp_path).client_id == "desk-native"
    from ninja_desk.ninjaone.credentials import EncryptedFileSecrets

    stored = EncryptedFileSecrets(
        secrets_file, "correct horse battery", service_name(running.base_url, "desk-native")
    ).get(REFRESH_TOKEN)
    assert stored == refresh[0]
