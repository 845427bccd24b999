"""Webhook registration against the simulator with a signed-in desk-web session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.oauth_loopback import login_client_credentials
from ninja_desk.ninjaone.tokens import MemoryTokenStore, OAuthTokenProvider
from ninja_desk.ninjaone.webhooks import (
    SECRET_HEADER,
    WebhookNotAllowed,
    WebhookPsaConflict,
    build_webhook_config,
    register_webhook,
    unregister_webhook,
)
from ninja_desk.simulator import AsyncSimControl, RunningSimulator, SimulatorConfig, start_simulator

RELAY = "https://relay.example.com/hooks/ninjaone"


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with start_simulator(SimulatorConfig(orgs=2, devices=5, seed=1)) as running:
        yield running


async def test_register_reregister_remove(sim: RunningSimulator) -> None:
    tokens = await login_client_credentials(sim.base_url, "demo-client", "demo-secret")
    provider = OAuthTokenProvider(
        sim.base_url, "demo-client", "demo-secret", store=MemoryTokenStore(tokens)
    )
    async with (
        NinjaOneClient(sim.base_url, provider) as client,
        AsyncSimControl(sim.base_url) as control,
    ):
        await register_webhook(client, build_webhook_config(RELAY, "first"))
        await register_webhook(client, build_webhook_config(RELAY, "second"))  # replaces
        config = await control.webhook("demo-client")
        assert config["url"] == RELAY
        assert config["headers"] == [{"name": SECRET_HEADER, "value": "second"}]
        assert "CONDITION" in config["activities"]

        await control.configure_webhook(psa_conflict=True)
        with pytest.raises(WebhookPsaConflict):
            await unregister_webhook(client)
        await control.configure_webhook(psa_conflict=False)
        await unregister_webhook(client)
        assert await control.webhook("demo-client") is None

        await control.configure_webhook(admin=False)
        with pytest.raises(WebhookNotAllowed, match="system administrators"):
            await register_webhook(client, build_webhook_config(RELAY, "third"))
