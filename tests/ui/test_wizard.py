from __future__ import annotations

from PySide6.QtWidgets import QWizard

from ninja_desk.ninjaone.credentials import WEBHOOK_SECRET
from ninja_desk.paths import config_file
from ninja_desk.psa.permissions import ALL_PERMISSIONS
from ninja_desk.settings import Settings
from ninja_desk.ui.settings.ninjaone_link import NinjaOneLink
from ninja_desk.ui.settings.psa_card import PASSWORD_IN_URL
from ninja_desk.ui.settings.services import RELAY_TOKEN_KEY
from ninja_desk.ui.wizard.first_run import FirstRunWizard
from tests.ui.alerts_tickets_sample_data import make_ctx
from tests.ui.test_settings_integrations import FakeSecrets


def test_skip_sets_first_run_done_and_asks_nothing_more(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, filled=False)
    ctx.ninjaone = None  # no link: nothing here may reach the keyring
    wizard = FirstRunWizard(ctx, relay_secrets=FakeSecrets())
    qtbot.addWidget(wizard)
    wizard.open()
    with qtbot.waitSignal(wizard.setup_done):
        wizard.button(QWizard.WizardButton.CustomButton1).click()
    assert not wizard.isVisible()
    saved = Settings.load(tmp_path)
    assert saved.first_run_done is True
    assert saved.region == "app" and saved.psa_url is None
    ctx.cache.close()


def test_escape_counts_as_skip(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, filled=False)
    ctx.ninjaone = None  # no link: nothing here may reach the keyring
    wizard = FirstRunWizard(ctx, relay_secrets=FakeSecrets())
    qtbot.addWidget(wizard)
    wizard.open()
    wizard.reject()
    assert Settings.load(tmp_path).first_run_done is True
    ctx.cache.close()


def test_every_step_then_finish(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS)
    ninja_secrets = FakeSecrets()
    ctx.ninjaone = NinjaOneLink(ctx, opener=None, secrets_for=lambda _b, _c: ninja_secrets)
    secrets = FakeSecrets()
    wizard = FirstRunWizard(ctx, relay_secrets=secrets)
    qtbot.addWidget(wizard)
    wizard.open()

    region = wizard.region_page
    assert wizard.currentPage() is region
    region.region_combo.setCurrentIndex(region.region_combo.findData("custom"))
    assert region.custom_url_edit.isVisibleTo(wizard)
    region.custom_url_edit.setText("http://127.0.0.1:8765")
    region.client_id_edit.setText("demo-client")
    wizard.next()

    connect = wizard.connect_page
    assert wizard.currentPage() is connect
    assert not connect.card.region_combo.isVisibleTo(wizard)  # asked on the previous page
    assert isinstance(ctx.ninjaone, NinjaOneLink)
    assert connect.card.connect_button.isEnabled()  # region and client ID from page one
    assert connect.card.base_url() == "http://127.0.0.1:8765"
    wizard.next()

    psa = wizard.psa_page
    psa.card.url_edit.setText("postgresql://tech:pw@db/psa")
    wizard.next()
    assert wizard.currentPage() is psa  # refused: the password would land in the file
    assert psa.card.result_label.text() == PASSWORD_IN_URL
    psa.card.url_edit.setText(f"sqlite:///{tmp_path / 'psa.sqlite3'}")
    wizard.next()

    relay = wizard.relay_page
    assert wizard.currentPage() is relay
    relay.card.url_edit.setText("https://relay.example.com")
    relay.card.token_edit.setText("tok-123")
    relay.card.endpoint_edit.setText("endpoint-s3cret")
    wizard.next()

    mapping = wizard.mapping_page
    assert wizard.currentPage() is mapping
    assert mapping.page.model.rowCount() == 3  # the cached organizations
    assert "PSA database not configured" in mapping.page.note.text()
    with qtbot.waitSignal(wizard.setup_done):
        wizard.button(QWizard.WizardButton.FinishButton).click()

    saved = Settings.load(tmp_path)
    assert saved.first_run_done is True
    assert saved.custom_base_url == "http://127.0.0.1:8765"
    assert saved.client_id == "demo-client"
    assert saved.psa_url == f"sqlite:///{tmp_path / 'psa.sqlite3'}"
    assert saved.relay_url == "https://relay.example.com"
    assert secrets.values == {RELAY_TOKEN_KEY: "tok-123"}
    assert ninja_secrets.values == {WEBHOOK_SECRET: "endpoint-s3cret"}
    on_disk = config_file(tmp_path).read_text()
    assert "tok-123" not in on_disk and "endpoint-s3cret" not in on_disk
    ctx.cache.close()


def _region_wizard(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, filled=False)
    ctx.ninjaone = None  # no link: nothing here may reach the keyring
    wizard = FirstRunWizard(ctx, relay_secrets=FakeSecrets())
    qtbot.addWidget(wizard)
    wizard.open()
    return ctx, wizard


def test_region_page_refuses_an_empty_client_id_on_that_page(qtbot, tmp_path):
    ctx, wizard = _region_wizard(qtbot, tmp_path)
    region = wizard.region_page
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    region.client_id_edit.setText("x")
    region.client_id_edit.setText("")
    assert not next_button.isEnabled()
    assert "Client ID" in region.problem_label.text()
    wizard.next()
    assert wizard.currentPage() is region
    region.client_id_edit.setText("cid")
    assert next_button.isEnabled()
    assert region.problem_label.text() == ""
    ctx.cache.close()


def test_region_page_refuses_an_invalid_url_and_never_saves_it(qtbot, tmp_path):
    ctx, wizard = _region_wizard(qtbot, tmp_path)
    region = wizard.region_page
    region.region_combo.setCurrentIndex(region.region_combo.findData("custom"))
    region.client_id_edit.setText("cid")
    region.custom_url_edit.setText("hello world")
    assert "not a web address" in region.problem_label.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    wizard.next()
    assert wizard.currentPage() is region
    wizard.accept()  # even finishing from here keeps the bad URL out of the settings
    saved = Settings.load(tmp_path)
    assert saved.custom_base_url is None
    assert saved.client_id is None
    ctx.cache.close()
