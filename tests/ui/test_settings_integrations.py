from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QMessageBox

from ninja_desk.ninjaone.connection import ConnectionStatus
from ninja_desk.ninjaone.disconnect import DisconnectReport
from ninja_desk.paths import config_file
from ninja_desk.psa.permissions import (
    ALL_PERMISSIONS,
    CONFIGURE_INTEGRATION,
    SYNC_DEVICES,
    denial_sentence,
)
from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.ninjaone_card import DISCONNECT_TEXT
from ninja_desk.ui.settings.ninjaone_link import NinjaOneLink
from ninja_desk.ui.settings.psa_card import PASSWORD_IN_URL
from ninja_desk.ui.settings.services import NO_NINJA, RELAY_TOKEN_KEY
from ninja_desk.ui.settings.settings_view import SettingsView
from tests.ui.alerts_tickets_sample_data import make_ctx


class FakeSecrets:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class FakeLink:
    """The NinjaOne link controller, synchronous for the test."""

    def __init__(self) -> None:
        self.status = ConnectionStatus()
        self.calls: list[tuple] = []

    def connect(self, base_url: str, client_id: str) -> None:
        self.calls.append(("connect", base_url, client_id))
        self.status.connected()

    def disconnect(self) -> DisconnectReport:
        self.calls.append(("disconnect",))
        self.status.disconnected()
        return DisconnectReport(webhook_removed=True, token_revoked=True, secrets_deleted=True)

    def register_webhook(self) -> None:
        self.calls.append(("register_webhook",))


@pytest.fixture
def ctx(tmp_path) -> Iterator[AppContext]:
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS)
    yield ctx
    ctx.cache.close()


def make_view(qtbot, ctx, secrets=None) -> SettingsView:
    if not hasattr(ctx, "ninjaone"):  # the real link, on fake secrets: never the real keyring
        ninja_secrets = FakeSecrets()
        ctx.ninjaone = NinjaOneLink(ctx, opener=None, secrets_for=lambda _b, _c: ninja_secrets)
    view = SettingsView(ctx, relay_secrets=secrets or FakeSecrets())
    qtbot.addWidget(view)
    return view


def test_round_trip_and_secrets_stay_out_of_the_file(qtbot, ctx, tmp_path):
    secrets = FakeSecrets()
    view = make_view(qtbot, ctx, secrets)
    page = view.integrations
    n1 = page.ninjaone
    n1.region_combo.setCurrentIndex(n1.region_combo.findData("eu"))
    n1.client_id_edit.setText("client-abc")
    n1.auto_sync_check.setChecked(False)
    n1.interval_spin.setValue(45)
    page.psa.url_edit.setText(f"sqlite:///{tmp_path / 'psa.sqlite3'}")
    page.psa.tenant_edit.setText("0b9f6f5e-4b7d-4d7b-9d87-1d1a4c1e0f00")
    page.relay.url_edit.setText("https://relay.example.com")
    page.relay.token_edit.setText("relay-token-s3cret")
    assert view.save(), view.message_label.text()
    # The keyring is written on a worker: "Saving…" until it answers.
    qtbot.waitUntil(lambda: view.message_label.text() == "Settings saved.", timeout=5000)

    on_disk = config_file(tmp_path).read_text()
    assert "relay-token-s3cret" not in on_disk
    assert secrets.values == {RELAY_TOKEN_KEY: "relay-token-s3cret"}
    assert page.relay.token_edit.text() == ""
    assert "keyring" in page.relay.token_edit.placeholderText()

    reloaded = Settings.load(tmp_path)
    assert (reloaded.region, reloaded.custom_base_url, reloaded.client_id) == (
        "eu",
        None,
        "client-abc",
    )
    assert (reloaded.auto_sync, reloaded.sync_interval_minutes) == (False, 45)
    assert reloaded.psa_url == f"sqlite:///{tmp_path / 'psa.sqlite3'}"
    assert reloaded.psa_tenant == "0b9f6f5e-4b7d-4d7b-9d87-1d1a4c1e0f00"
    assert reloaded.relay_url == "https://relay.example.com"

    # a fresh view over the reloaded settings shows the same values
    ctx.settings = reloaded
    view2 = make_view(qtbot, ctx, secrets)
    again = view2.integrations
    assert again.ninjaone.region_combo.currentData() == "eu"
    assert again.ninjaone.client_id_edit.text() == "client-abc"
    assert not again.ninjaone.auto_sync_check.isChecked()
    assert not again.ninjaone.interval_spin.isEnabled()
    assert again.ninjaone.interval_spin.value() == 45
    assert again.relay.url_edit.text() == "https://relay.example.com"
    qtbot.waitUntil(lambda: again.relay.badge.state == "Configured", timeout=5000)


