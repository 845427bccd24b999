from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QWidget,
)

from ninja_desk.ui.app import build_main_window
from ninja_desk.ui.main_window import VIEW_SPECS, MainWindow
from ninja_desk.ui.ui_state import UI_STATE_FILE


def test_window_opens_on_dashboard_with_sidebar(window: MainWindow) -> None:
    titles = [window.sidebar.item(i).text().split()[0] for i in range(window.sidebar.count())]
    assert titles == ["Dashboard", "Devices", "Alerts", "Tickets", "Software", "Settings"]
    assert window.current_key == "dashboard"
    assert type(window.stack.currentWidget()).__name__ == "DashboardView"


def test_every_view_opens_real_or_placeholder(window: MainWindow, qtbot) -> None:
    for spec in VIEW_SPECS:
        widget = window.show_view(spec.key)
        assert window.stack.currentWidget() is widget
        assert window.current_key == spec.key


def test_keyboard_shortcuts_switch_views(window: MainWindow, qtbot) -> None:
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key == "devices"
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key == "dashboard"


def test_geometry_restored_from_data_dir_file(qtbot, ctx) -> None:
    first = build_main_window(ctx)
    qtbot.addWidget(first)
    first.show()
    first.resize(771, 533)  # the offscreen screen is 800x600; restoring clamps to it
    first.move(11, 17)
    first.save_state()
    assert (ctx.data_dir / UI_STATE_FILE).exists()
    assert isinstance(first.state.value("window/geometry"), QByteArray)
    second = build_main_window(ctx)
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (771, 533)


def test_current_view_and_device_columns_restored(qtbot, ctx) -> None:
    first = build_main_window(ctx)
    qtbot.addWidget(first)
    devices = first.show_view("devices")
    devices.table.horizontalHeader().resizeSection(0, 321)
    first.show_view("tickets")
    first.save_state()
    second = build_main_window(ctx)
    qtbot.addWidget(second)
    assert second.current_key == "tickets"
    assert second.show_view("devices").table.horizontalHeader().sectionSize(0) == 321


def _unnamed_controls(root: QWidget, skip: list[QWidget]) -> list[str]:
    missing = []
    for widget in root.findChildren(QWidget):
        if any(other is widget or other.isAncestorOf(widget) for other in skip):
            continue
        interactive = isinstance(
            widget, QAbstractButton | QLineEdit | QComboBox | QAbstractItemView
        )
        if interactive and not widget.accessibleName() and widget.isVisibleTo(root):
            missing.append(
                f"{type(widget).__name__} {widget.objectName()!r} in {type(root).__name__}"
            )
    return missing


def test_every_control_has_an_accessible_name(window: MainWindow) -> None:
    for spec in VIEW_SPECS:
        window.show_view(spec.key)
    window.show_view("devices")
    others = [w for k, w in window.views.items() if k not in ("dashboard", "devices")]
    assert _unnamed_controls(window, others) == []


def test_sync_without_connection_says_what_to_do(window: MainWindow) -> None:
    assert window.ctx.sync is None
    assert window.start_sync() is None
    assert "Connect NinjaOne in Settings" in window.banner.label.text()
    assert "Offline" in window.connection_label.text()
    assert "Last sync" in window.last_sync_label.text()
    assert "Relay" in window.relay_label.text()
