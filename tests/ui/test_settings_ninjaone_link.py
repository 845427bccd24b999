"""The default NinjaOne link behind the Settings card (no Qt needed: plain asyncio)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from ninja_desk.ninjaone.connection import ConnectionState
from ninja_desk.ninjaone.credentials import (
    REFRESH_TOKEN,
    WEBHOOK_SECRET,
    CredentialsError,
    NoSecureKeyring,
)
from ninja_desk.ninjaone.webhooks import SECRET_HEADER
from ninja_desk.settings import Settings
from ninja_desk.ui.settings.ninjaone_link import NO_ENDPOINT_SECRET, NinjaOneLink, ensure_link
from tests.ui.alerts_tickets_sample_data import make_ctx
from tests.ui.test_settings_integrations import FakeSecrets


class FakeClient:
    base_url = "https://eu.ninjarmm.com"

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, object]] = []
        self.closed = False

    async def request(self, method: str, path: str, json: object = None) -> None:
        self.requests.append((method, path, json))

    async def aclose(self) -> None:
        self.closed = True


class FakeSync:
    def __init__(self) -> None:
        self.api = type("Api", (), {})()
        self.api.client = FakeClient()
        self.running = False


@pytest.fixture
def linked(tmp_path):
    ctx = make_ctx(tmp_path, filled=False, sync=FakeSync())
    ctx.settings.region, ctx.settings.client_id = "eu", "cid"
    ctx.settings.relay_url = "https://relay.example.com"
    secrets = FakeSecrets()
    link = NinjaOneLink(ctx, opener=None, secrets_for=lambda _b, _c: secrets)
    yield ctx, link, secrets
    ctx.cache.close()


def test_starts_connected_when_the_app_has_a_session(linked):
    _ctx, link, _secrets = linked
    assert link.status.state is ConnectionState.CONNECTED
    assert link.status.snapshot.base_url == "https://eu.ninjarmm.com"


def test_register_webhook_needs_the_endpoint_secret_then_puts_it(linked, tmp_path):
    ctx, link, _secrets = linked
    with pytest.raises(CredentialsError, match="endpoint secret"):
        asyncio.run(link.register_webhook())
    assert NO_ENDPOINT_SECRET.startswith("Enter the relay endpoint secret")
    link.store_endpoint_secret("s3cret")
    assert link.has_endpoint_secret()
    asyncio.run(link.register_webhook())
    method, path, body = ctx.sync.api.client.requests[-1]
    assert (method, path) == ("PUT", "/webhook")
    assert body["url"] == "https://relay.example.com/hooks/ninjaone"
    assert body["headers"] == [{"name": SECRET_HEADER, "value": "s3cret"}]
    assert Settings.load(tmp_path).webhook_registered is True
    assert "s3cret" not in (tmp_path / "settings.json").read_text()


def test_disconnect_keeps_the_cache_and_removes_sign_in_and_webhook(linked, tmp_path):
    ctx, link, secrets = linked
    secrets.values.update({REFRESH_TOKEN: "rt", WEBHOOK_SECRET: "s3cret"})
    ctx.settings.webhook_registered = True
    client = ctx.sync.api.client
    with respx.mock(assert_all_called=True) as mock:
        revoke = mock.post("https://eu.ninjarmm.com/ws/oauth/revoke").mock(
            return_value=httpx.Response(200)
        )
        report = asyncio.run(link.disconnect())
    assert revoke.called and b"token=rt" in revoke.calls[0].request.content
    assert ("DELETE", "/webhook", None) in client.requests
    assert report.clean, report.problems
    assert report.webhook_removed and report.token_revoked and report.secrets_deleted
    assert not report.cache_deleted and ctx.cache.path.exists()
    assert secrets.values == {}
    assert client.closed and ctx.sync is None
    assert link.status.state is ConnectionState.DISCONNECTED
    assert Settings.load(tmp_path).webhook_registered is False


def test_connect_without_a_secure_keyring_says_so(linked):
    ctx, _link, _secrets = linked

    def no_keyring(_b: str, _c: str):
        raise NoSecureKeyring("keyring.backends.fail.Keyring")

    link = NinjaOneLink(ctx, opener=None, secrets_for=no_keyring)
    with pytest.raises(NoSecureKeyring):
        asyncio.run(link.connect("https://eu.ninjarmm.com", "cid"))
    assert link.status.state is ConnectionState.ERROR
    assert "keyring" in (link.status.snapshot.reason or "").lower()


def test_ensure_link_respects_what_the_app_installed(tmp_path):
    ctx = make_ctx(tmp_path, filled=False)
    assert isinstance(ensure_link(ctx), NinjaOneLink)
    ctx.ninjaone = "the shell's own"
    assert ensure_link(ctx) == "the shell's own"
    ctx.cache.close()


def test_disconnect_stops_the_scheduled_jobs_first(linked):
    ctx, link, secrets = linked
    secrets.values.update({REFRESH_TOKEN: "rt"})
    events: list[str] = []

    class Background:
        def __init__(self) -> None:
            self.task = None
            self.on_relay_state = lambda state: events.append(f"relay {state}")

        def stop(self) -> None:
            events.append("stopped")

    async def run() -> None:
        background = Background()

        async def jobs() -> None:
            await asyncio.sleep(3600)  # a scheduler waiting for its next run

        background.task = asyncio.ensure_future(jobs())
        ctx.background, ctx.alerts = background, object()
        with respx.mock() as mock:
            mock.post("https://eu.ninjarmm.com/ws/oauth/revoke").mock(
                return_value=httpx.Response(200)
            )
            await link.disconnect()
        assert background.task.cancelled()

    asyncio.run(run())
    assert events == ["stopped", "relay off (disconnected)"]
    assert ctx.background is None and ctx.alerts is None and ctx.sync is None