def test_custom_url_round_trip_and_revert(qtbot, ctx, tmp_path):
    view = make_view(qtbot, ctx)
    n1 = view.integrations.ninjaone
    n1.region_combo.setCurrentIndex(n1.region_combo.findData("custom"))
    assert n1.custom_url_edit.isVisibleTo(view)
    n1.custom_url_edit.setText("not a url")
    assert not view.save()
    assert "not a web address" in view.message_label.text()
    n1.custom_url_edit.setText("http://127.0.0.1:8765")
    assert view.save()
    assert Settings.load(tmp_path).custom_base_url == "http://127.0.0.1:8765"
    n1.client_id_edit.setText("unsaved")
    settings_object = ctx.settings
    view.revert()
    assert ctx.settings is settings_object  # others hold this object
    assert n1.client_id_edit.text() == ""
    assert n1.custom_url_edit.text() == "http://127.0.0.1:8765"


def test_password_in_psa_url_is_refused(qtbot, ctx, tmp_path):
    view = make_view(qtbot, ctx)
    view.integrations.psa.url_edit.setText("postgresql://tech:hunter2@db.example.com/psa")
    assert not view.integrations.psa.migrate_button.isEnabled()
    assert not view.save()
    assert view.message_label.text() == PASSWORD_IN_URL
    assert not config_file(tmp_path).exists()


def test_a_fresh_install_without_a_psa_may_set_up_its_own_connection(qtbot, tmp_path):
    ctx = make_ctx(tmp_path)  # no PSA, so no rights at all
    view = make_view(qtbot, ctx)
    assert not view.integrations.note.isVisibleTo(view)
    assert view.integrations.ninjaone.client_id_edit.isEnabled()
    assert view.integrations.relay.url_edit.isEnabled()
    view.show_page("alert_rules")  # PSA-side configuration still needs the PSA
    assert "PSA database not configured" in view.alert_rules.note.text()
    ctx.cache.close()


def test_read_only_without_configure_rights(qtbot, tmp_path):
    # A PSA is configured and the signed-in user is a technician.
    ctx = make_ctx(tmp_path, permissions=frozenset({SYNC_DEVICES}), psa=object())
    view = make_view(qtbot, ctx)
    page = view.integrations
    assert page.note.isVisibleTo(view)
    assert denial_sentence(CONFIGURE_INTEGRATION) in page.note.text()  # names Alga's right
    assert "settings:update" in page.note.text()
    assert "relay" in page.note.text()
    for widget in (
        page.ninjaone.region_combo,
        page.ninjaone.client_id_edit,
        page.psa.url_edit,
        page.psa.tenant_edit,
        page.relay.url_edit,
        page.relay.token_edit,
        page.ninjaone.connect_button,
        page.psa.migrate_button,
    ):
        assert not widget.isEnabled(), widget
    assert denial_sentence(CONFIGURE_INTEGRATION) in page.ninjaone.connect_button.toolTip()
    # the sync schedule is this desktop's own preference
    assert page.ninjaone.interval_spin.isEnabled()
    page.ninjaone.interval_spin.setValue(5)
    page.ninjaone.client_id_edit.setText("sneaky")  # disabled in the UI; must not be saved
    assert view.save()
    saved = Settings.load(tmp_path)
    assert saved.sync_interval_minutes == 5 and saved.client_id is None

    # the PSA pages say why they are read-only, too
    assert view.org_mapping.note.isVisibleTo(view) is False  # not the current page
    view.show_page("org_mapping")
    assert view.org_mapping.note.isVisibleTo(view)
    assert "PSA database not configured" in view.org_mapping.note.text()  # not a real PSA
    assert not view.save_bar.isVisibleTo(view)
    ctx.cache.close()


