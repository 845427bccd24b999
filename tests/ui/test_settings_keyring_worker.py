"""Settings never waits for the keyring on the UI thread (a Secret Service collection waiting to
be unlocked froze the window when Settings opened and on Save): the relay card reads and Save
writes on a worker, the card says "Loading…" / "Saving…", a failure is one sentence, and a
secret the keyring refused stays typed.

The keyring backend here is a test double that holds every call until the test opens its gate;
what is under test is the card and the Settings view around the real `KeyringSecrets`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import keyring.errors
import pytest
from PySide6.QtCore import QTimer

from ninja_desk.ninjaone.credentials import KeyringSecrets
from ninja_desk.psa.permissions import ALL_PERMISSIONS
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.relay_card import LOADING
from ninja_desk.ui.settings.services import RELAY_SECRET_SERVICE, RELAY_TOKEN_KEY
from tests.ui.alerts_tickets_sample_data import make_ctx
from tests.ui.test_settings_integrations import make_view


class GatedBackend:
    """A keyring backend whose calls wait for `gate` (a locked keyring waiting for the user),
    then answer or raise `fail`. Duck-typed, not a KeyringBackend subclass: subclasses register
    themselves with keyring's backend discovery."""

    priority = 5  # a secure backend to KeyringSecrets

    def __init__(self, *, stored: str | None = None, fail: Exception | None = None) -> None:
        self.gate = threading.Event()
        self.fail = fail
        self.values: dict[tuple[str, str], str] = {}
        if stored is not None:
            self.values[(RELAY_SECRET_SERVICE, RELAY_TOKEN_KEY)] = stored
        self.threads: set[threading.Thread] = set()
        self.waiting = threading.Event()

    def _wait(self) -> None:
        self.threads.add(threading.current_thread())
        self.waiting.set()
        if not self.gate.wait(10):
            raise keyring.errors.KeyringLocked("the test never opened the gate")
        if self.fail is not None:
            raise self.fail

    def get_password(self, service: str, username: str) -> str | None:
        self._wait()
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._wait()
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._wait()
        self.values.pop((service, username), None)


@pytest.fixture
def ctx(tmp_path) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    ctx = make_ctx(tmp_path, filled=False, permissions=ALL_PERMISSIONS)
    ctx.settings.relay_url = "https://relay.example.com"
    yield ctx
    ctx.cache.close()


@pytest.fixture(autouse=True)
def _no_env_token(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("NINJA_DESK_RELAY_TOKEN", raising=False)


def _ticks(qtbot, milliseconds: int) -> int:  # type: ignore[no-untyped-def]
    """How often a 10 ms timer fired on the UI thread during `milliseconds`."""
    count = [0]
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: count.__setitem__(0, count[0] + 1))
    timer.start()
    qtbot.wait(milliseconds)
    timer.stop()
    return count[0]


def test_opening_settings_does_not_wait_for_a_locked_keyring(qtbot, ctx) -> None:
    backend = GatedBackend(stored="ndr_sub_demo")
    try:
        started = time.monotonic()
        view = make_view(qtbot, ctx, KeyringSecrets(RELAY_SECRET_SERVICE, backend))
        assert time.monotonic() - started < 2  # the gate is closed for 10 s
        relay = view.integrations.relay
        assert backend.waiting.wait(5)  # the worker is inside the keyring call
        assert relay.token_edit.placeholderText() == LOADING
        assert relay.badge.state == "Checking…"
        assert relay.token_edit.isEnabled()  # a new token may be typed meanwhile
        assert _ticks(qtbot, 300) >= 10  # the window keeps processing events
    finally:
        backend.gate.set()
    qtbot.waitUntil(lambda: relay.badge.state == "Configured", timeout=5000)
    assert "Stored in the system keyring" in relay.token_edit.placeholderText()
    assert threading.main_thread() not in backend.threads


def test_a_keyring_that_cannot_be_read_says_so_in_one_sentence(qtbot, ctx) -> None:
    backend = GatedBackend(fail=keyring.errors.KeyringLocked("Failed to unlock the collection!"))
    backend.gate.set()
    view = make_view(qtbot, ctx, KeyringSecrets(RELAY_SECRET_SERVICE, backend))
    relay = view.integrations.relay
    qtbot.waitUntil(lambda: not relay.reading, timeout=5000)
    assert relay.result_label.text() == (
        "The system keyring could not be read (KeyringLocked). Unlock it and try again."
    )
    assert relay.token_edit.placeholderText() == "Relay token"
    assert relay.badge.state == "Not configured"


def test_save_waits_on_a_worker_and_keeps_a_refused_secret_typed(qtbot, ctx) -> None:
    backend = GatedBackend()
    backend.gate.set()
    view = make_view(qtbot, ctx, KeyringSecrets(RELAY_SECRET_SERVICE, backend))
    relay = view.integrations.relay
    qtbot.waitUntil(lambda: not relay.reading, timeout=5000)
    backend.gate.clear()  # now the keyring locks
    backend.fail = keyring.errors.KeyringLocked("Failed to unlock the collection!")
    relay.token_edit.setText("ndr_sub_new")
    saved: list[bool] = []
    view.saved.connect(lambda: saved.append(True))
    try:
        started = time.monotonic()
        assert view.save()  # the settings file is written at once
        assert time.monotonic() - started < 2
        assert backend.waiting.wait(5)
        assert view.message_label.text() == "Saving…"
        assert not view.save_button.isEnabled()
        assert not relay.token_edit.isEnabled()  # the typed secret stays as it is meanwhile
        assert _ticks(qtbot, 300) >= 10
        assert saved == []  # the shell re-reads the relay settings once the keyring answered
    finally:
        backend.gate.set()
    qtbot.waitUntil(lambda: saved == [True], timeout=5000)
    assert view.message_label.text() == (
        "Settings saved, but the relay secret was not: The system keyring refused to store "
        "the NinjaOne relay token (KeyringLocked). Unlock it and try again."
    )
    assert relay.token_edit.text() == "ndr_sub_new"  # nothing lost: try again
    assert relay.token_edit.isEnabled() and view.save_button.isEnabled()

    backend.fail = None  # unlocked: Save again stores it
    assert view.save()
    qtbot.waitUntil(lambda: view.message_label.text() == "Settings saved.", timeout=5000)
    assert backend.values[(RELAY_SECRET_SERVICE, RELAY_TOKEN_KEY)] == "ndr_sub_new"
    assert relay.token_edit.text() == ""
    assert relay.badge.state == "Configured"
    assert threading.main_thread() not in backend.threads
