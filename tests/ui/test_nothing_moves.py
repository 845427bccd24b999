"""Nothing moves under the pointer (issue 13): the banner floats over the content instead of
pushing it down, and lists keep their scroll position and selection across a refresh."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QLineEdit

from ninja_desk.ui.notifier import Notice


def test_banner_does_not_push_the_content_down(window, qtbot) -> None:
    window.resize(1280, 800)
    QApplication.processEvents()
    before = window.stack.mapTo(window, QPoint(0, 0))
    window.banner.show_notice(Notice("Critical alert", "Disk C: is full on SRV-1", "uid-1"))
    QApplication.processEvents()
    assert window.banner.isVisible()
    assert window.stack.mapTo(window, QPoint(0, 0)) == before
    banner_top = window.banner.mapTo(window, QPoint(0, 0)).y()
    assert banner_top == window.top_bar.geometry().bottom() + 1  # over the content, under the bar
    assert window.banner.width() == window.centralWidget().width()
    window.resize(1024, 700)
    QApplication.processEvents()
    assert window.banner.width() == window.centralWidget().width()


def test_devices_list_keeps_scroll_and_selection_on_refresh(window, qtbot) -> None:
    view = window.show_view("devices")
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: view.total is not None)
    table = view.table
    while view.model.canFetchMore(view.model.index(-1, -1)) and view.model.rowCount() < 150:
        view.model.fetchMore(view.model.index(-1, -1))
    table.selectRow(120)
    selected = view.selected_ids()
    table.verticalScrollBar().setValue(100)
    QApplication.processEvents()
    value = table.verticalScrollBar().value()
    assert value > 0
    view.refresh()
    qtbot.wait(20)
    assert table.verticalScrollBar().value() == value
    assert view.selected_ids() == selected


def test_alerts_list_keeps_scroll_on_refresh(window, qtbot) -> None:
    view = window.show_view("alerts")
    window.resize(1280, 800)
    QApplication.processEvents()
    table = view.table
    if table.verticalScrollBar().maximum() == 0:
        return  # too few alerts in the sample to scroll
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())
    value = table.verticalScrollBar().value()
    view.refresh()
    qtbot.wait(20)
    assert table.verticalScrollBar().value() == value


def test_background_refresh_never_takes_focus_or_selects_text(window, qtbot) -> None:
    window.resize(1280, 800)
    for key in ("devices", "alerts", "tickets", "software", "dashboard"):
        window.show_view(key)
        window.sidebar.setFocus()
        QApplication.processEvents()
        window.bridge.refresh.emit(frozenset({"sync", "alerts"}))
        window._on_refresh(frozenset({"sync", "alerts"}))
        QApplication.processEvents()
        focus = QApplication.focusWidget()
        assert focus is window.sidebar, f"{key}: focus moved to {focus}"
        for edit in window.findChildren(QLineEdit):
            assert not edit.hasSelectedText(), f"{key}: text selected in {edit.placeholderText()}"


def test_a_sync_never_moves_focus_into_the_search_field(window, qtbot) -> None:
    window.search.setText("srv")
    window.search.deselect()
    window.sync_button.setFocus()
    QApplication.processEvents()
    assert window.sync_button.hasFocus() or QApplication.focusWidget() is window.sync_button
    window._set_syncing(True)
    QApplication.processEvents()
    assert not window.search.hasFocus()
    assert not window.search.hasSelectedText()
    window._set_syncing(False)


def _button_then_field(qtbot):
    from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

    host = QWidget()
    layout = QVBoxLayout(host)
    button, field = QPushButton("Act", host), QLineEdit("typed text", host)
    layout.addWidget(button)
    layout.addWidget(field)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    button.setFocus()
    QApplication.processEvents()
    return host, button, field


def test_disabling_the_focused_button_leaves_fields_alone(qtbot) -> None:
    from ninja_desk.ui.widgets.quiet_focus import set_enabled_quietly

    _host, button, field = _button_then_field(qtbot)
    button.setEnabled(False)  # what Qt does by itself: focus and select the next field
    QApplication.processEvents()
    assert field.hasFocus() and field.hasSelectedText()

    _host, button, field = _button_then_field(qtbot)
    set_enabled_quietly(button, False)
    QApplication.processEvents()
    assert not field.hasFocus() and not field.hasSelectedText()