def test_status_badge_follows_the_connection(qtbot, ctx):
    link = ctx.ninjaone = FakeLink()
    view = make_view(qtbot, ctx)
    card = view.integrations.ninjaone
    assert card.badge.state == "Disconnected"
    for change, expected in (
        (lambda s: s.connected(), "Connected"),
        (lambda s: s.syncing(), "Syncing"),
        (lambda s: s.reconnect_required("The refresh token was revoked."), "Expired"),
        (lambda s: s.disconnected(), "Disconnected"),
        (lambda s: s.error("NinjaOne answered 500."), "Error"),
    ):
        change(link.status)
        qtbot.waitUntil(lambda expected=expected: card.badge.state == expected)
    assert card.status_detail.text() == "NinjaOne answered 500."


def test_connect_and_disconnect_with_confirmation(qtbot, ctx, tmp_path):
    link = ctx.ninjaone = FakeLink()
    view = make_view(qtbot, ctx)
    card = view.integrations.ninjaone
    assert "Client ID" in card.connect_button.toolTip()
    card.region_combo.setCurrentIndex(card.region_combo.findData("oc"))
    card.client_id_edit.setText("cid")
    card.update_state()
    assert card.connect_button.isEnabled()
    card.connect_button.click()
    qtbot.waitUntil(lambda: card.badge.state == "Connected")
    assert link.calls == [("connect", "https://oc.ninjarmm.com", "cid")]
    assert Settings.load(tmp_path).region == "oc"  # connecting saves what it connected with

    ctx.settings.webhook_registered = True
    card.disconnect_button.click()
    box = card.confirm_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == DISCONNECT_TEXT
    assert "Kept: the local cache" in box.text() and "Removed: the NinjaOne sign-in" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert link.calls[-1][0] == "connect"

    card.disconnect_button.click()
    accept = next(
        b
        for b in card.confirm_box.buttons()
        if card.confirm_box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole
    )
    accept.click()
    qtbot.waitUntil(lambda: card.badge.state == "Disconnected")
    assert link.calls[-1] == ("disconnect",)
    qtbot.waitUntil(lambda: "kept" in card.reason_label.text())
    assert Settings.load(tmp_path).webhook_registered is False


def test_reregister_webhook(qtbot, ctx, tmp_path):
    link = ctx.ninjaone = FakeLink()
    view = make_view(qtbot, ctx)
    card = view.integrations.ninjaone
    assert card.reregister_button.toolTip() == NO_NINJA
    link.status.connected()
    qtbot.waitUntil(lambda: card.badge.state == "Connected")
    assert "relay URL" in card.reregister_button.toolTip()
    ctx.settings.relay_url = "https://relay.example.com"
    card.update_state()
    card.reregister_button.click()
    qtbot.waitUntil(lambda: card.reason_label.text() == "Webhook registered.")
    assert link.calls == [("register_webhook",)]
    assert "Registered, delivering to https://relay.example.com" in card.webhook_label.text()
    assert Settings.load(tmp_path).webhook_registered is True


def test_psa_test_connection_and_migrate_off_the_ui_thread(qtbot, ctx, tmp_path):
    view = make_view(qtbot, ctx)
    psa = view.integrations.psa
    psa.url_edit.setText(f"sqlite:///{tmp_path / 'psa.sqlite3'}")
    psa.test_button.click()
    qtbot.waitUntil(lambda: psa.last_check is not None, timeout=10000)
    assert psa.last_check.needs_migration
    assert psa.badge.state == "Needs migration"
    psa.migrate_button.click()
    qtbot.waitUntil(lambda: psa.result_label.text().startswith("Migrated"), timeout=30000)
    assert psa.badge.state == "Reachable"
    psa.test_button.click()
    qtbot.waitUntil(
        lambda: psa.result_label.text() == "Connected; the schema is up to date.", timeout=10000
    )
    assert psa.badge.state == "Reachable"


def test_psa_unreachable_reads_as_a_sentence(qtbot, ctx, tmp_path):
    view = make_view(qtbot, ctx)
    psa = view.integrations.psa
    psa.url_edit.setText(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'psa.sqlite3'}")
    psa.test_button.click()
    qtbot.waitUntil(lambda: psa.badge.state == "Error", timeout=10000)
    assert psa.result_label.text().startswith("Could not connect:")
