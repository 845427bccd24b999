"""Saved filters: a name and a view's filter state in ui-state.ini, applied and deleted from a
small menu that mouse (the view's button, the Table menu) and keyboard (Ctrl+Shift+F) reach."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMenu

from ninja_desk.ui.main_window import MainWindow
from ninja_desk.ui.ui_state import UI_STATE_FILE, ui_state
from ninja_desk.ui.widgets.saved_filters import SavedFilterStore, ask_and_save


def _texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def _trigger(menu: QMenu, text: str) -> None:
    next(a for a in menu.actions() if a.text() == text).trigger()


def test_store_round_trip_through_the_file(data_dir: Path) -> None:
    store = SavedFilterStore(ui_state(data_dir), "alerts")
    assert store.items() == []
    store.save("Critical  at Acme ", {"severity": frozenset({"CRITICAL"}), "org": 3})
    store.save("b first", {"status": "open"})
    store.save("b first", {"status": "reset"})  # the same name replaces
    again = SavedFilterStore(QSettings(str(data_dir / UI_STATE_FILE),
                                       QSettings.Format.IniFormat), "alerts")  # fmt: skip
    assert again.items() == [
        ("b first", {"status": "reset"}),
        ("Critical at Acme", {"severity": ["CRITICAL"], "org": 3}),
    ]
    assert SavedFilterStore(again.settings, "software").items() == []  # per view
    assert again.delete("b first") and not again.delete("b first")
    assert again.names() == ["Critical at Acme"]


def test_unreadable_entries_are_ignored(data_dir: Path) -> None:
    settings = ui_state(data_dir)
    settings.setValue("saved_filters/alerts", "{not json")
    assert SavedFilterStore(settings, "alerts").items() == []
    settings.setValue("saved_filters/alerts", '[{"name": "x"}, {"name": "ok", "filter": {}}]')
    assert SavedFilterStore(settings, "alerts").items() == [("ok", {})]


def test_alerts_save_apply_delete_from_the_button(qtbot, window: MainWindow) -> None:
    alerts = window.show_view("alerts")
    alerts.apply_filter({"severity": ["CRITICAL", "MAJOR"], "status": "all", "text": "disk"})
    wanted = alerts.filter_state()
    dialog = ask_and_save(alerts, alerts.store, alerts.filter_state, window.show_message)
    dialog.setTextValue("Disk, bad ones")
    dialog.accept()
    assert alerts.store.names() == ["Disk, bad ones"]
    alerts.apply_filter({})
    assert alerts.filter_state() != wanted
    button = alerts.saved_button
    button.rebuild()
    menu = button.menu()
    assert _texts(menu) == ["Save current filter…", "Disk, bad ones", "Delete saved filter"]
    _trigger(menu, "Disk, bad ones")
    assert alerts.filter_state() == wanted
    assert alerts.model.filter.severities == frozenset({"CRITICAL", "MAJOR"})
    assert "applied" in window.statusBar().currentMessage()
    delete_menu = next(a.menu() for a in menu.actions() if a.text() == "Delete saved filter")
    _trigger(delete_menu, "Disk, bad ones")
    assert alerts.store.names() == []
    button.rebuild()
    assert _texts(button.menu())[-1] == "No saved filters yet"


def test_keyboard_opens_the_menu_and_devices_filters_save(qtbot, window: MainWindow) -> None:
    devices = window.show_view("devices")
    devices.apply_filter({"status": "offline", "patch": "failed"})
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_F, ctrl_shift)
    menu = window._saved_filters_popup
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    assert _texts(menu) == ["Save current filter…", "No saved filters yet"]
    qtbot.keyClick(menu, Qt.Key.Key_Down)
    qtbot.keyClick(menu, Qt.Key.Key_Return)  # "Save current filter…"
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=2000)
    dialog = QApplication.activeModalWidget()
    dialog.setTextValue("Offline with failures")
    dialog.accept()
    store = window._saved_filter_store(devices)
    assert store.get("Offline with failures")["status"] == "offline"
    devices.apply_filter({})
    assert devices.filter.status is None
    menu = window.open_saved_filters()
    _trigger(menu, "Offline with failures")
    assert (devices.filter.status, devices.filter.patch) == ("offline", "failed")
    menu.close()


def test_table_menu_and_views_without_filters(qtbot, window: MainWindow) -> None:
    window.show_view("dashboard")
    window._fill_saved_filters(window.saved_filters_menu)
    assert _texts(window.saved_filters_menu) == ["The Dashboard view has no filters to save"]
    patches = window.show_view("patches")
    patches.store.save("Failed OS", {"mode": "client", "status": "failed", "family": "os"})
    window._fill_saved_filters(window.saved_filters_menu)
    _trigger(window.saved_filters_menu, "Failed OS")
    assert patches.filter_state()["status"] == "failed" and patches.mode == "client"
    software = window.show_view("software")
    software.apply_filter({"search": "Chrome", "title": "Google Chrome"})
    assert software.filter_state() == {"search": "Chrome", "title": "Google Chrome",
                                       "version": None}  # fmt: skip
    software.store.save("Chrome", software.filter_state())
    software.apply_filter({})
    software.saved_button.rebuild()
    _trigger(software.saved_button.menu(), "Chrome")
    assert software.versions.title == "Google Chrome"
