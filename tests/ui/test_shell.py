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
    assert titles == [
        "Dashboard",
        "Devices",
        "Alerts",
        "Tickets",
        "Software",
        "Clients",
        "Patches",
        "Settings",
    ]
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


def test_ctrl_k_search_finds_and_enter_opens_a_device(window: MainWindow, qtbot, ctx) -> None:
    name, device_id = next(
        (r["name"], r["id"]) for r in ctx.cache.rows(
            "SELECT id, name FROM devices WHERE deleted = 0 ORDER BY id DESC LIMIT 1")
    )  # fmt: skip
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()
    qtbot.keyClicks(window.search, name)
    window.search.flush()
    popup = window.search_popup
    assert popup.isVisible()
    assert popup.hits[0].kind == "device" and popup.hits[0].key == device_id
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert window.current_key == "devices"
    assert window.views["devices"].detail.device["id"] == device_id


def test_search_covers_clients_alerts_and_tickets(window: MainWindow, qtbot, ctx) -> None:
    from ninja_desk.cache.synthetic import add_ticket

    add_ticket(ctx.cache, "tk-1", 1, number="T-4242", title="Printer jam")
    popup = window.search_popup
    window.search.set_text_now("Harbor")
    assert {h.kind for h in popup.hits} >= {"client"}
    window.search.set_text_now("T-4242")
    assert [(h.kind, h.key) for h in popup.hits] == [("ticket", "tk-1")]
    message = ctx.cache.scalar("SELECT message FROM alerts WHERE status = 'TRIGGERED' LIMIT 1")
    window.search.set_text_now(message)
    assert any(h.kind == "alert" for h in popup.hits)
    window.search.set_text_now("Harbor")
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    popup.update_results("Harbor")
    client = next(h for h in popup.hits if h.kind == "client")
    window.open_search_hit(client)
    assert window.views["devices"].filter.org_id == client.key


def test_bridge_coalesces_refreshes(window: MainWindow, qtbot) -> None:
    seen = []
    window.bridge.refresh.connect(seen.append)
    for _ in range(50):
        window.bridge.cache_changed("devices")
    window.bridge.cache_changed("alerts")
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=2000)
    qtbot.wait(400)
    assert seen == [frozenset({"devices", "alerts"})]


def test_a_view_that_cannot_start_says_why_and_is_tried_again(
    window: MainWindow, monkeypatch
) -> None:
    """A view whose construction fails shows the reason in a placeholder (the rest of the
    window works) and is built again the next time it is shown."""
    from ninja_desk.ui import main_window as mw
    from ninja_desk.ui.views.placeholder import PlaceholderView
    from ninja_desk.ui.views.software_view import SoftwareView

    class Broken(SoftwareView):
        def __init__(self, *args: object) -> None:
            raise OSError("the software index is locked")

    def spec(view_class):  # type: ignore[no-untyped-def]
        return mw.ViewSpec("software", "Software", view_class, "Ctrl+5")

    window.views.pop("software", None)
    monkeypatch.setitem(mw.SPEC_BY_KEY, "software", spec(Broken))
    placeholder = window.show_view("software")
    assert isinstance(placeholder, PlaceholderView)
    assert placeholder.reason == (
        "The Software view could not start (the software index is locked). "
        "The rest of NinjaDesk works; restart to retry."
    )
    monkeypatch.setitem(mw.SPEC_BY_KEY, "software", spec(SoftwareView))
    real = window.show_view("software")
    assert isinstance(real, SoftwareView) and window.stack.currentWidget() is real
