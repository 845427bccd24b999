"""The first-run wizard never waits for the keyring on the UI thread (a Secret Service collection
waiting to be unlocked froze the window on Finish): the relay secrets and the Alga API key are
stored on a worker, the wizard says "Saving…" and closes once they are stored, and a refusal is
one sentence with the secret still typed. The desktop reads the relay token back on the worker
that opens the PSA, never on the UI thread.

The keyring backend is the test double of test_settings_keyring_worker.py, which holds every
call until the test opens its gate; under test are the wizard and the real `KeyringSecrets`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import keyring.errors
import pytest
from PySide6.QtWidgets import QWidget, QWizard

from ninja_desk.ninjaone.credentials import KeyringSecrets
from ninja_desk.sync.alga_api_key import KEYRING_KEY, KEYRING_SERVICE
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.ninjaone_link import NinjaOneLink
from ninja_desk.ui.settings.services import RELAY_SECRET_SERVICE, RELAY_TOKEN_KEY
from ninja_desk.ui.wizard.first_run import SAVING, FirstRunWizard
from tests.ui.alerts_tickets_sample_data import make_ctx
from tests.ui.test_settings_integrations import FakeSecrets
from tests.ui.test_settings_keyring_worker import GatedBackend, _ticks

LOCKED = keyring.errors.KeyringLocked("Failed to unlock the collection!")


@pytest.fixture
def ctx(tmp_path) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    ctx = make_ctx(tmp_path, filled=False)
    # The NinjaOne link keeps the endpoint secret in its own store: a dict here, not a keyring.
    ninja_secrets = FakeSecrets()
    ctx.ninjaone = NinjaOneLink(ctx, opener=None, secrets_for=lambda _b, _c: ninja_secrets)
    yield ctx
    ctx.cache.close()


@pytest.fixture(autouse=True)
def _no_env_token(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NINJA_DESK_RELAY_TOKEN", raising=False)
    monkeypatch.delenv("NINJA_DESK_ALGA_API_KEY", raising=False)


def _wizard(qtbot, ctx, backend: GatedBackend) -> FirstRunWizard:  # type: ignore[no-untyped-def]
    wizard = FirstRunWizard(
        ctx,
        relay_secrets=KeyringSecrets(RELAY_SECRET_SERVICE, backend),  # type: ignore[arg-type]
        alga_secrets=KeyringSecrets(KEYRING_SERVICE, backend),  # type: ignore[arg-type]
    )
    qtbot.addWidget(wizard)
    wizard.open()
    # The relay card asks the keyring what it holds when it is built: let that answer first.
    backend.gate.set()
    qtbot.waitUntil(lambda: not wizard.relay_page.card.reading, timeout=5000)
    backend.gate.clear()
    backend.waiting.clear()
    # To the last page, where Finish is (QWizard closes only when the current page validates).
    wizard.region_page.client_id_edit.setText("desk-client")
    wizard.relay_page.card.url_edit.setText("https://relay.example.com")
    wizard.relay_page.card.token_edit.setText("ndr_sub_typed")
    while wizard.currentPage() is not wizard.mapping_page:
        page = wizard.currentPage()
        wizard.next()
        assert wizard.currentPage() is not page
    return wizard


def test_finish_waits_for_a_locked_keyring_on_a_worker(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    backend = GatedBackend()
    wizard = _wizard(qtbot, ctx, backend)
    wizard.psa_page.card.key_edit.setText("alga-key-typed")
    done: list[bool] = []
    wizard.setup_done.connect(lambda: done.append(True))
    try:
        started = time.monotonic()
        wizard.accept()
        assert time.monotonic() - started < 2  # the gate stays closed for 10 s
        assert backend.waiting.wait(5)  # the worker is inside the keyring call
        assert wizard.isVisible() and wizard.status_label.text() == SAVING
        assert wizard.status_label.isVisibleTo(wizard)
        assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
        assert not wizard.button(QWizard.WizardButton.CustomButton1).isEnabled()
        wizard.reject()  # Escape meanwhile: the answer decides, nothing is lost
        assert wizard.isVisible()
        assert _ticks(qtbot, 300) >= 10  # the window keeps processing events
        assert done == []  # the shell reads these secrets: not before they are stored
    finally:
        backend.gate.set()
    qtbot.waitUntil(lambda: done == [True], timeout=5000)
    assert not wizard.isVisible()
    assert wizard.secret_problem is None
    assert backend.values == {
        (RELAY_SECRET_SERVICE, RELAY_TOKEN_KEY): "ndr_sub_typed",
        (KEYRING_SERVICE, KEYRING_KEY): "alga-key-typed",
    }
    assert ctx.settings.first_run_done and ctx.settings.relay_url == "https://relay.example.com"
    assert threading.main_thread() not in backend.threads


def test_a_refused_secret_is_one_sentence_and_stays_typed(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    backend = GatedBackend(fail=LOCKED)
    wizard = _wizard(qtbot, ctx, backend)
    backend.gate.set()
    done: list[bool] = []
    wizard.setup_done.connect(lambda: done.append(True))
    wizard.accept()
    qtbot.waitUntil(lambda: not wizard.saving, timeout=5000)
    assert wizard.status_label.text() == (
        "Your choices are saved, but the relay secret was not: The system keyring refused to "
        "store the NinjaOne relay token (KeyringLocked). Unlock it and try again."
    )
    assert wizard.secret_problem == wizard.status_label.text()
    assert "Traceback" not in wizard.status_label.text()
    assert wizard.isVisible() and done == []
    assert wizard.relay_page.card.token_edit.text() == "ndr_sub_typed"  # typed: try again
    assert wizard.button(QWizard.WizardButton.CustomButton1).isEnabled()

    backend.fail = None  # unlocked: Finish again stores it and closes
    wizard.accept()
    qtbot.waitUntil(lambda: done == [True], timeout=5000)
    assert not wizard.isVisible()
    assert backend.values == {(RELAY_SECRET_SERVICE, RELAY_TOKEN_KEY): "ndr_sub_typed"}


def test_a_refused_alga_key_keeps_the_relay_secret_stored(qtbot, ctx) -> None:  # type: ignore[no-untyped-def]
    class RelayOnly(GatedBackend):
        def set_password(self, service: str, username: str, password: str) -> None:
            if service == KEYRING_SERVICE:
                self._wait()
                raise LOCKED
            super().set_password(service, username, password)

    backend = RelayOnly()
    wizard = _wizard(qtbot, ctx, backend)
    backend.gate.set()
    wizard.psa_page.card.key_edit.setText("alga-key-typed")
    wizard.accept()
    qtbot.waitUntil(lambda: not wizard.saving, timeout=5000)
    assert wizard.status_label.text().startswith(
        "Your choices are saved, but the Alga API key was not: The system keyring refused"
    )
    assert wizard.isVisible()
    assert wizard.psa_page.card.key_edit.text() == "alga-key-typed"
    assert wizard.relay_page.card.token_edit.text() == ""  # stored: not asked again
    assert backend.values == {(RELAY_SECRET_SERVICE, RELAY_TOKEN_KEY): "ndr_sub_typed"}


def test_the_desktop_reads_the_relay_token_off_the_ui_thread(
    qtbot,  # type: ignore[no-untyped-def]
    ctx,
    monkeypatch,
) -> None:
    """After Finish the shell opens the PSA (apply_new_settings); the relay token it hands
    the in-process agent is read from the keyring on that worker, never on the UI thread."""
    from ninja_desk.sync import desktop_runtime
    from ninja_desk.ui import app
    from ninja_desk.ui.settings import services

    backend = GatedBackend()
    backend.values[(RELAY_SECRET_SERVICE, RELAY_TOKEN_KEY)] = "ndr_sub_stored"
    fake_psa = SimpleNamespace(permissions=lambda: frozenset(), read_only_reason=None)
    monkeypatch.setattr(desktop_runtime, "open_desktop_psa", lambda *_a, **_k: fake_psa)
    monkeypatch.setattr(
        services, "relay_secrets", lambda: KeyringSecrets(RELAY_SECRET_SERVICE, backend)
    )
    opened: list[Any] = []
    monkeypatch.setattr(app, "install_psa", lambda _ctx, found: opened.append(found))
    window = QWidget()
    window.bridge = SimpleNamespace(cache_changed=lambda: None)  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    ctx.settings.psa_url = "sqlite:///unused.sqlite3"
    try:
        app.attach_psa_in_background(ctx, window)
        assert backend.waiting.wait(5)
        assert _ticks(qtbot, 200) >= 5
    finally:
        backend.gate.set()
    qtbot.waitUntil(lambda: opened != [], timeout=5000)
    assert opened[0].relay_token == "ndr_sub_stored"
    assert threading.main_thread() not in backend.threads
