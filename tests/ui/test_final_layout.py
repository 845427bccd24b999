"""What the final screenshot review under Xvfb found: the device table scrolling sideways at
every size, the ticket table squeezed by its detail pane, raw ISO times and internal keys in a
device's history, ids in the action confirmation, client names cut, a Python class path in the
relay card."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

SIZES = [(1280, 800), (1920, 1080)]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_device_table_fits_without_scrolling_sideways(window, width, height) -> None:
    devices = window.show_view("devices")
    window.resize(width, height)
    QApplication.processEvents()
    QApplication.processEvents()
    table = devices.table
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width() + 1, (header.length(), width)
    assert not table.horizontalScrollBar().isVisible()
    others = [header.sectionSize(c) for c in range(1, header.count())]
    assert header.sectionSize(0) >= max(others)  # the name takes the spare width


@pytest.mark.parametrize(("width", "height"), [(1024, 700), (1280, 800)])
def test_ticket_table_keeps_its_short_columns_whole_beside_the_detail(
    window, width, height
) -> None:
    tickets = window.show_view("tickets")
    tickets.table.selectRow(0)
    window.resize(width, height)
    QApplication.processEvents()
    QApplication.processEvents()
    table = tickets.table
    header = table.horizontalHeader()
    assert table.viewport().width() >= 470, tickets.splitter.sizes()
    for column in (0, 3, 4, 6):  # number, status, priority, "Updated"
        assert header.sectionSize(column) >= tickets.key_column.need(column), column
    assert header.sectionSize(1) >= 100  # the title still readable
    priority, updated = table.itemDelegateForColumn(4), table.itemDelegateForColumn(6)
    assert priority.shorter("P1 - Critical") == ["P1"]
    assert updated.shorter("2026-12-03 14:45") == ["12-03 14:45", "12-03"]
    assert not table.horizontalScrollBar().isVisible()


def test_linked_assets_and_alerts_wrap_instead_of_scrolling_sideways(window) -> None:
    from PySide6.QtWidgets import QListWidgetItem

    tickets = window.show_view("tickets")
    tickets.table.selectRow(0)
    window.resize(1024, 700)
    QApplication.processEvents()
    long = "Disk free space on C: is less than 10 percent on the accounting file server " * 2
    for view in (tickets.devices_list, tickets.alerts_list, tickets.work.comments_list):
        view.addItem(QListWidgetItem(f"Critical · {long}"))
        view.doItemsLayout()
        QApplication.processEvents()
        assert view.horizontalScrollBar().maximum() == 0
        last = view.item(view.count() - 1)
        assert view.visualItemRect(last).width() <= view.viewport().width()


def test_history_leaves_out_bookkeeping_keys_and_shows_local_times() -> None:
    from datetime import datetime

    from ninja_desk.ui.views.device_detail import history_text

    entry = {
        "change_type": "updated",
        "changes": {
            "source": "ninjaone",
            "device_id": {"old": None, "new": 125},
            "integration_id": {"old": None, "new": "3f1c0a2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
            "last_reboot_at": {
                "old": "2026-11-18T08:51:57+00:00",
                "new": "2026-11-20T17:02:11+00:00",
            },
        },
    }
    text = history_text(entry, {})
    local = datetime.fromisoformat("2026-11-18T08:51:57+00:00").astimezone()
    assert text.startswith("Updated: last reboot at: ")
    assert local.strftime("%Y-%m-%d %H:%M") in text
    for raw in ("source", "device id", "integration id", "T08:51", "+00:00"):
        assert raw not in text, raw
    only_bookkeeping = {"change_type": "updated", "changes": {"source": "ninjaone"}}
    assert history_text(only_bookkeeping, {}) == "Updated"


def test_action_confirmation_names_devices_without_internal_ids(qtbot) -> None:
    from ninja_desk.sync.device_action_service import ActionRequest, Device
    from ninja_desk.ui.device_actions.confirm_dialog import ConfirmActionDialog, device_names
    from tests.ui.test_device_actions_ui import fake_service

    devices = [Device(125, "ADVENTUR-WS0125"), Device(7, "LAB-01"), Device(8, "LAB-01")]
    assert device_names(devices) == ["ADVENTUR-WS0125", "LAB-01 (ID 7)", "LAB-01 (ID 8)"]
    dialog = ConfirmActionDialog(fake_service(), ActionRequest("reboot", forced=True), devices)
    qtbot.addWidget(dialog)
    texts = [dialog.device_list.item(i).text() for i in range(dialog.device_list.count())]
    assert texts[0] == "ADVENTUR-WS0125"
    assert not any("#" in text for text in texts)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_action_reason_field_has_a_visible_edge(qtbot, qapp, dark) -> None:
    from ninja_desk.sync.device_action_service import ActionRequest, Device
    from ninja_desk.ui.device_actions.confirm_dialog import ConfirmActionDialog
    from ninja_desk.ui.theme import palette_for
    from tests.ui.test_device_actions_ui import fake_service
    from tests.ui.test_screen_review import _contrast

    old = qapp.palette()
    qapp.setPalette(palette_for(dark))
    try:
        dialog = ConfirmActionDialog(fake_service(), ActionRequest("reboot"), [Device(1, "PC")])
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        reason = dialog.reason
        image = reason.grab().toImage()
        window = dialog.palette().color(QPalette.ColorRole.Window)
        edge = max(_contrast(image.pixelColor(x, image.height() // 2), window) for x in range(0, 3))
        assert edge >= 2.5, edge
    finally:
        qapp.setPalette(old)


@pytest.mark.parametrize(("width", "height"), [(1024, 700), (1280, 800), (1920, 1080)])
def test_client_names_show_whole_in_the_list(window, qtbot, ctx, width, height) -> None:
    from sqlalchemy import text

    rename = text(
        "UPDATE organizations SET name = 'Adventure Works Cycles' WHERE id = "
        "(SELECT min(id) FROM organizations)"
    )
    ctx.cache.write_blocking(lambda c: c.execute(rename))
    clients = window.show_view("clients")
    clients.refresh()
    qtbot.waitUntil(lambda: clients.model.rowCount() > 0 and not clients.model.loading)
    window.resize(width, height)
    QApplication.processEvents()
    QApplication.processEvents()
    table = clients.table
    header = table.horizontalHeader()
    assert header.sectionSize(0) >= table.sizeHintForColumn(0), clients.splitter.sizes()
    assert not table.horizontalScrollBar().isVisible()
    names = [clients.model.index(r, 0) for r in range(clients.model.rowCount())]
    assert all(i.data(Qt.ItemDataRole.ToolTipRole) == i.data() for i in names)


def test_relay_card_names_the_keyring_in_words(qtbot, ctx) -> None:
    from ninja_desk.ninjaone.credentials import NoSecureKeyring, keyring_in_words
    from ninja_desk.ui.settings.relay_card import RelayCard

    class NoKeyring:
        def get(self, _key: str) -> None:
            return None

        def set(self, _key: str, _value: str) -> None:
            raise NoSecureKeyring("keyring.backends.fail.Keyring")

    card = RelayCard(ctx, secrets=NoKeyring())
    qtbot.addWidget(card)
    card.token_edit.setText("ndr_sub_demo")
    answers: list[str | None] = []
    card.save_secret_in_background(answers.append)  # the keyring call runs on a worker
    qtbot.waitUntil(lambda: answers != [], timeout=5000)
    sentence = answers[0] or ""
    assert "No secure keyring is available on this machine" in sentence
    assert "keyring.backends" not in sentence and "backend:" not in sentence
    assert keyring_in_words("keyring.backends.null.Keyring") == "no secure keyring on this machine"
    assert "plain file" in keyring_in_words("keyrings.alt.file.PlaintextKeyring")
    assert keyring_in_words("keyring.backends.SecretService.Keyring") == "the system keyring"
