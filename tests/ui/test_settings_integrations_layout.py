"""Settings -> Integrations at 1024x700 and 1280x800: no label is cut off (a word-wrapped label
gets the height its text needs at its width), no button is narrower than it needs, and the page
does not scroll sideways, with a registered webhook on a long relay address (issue 13: the
webhook line wrapped and lost part of its second line at 1024 px)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

SIZES = [(1024, 700), (1280, 800)]
RELAYS = [
    "http://127.0.0.1:43567",  # the demo's
    "https://ninjadesk-relay.contoso-managed-services.example.com",  # wraps at 1024 px
]


def _cut_off(page) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for label in page.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        needed = (
            label.heightForWidth(label.width())
            if label.wordWrap()
            else label.minimumSizeHint().height()
        )
        if label.height() < needed or label.width() < label.minimumSizeHint().width():
            found.append(f"{label.text()[:60]!r}: {label.size()} needs height {needed}")
    for button in page.findChildren(QAbstractButton):
        if button.isVisible() and button.width() < button.minimumSizeHint().width():
            found.append(f"button {button.text()!r}: {button.width()} px")
    return found


@pytest.mark.parametrize("relay_url", RELAYS)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_integrations_page_cuts_nothing_off(qtbot, window, width, height, relay_url) -> None:
    settings = window.ctx.settings
    settings.relay_url, settings.webhook_registered = relay_url, True
    view = window.show_view("settings")
    view.show_page("integrations")
    window.resize(width, height)
    card = view.integrations.ninjaone
    card.update_state()
    # The relay card reads the keyring on a worker; its badge's text changes when it answers.
    qtbot.waitUntil(lambda: not view.integrations.relay.reading, timeout=5000)
    QApplication.processEvents()
    QApplication.processEvents()
    assert card.webhook_label.text() == f"Registered, delivering to {relay_url}/hooks/ninjaone"
    assert (window.width(), window.height()) == (width, height)
    page = view.integrations
    assert _cut_off(page) == []
    assert not page.horizontalScrollBar().isVisible()
    # The button stays with its line, under it (the label has the row's whole width).
    assert card.reregister_button.geometry().top() >= card.webhook_label.geometry().bottom()
