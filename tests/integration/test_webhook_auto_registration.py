"""NinjaDesk registers its own webhook after sign-in and repairs it when the relay changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.oauth_loopback import login_client_credentials
from ninja_desk.ninjaone.tokens import MemoryTokenStore, OAuthTokenProvider
from ninja_desk.ninjaone.webhooks import (
    DEFAULT_ACTIVITIES,
    SECRET_HEADER,
    WebhookNotAllowed,
    ensure_webhook,
    forget_webhook_state,
)
from ninja_desk.simulator import AsyncSimControl, RunningSimulator, SimulatorConfig, start_simulator

PUT = "PUT /v2/webhook"


@dataclass
class FakeSettings:
    relay_url: str | None = "https://relay.example.com"
    relay_endpoint: str = "ninjaone"
    webhook_registered: bool = False


class DictSecrets(dict):
    pass


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with start_simulator(SimulatorConfig(orgs=2, devices=5, seed=1)) as running:
        yield running


@pytest.fixture
async def client(sim: RunningSimulator) -> AsyncIterator[NinjaOneClient]:
    tokens = await login_client_credentials(sim.base_url, "demo-client", "demo-secret")
    provider = OAuthTokenProvider(
        sim.base_url, "demo-client", "demo-secret", store=MemoryTokenStore(tokens)
    )
    async with NinjaOneClient(sim.base_url, provider) as running:
        yield running


async def test_registers_once_then_repairs_when_the_relay_changes(
    sim: RunningSimulator, client: NinjaOneClient, tmp_path: Path
) -> None:
    settings = FakeSettings()
    secrets = DictSecrets(webhook_secret="s3cret")
    async with AsyncSimControl(sim.base_url) as control:
        done = await ensure_webhook(client, settings, secrets, data_dir=tmp_path, environ={})
        assert done.outcome == "registered" and settings.webhook_registered
        config = await control.webhook("demo-client")
        assert config["url"] == "https://relay.example.com/hooks/ninjaone"
        assert {"name": SECRET_HEADER, "value": "s3cret"} in config["headers"]
        # Every activity type NinjaDesk acts on, with the codes it needs.
        assert set(config["activities"]) == set(DEFAULT_ACTIVITIES)
        assert {"CONDITION", "SYSTEM", "PATCH_MANAGEMENT", "ANTIVIRUS"} <= set(config["activities"])
        assert "s3cret" not in (tmp_path / "webhook-registration.json").read_text()

        # Start-up of the next session: nothing changed, nothing sent.
        again = await ensure_webhook(client, settings, secrets, data_dir=tmp_path, environ={})
        assert again.outcome == "unchanged" and client.calls[PUT] == 1

        # The relay moved: the webhook follows.
        settings.relay_url = "https://relay2.example.com/hooks/acme"
        moved = await ensure_webhook(client, settings, secrets, data_dir=tmp_path, environ={})
        assert moved.changed and client.calls[PUT] == 2
        assert (await control.webhook("demo-client"))["url"] == (
            "https://relay2.example.com/hooks/acme"
        )
        # A new endpoint secret, or a webhook removed meanwhile (logout), also re-registers.
        secrets["webhook_secret"] = "rotated"
        assert (await ensure_webhook(client, settings, secrets, data_dir=tmp_path,
                                     environ={})).changed  # fmt: skip
        forget_webhook_state(tmp_path)
        settings.webhook_registered = False
        assert (await ensure_webhook(client, settings, secrets, data_dir=tmp_path,
                                     environ={})).changed  # fmt: skip
        assert client.calls[PUT] == 4


async def test_without_relay_or_secret_nothing_is_sent(
    client: NinjaOneClient, tmp_path: Path
) -> None:
    no_relay = FakeSettings(relay_url=None)
    done = await ensure_webhook(client, no_relay, DictSecrets(), data_dir=tmp_path, environ={})
    assert done.outcome == "no_relay" and not no_relay.webhook_registered
    done = await ensure_webhook(client, FakeSettings(), DictSecrets(), data_dir=tmp_path,
                                environ={})  # fmt: skip
    assert done.outcome == "no_secret" and "ninja-desk-relay endpoint add" in done.message
    assert client.calls[PUT] == 0


async def test_a_non_admin_sign_in_gets_a_sentence(
    sim: RunningSimulator, client: NinjaOneClient, tmp_path: Path
) -> None:
    async with AsyncSimControl(sim.base_url) as control:
        await control.configure_webhook(admin=False)
    settings = FakeSettings()
    with pytest.raises(WebhookNotAllowed, match="system administrator"):
        await ensure_webhook(client, settings, DictSecrets(webhook_secret="s"),
                             data_dir=tmp_path, environ={})  # fmt: skip
    assert not settings.webhook_registered


def test_cli_login_registers_the_webhook_when_a_relay_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ninja_desk.cli.main import main
    from ninja_desk.settings import Settings
    from ninja_desk.simulator import SimControl, run_simulator_in_thread

    monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "demo-secret")
    monkeypatch.setenv("NINJA_DESK_WEBHOOK_SECRET", "relay-secret")
    monkeypatch.setenv("NINJA_DESK_DATA_DIR", str(tmp_path))
    settings = Settings()
    settings.relay_url = "https://relay.example.com"
    settings.save(tmp_path)
    with run_simulator_in_thread(SimulatorConfig(orgs=1, devices=3, seed=1)) as running:
        argv = ["--data-dir", str(tmp_path), "login", "--client-credentials", "--ninjaone-url",
                running.base_url, "--client-id", "demo-client"]  # fmt: skip
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "NinjaOne will send its webhooks to https://relay.example.com/hooks/ninjaone" in out
        with SimControl(running.base_url) as control:  # closed: no leaked socket
            hook = control.webhook("demo-client")
        assert hook["url"] == "https://relay.example.com/hooks/ninjaone"
    assert Settings.load(tmp_path).webhook_registered
