"""The desktop keeps NinjaOne's webhook pointed at its relay by itself (issue 13).

After Connect and after the relay settings are saved, `ensure_webhook` runs on the qasync loop
(never the UI thread): it PUTs only when NinjaOne holds something else, saves the settings when
it did, and what came of it is a notice, not a failure. "Re-register webhook" goes through the
same function (forced), so the automatic check after it has nothing left to do.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from ninja_desk.ninjaone.connection import ConnectionStatus
from ninja_desk.ninjaone.connection import NinjaOneLink as SharedLink
from ninja_desk.ninjaone.credentials import WEBHOOK_SECRET
from ninja_desk.ninjaone.errors import NinjaOneForbidden
from ninja_desk.ninjaone.webhooks import (
    NOT_ADMIN_MESSAGE,
    SECRET_HEADER,
    STATE_FILE,
    WebhookError,
    ensure_webhook,
)
from ninja_desk.psa.permissions import ALL_PERMISSIONS
from ninja_desk.settings import Settings
from ninja_desk.ui.app import apply_new_settings, build_main_window
from ninja_desk.ui.settings.ninjaone_link import NinjaOneLink
from ninja_desk.ui.settings.settings_view import SettingsView
from tests.ui.alerts_tickets_sample_data import make_ctx
from tests.ui.qasync_runs import run_on_qasync, until

# Qt's own warnings fail these tests too (the offscreen plugin's size-hint note is no finding).
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

BASE_URL = "https://eu.ninjarmm.com"
RELAY = "https://relay.example.com"


class RecordingClient:
    """The NinjaOne client as ensure_webhook uses it; remembers the thread of every call."""

    base_url = BASE_URL

    def __init__(self, refuse: bool = False) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.threads: list[threading.Thread] = []
        self.refuse = refuse

    async def request(self, method: str, path: str, json: Any = None) -> None:
        self.threads.append(threading.current_thread())
        if self.refuse:
            raise NinjaOneForbidden("NinjaOne refused: not a system administrator.", status=403)
        self.requests.append((method, path, json))

    async def aclose(self) -> None:
        pass


class Secrets:
    def __init__(self, **values: str) -> None:
        self.values = dict(values)
        self.threads: list[threading.Thread] = []

    def get(self, key: str) -> str | None:
        self.threads.append(threading.current_thread())
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class FakeSync:
    def __init__(self, client: RecordingClient) -> None:
        self.api = type("Api", (), {"client": client})()
        self.running = False


class SignInLink:
    """A link whose browser sign-in succeeds at once and leaves a session client behind."""

    def __init__(self, client: RecordingClient) -> None:
        self.status = ConnectionStatus()
        self.client: RecordingClient | None = None
        self._session = client

    async def connect(self, base_url: str, client_id: str) -> None:
        await asyncio.sleep(0)
        self.client = self._session
        self.status.connecting(base_url, client_id)
        self.status.connected()


@pytest.fixture
def ctx(tmp_path):  # type: ignore[no-untyped-def]
    ctx = make_ctx(tmp_path, filled=False, permissions=ALL_PERMISSIONS)
    yield ctx
    ctx.cache.close()


def test_connect_registers_the_webhook_with_a_relay_configured(qtbot, ctx, tmp_path) -> None:
    client = RecordingClient()
    ctx.ninjaone = SignInLink(client)
    ctx.settings.relay_url = RELAY
    ctx.settings.relay_endpoint = "acme"
    secrets = Secrets(**{WEBHOOK_SECRET: "ndr_whs_connect"})
    ctx.ninjaone.current = lambda: (BASE_URL, "cid")
    ctx.ninjaone.secrets_for = lambda _b, _c: secrets
    view = SettingsView(ctx, relay_secrets=Secrets())
    qtbot.addWidget(view)
    card = view.integrations.ninjaone
    card.region_combo.setCurrentIndex(card.region_combo.findData("eu"))
    card.client_id_edit.setText("cid")

    async def connect_and_wait() -> None:
        card.connect_button.click()
        await until(lambda: "webhooks to" in card.reason_label.text())

    run_on_qasync(connect_and_wait)
    assert client.requests == [("PUT", "/webhook", client.requests[0][2])]
    body = client.requests[0][2]
    assert body["url"] == f"{RELAY}/hooks/acme"
    assert {"name": SECRET_HEADER, "value": "ndr_whs_connect"} in body["headers"]
    assert card.reason_label.text() == (
        f"Connected. NinjaOne will send its webhooks to {RELAY}/hooks/acme."
    )
    assert card.webhook_label.text() == f"Registered, delivering to {RELAY}/hooks/acme"
    assert Settings.load(tmp_path).webhook_registered is True
    # Neither the keyring nor the settings file was touched on the UI thread.
    assert secrets.threads and threading.main_thread() not in secrets.threads


def test_connect_without_admin_rights_is_a_notice_not_a_failed_sign_in(qtbot, ctx, tmp_path):
    ctx.ninjaone = SignInLink(RecordingClient(refuse=True))
    ctx.settings.relay_url = RELAY
    ctx.ninjaone.current = lambda: (BASE_URL, "cid")
    ctx.ninjaone.secrets_for = lambda _b, _c: Secrets(**{WEBHOOK_SECRET: "s"})
    view = SettingsView(ctx, relay_secrets=Secrets())
    qtbot.addWidget(view)
    card = view.integrations.ninjaone
    card.client_id_edit.setText("cid")

    async def connect_and_wait() -> None:
        card.connect_button.click()
        await until(lambda: NOT_ADMIN_MESSAGE in card.reason_label.text())

    run_on_qasync(connect_and_wait)
    assert card.reason_label.text() == f"Connected. {NOT_ADMIN_MESSAGE}"
    assert card.badge.state == "Connected"
    assert Settings.load(tmp_path).webhook_registered is False
    assert "Not registered" in card.webhook_label.text()


def test_saving_a_new_relay_url_and_secret_registers_the_webhook(qtbot, ctx, tmp_path):
    """Settings -> Save -> the window's settings_changed -> apply_new_settings (as run_app
    wires it): the new relay gets the webhook, the banner says so, the card follows."""
    client = RecordingClient()
    ctx.sync = FakeSync(client)
    ctx.settings.region, ctx.settings.client_id = "eu", "cid"
    ninja_secrets = Secrets()
    ctx.ninjaone = NinjaOneLink(ctx, opener=None, secrets_for=lambda _b, _c: ninja_secrets)
    window = build_main_window(ctx)
    qtbot.addWidget(window)
    window._quitting = True
    window.show()
    view = window.show_view("settings")
    relay = view.integrations.relay
    loop = qasync.QEventLoop(QApplication.instance(), already_running=False)
    window.settings_changed.connect(lambda: apply_new_settings(ctx, window, loop))

    async def save_and_wait() -> None:
        relay.url_edit.setText(RELAY)
        view.save_button.click()
        # A relay URL without its endpoint secret: a notice says what is missing, no PUT.
        await until(lambda: "endpoint's secret" in window.banner.label.text())
        assert client.requests == []
        window.banner.hide()
        relay.endpoint_edit.setText("ndr_whs_saved")
        view.save_button.click()
        await until(lambda: "webhooks to" in window.banner.label.text())

    try:
        loop.run_until_complete(save_and_wait())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert [(m, p) for m, p, _b in client.requests] == [("PUT", "/webhook")]
    assert client.requests[0][2]["url"] == f"{RELAY}/hooks/ninjaone"
    hook = f"{RELAY}/hooks/ninjaone"
    assert window.banner.label.text() == f"NinjaOne will send its webhooks to {hook}."
    assert Settings.load(tmp_path).webhook_registered is True
    card = view.integrations.ninjaone
    assert card.webhook_label.text() == f"Registered, delivering to {RELAY}/hooks/ninjaone"
    # The relay card reads the keyring for its placeholder itself; the check read it on a worker.
    assert any(t is not threading.main_thread() for t in ninja_secrets.threads)


def test_saving_unrelated_settings_puts_nothing(qtbot, ctx, tmp_path):
    client = RecordingClient()
    ctx.sync = FakeSync(client)
    ctx.settings.region, ctx.settings.client_id, ctx.settings.relay_url = "eu", "cid", RELAY
    secrets = Secrets(**{WEBHOOK_SECRET: "s"})
    ctx.ninjaone = NinjaOneLink(ctx, opener=None, secrets_for=lambda _b, _c: secrets)
    window = build_main_window(ctx)
    qtbot.addWidget(window)
    window._quitting = True
    loop = qasync.QEventLoop(QApplication.instance(), already_running=False)

    async def twice() -> None:
        apply_new_settings(ctx, window, loop)
        await until(lambda: len(client.requests) == 1)
        await until(lambda: Settings.load(tmp_path).webhook_registered)
        apply_new_settings(ctx, window, loop)  # e.g. the schedule changed
        await asyncio.sleep(0.3)

    try:
        loop.run_until_complete(twice())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert len(client.requests) == 1


def test_reregister_goes_through_ensure_webhook(tmp_path) -> None:
    """The shared link's Re-register is ensure_webhook forced: it records what it registered,
    so the automatic check afterwards finds nothing to change (one implementation)."""
    settings = Settings(relay_url=RELAY)
    client = RecordingClient()
    link = SharedLink(settings, data_dir=tmp_path, opener=None)
    secrets = Secrets(**{WEBHOOK_SECRET: "s3cret"})

    async def run() -> tuple[Any, Any]:
        try:
            done = await link.register_webhook(client=client, secrets=secrets)
            again = await ensure_webhook(client, settings, secrets, data_dir=tmp_path)
            return done, again
        finally:
            await link.aclose()

    done, again = asyncio.run(run())
    assert done.changed and settings.webhook_registered
    assert (tmp_path / STATE_FILE).exists()
    assert again.outcome == "unchanged"
    assert len(client.requests) == 1

    async def without_secret() -> None:
        other = SharedLink(settings, data_dir=tmp_path, opener=None)
        try:
            await other.register_webhook(client=client, secrets=Secrets())
        finally:
            await other.aclose()

    with pytest.raises(WebhookError, match="secret"):
        asyncio.run(without_secret())
