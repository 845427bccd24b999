"""What a screen review under Xvfb found (issue 13): short columns cut to "Criti…" while the key
column had room, hints unreadable in dark mode, a long software title widening its pane."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QLabel, QTableView

from ninja_desk.ui.theme import palette_for
from ninja_desk.ui.widgets.key_column import KeyColumn, water_fill

ROWS = [
    ("Critical", "CONTOSO-LSRV0138", "Disk free space on C: is less than 10%", "TIC000001"),
    ("Moderate", "FABRIKAM-WS0056", "Memory utilisation above 90%", "TIC000002"),
]


def _table(qtbot, width: int, default: int) -> QTableView:
    model = QStandardItemModel(0, 4)
    model.setHorizontalHeaderLabels(["Severity", "Device", "Message", "Ticket"])
    for row in ROWS:
        model.appendRow([QStandardItem(text) for text in row])
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    for column in range(4):
        table.horizontalHeader().resizeSection(column, default)
    table.key_column = KeyColumn(table, 2)  # type: ignore[attr-defined]
    table.resize(width, 300)
    table.show()
    qtbot.waitExposed(table)
    QApplication.processEvents()
    return table


def test_short_columns_show_their_whole_text_when_there_is_room(qtbot) -> None:
    table = _table(qtbot, 1100, default=40)
    header = table.horizontalHeader()
    for column in (0, 1, 3):
        assert header.sectionSize(column) >= table.sizeHintForColumn(column), column
    assert header.sectionSize(2) >= max(header.sectionSize(c) for c in (0, 1, 3))


def test_a_narrow_table_keeps_the_key_share_and_shrinks_the_widest_first(qtbot) -> None:
    table = _table(qtbot, 360, default=200)
    header = table.horizontalHeader()
    available = table.viewport().width()
    assert header.sectionSize(2) >= int(available * 0.38)
    assert header.sectionSize(1) <= header.sectionSize(0) + 1  # the long device name gives way


def test_water_fill_caps_the_widest_columns_first() -> None:
    assert water_fill({0: 80, 1: 200, 2: 60}, 400, 48) == {0: 80, 1: 200, 2: 60}
    assert water_fill({0: 80, 1: 200, 2: 60}, 240, 48) == {2: 60, 0: 80, 1: 100}
    assert water_fill({0: 80, 1: 200}, 60, 48) == {0: 48, 1: 48}


def test_alerts_severity_and_status_are_not_cut_at_1280(window) -> None:
    window.resize(1280, 800)
    view = window.show_view("alerts")
    QApplication.processEvents()
    table = view.table
    header = table.horizontalHeader()
    for column in (0, 5):  # severity, status
        assert header.sectionSize(column) >= table.sizeHintForColumn(column), column
    from ninja_desk.ui.widgets.compact_delegate import CompactDelegate

    # and narrower (1024 px) the time shortens rather than elides; the severity keeps its
    # word (tests/ui/test_layout_panels.py), never the colour square alone
    assert table.itemDelegateForColumn(0) is None
    assert isinstance(table.itemDelegateForColumn(4), CompactDelegate)


def _contrast(a: QColor, b: QColor) -> float:
    def luminance(colour: QColor) -> float:
        channels = []
        for value in (colour.redF(), colour.greenF(), colour.blueF()):
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(params=[False, True], ids=["light", "dark"])
def themed(request, qapp) -> Iterator[QPalette]:
    old = qapp.palette()
    palette = palette_for(request.param)
    qapp.setPalette(palette)
    yield palette
    qapp.setPalette(old)


def _text_contrast(label: QLabel, palette: QPalette) -> float:
    label.ensurePolished()
    return _contrast(
        label.palette().color(QPalette.ColorRole.WindowText),
        palette.color(QPalette.ColorRole.Window),
    )


def test_settings_hints_are_readable_in_both_themes(qtbot, themed) -> None:
    from ninja_desk.ui.settings.common import hint

    label = hint("NinjaOne cannot reach this computer, so it sends webhooks to the relay.")
    qtbot.addWidget(label)
    assert _text_contrast(label, themed) >= 4.5


def test_view_hints_are_readable_in_both_themes(qtbot, ctx, themed) -> None:
    from ninja_desk.ui.views.alerts_view import AlertsView
    from ninja_desk.ui.views.software_view import SoftwareView

    alerts = AlertsView(ctx)
    qtbot.addWidget(alerts)
    assert _text_contrast(alerts.reason_label, themed) >= 4.5
    software = SoftwareView(ctx)
    qtbot.addWidget(software)
    hints = [w for w in software.findChildren(QLabel) if w.text().startswith("Double-click")]
    assert hints and _text_contrast(hints[0], themed) >= 4.5


def test_a_long_software_title_does_not_widen_its_pane(qtbot, ctx) -> None:
    from ninja_desk.ui.views.software_view import SoftwareView

    view = SoftwareView(ctx)
    qtbot.addWidget(view)
    view.resize(840, 600)
    view.show()
    qtbot.waitExposed(view)
    assert view.versions_heading.text() == "Versions — pick a title"
    view._show_title("Cisco Secure Client - AnyConnect VPN for Enterprise Deployments (x64)")
    QApplication.processEvents()
    # The heading wraps (its minimum is one word), so the titles pane keeps its width.
    assert view.versions_heading.minimumSizeHint().width() < 150
    assert view.devices_heading.minimumSizeHint().width() < 150
    assert view.minimumSizeHint().width() <= 840
    assert view.titles_table.width() >= 250


def test_a_long_sync_stage_does_not_widen_the_window_at_1024(window, qtbot) -> None:
    window.resize(1024, 700)
    QApplication.processEvents()
    window._set_syncing(True)
    window._on_sync_progress("devices", 12345, "Fetching devices and their details from NinjaOne")
    QApplication.processEvents()
    assert window.minimumSizeHint().width() <= 1024
    assert window.width() == 1024
    assert window.sync_stage.toolTip().startswith("Fetching devices")
    window._set_syncing(False)


def test_a_narrow_two_column_table_shows_its_short_header_whole(qtbot) -> None:
    model = QStandardItemModel(0, 2)
    model.setHorizontalHeaderLabels(["Version", "Devices"])
    model.appendRow([QStandardItem("5.1.8.105"), QStandardItem("115")])
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.setSortingEnabled(True)
    table.key_column = KeyColumn(table, 0)  # type: ignore[attr-defined]
    table.resize(150, 200)
    table.show()
    qtbot.waitExposed(table)
    QApplication.processEvents()
    header = table.horizontalHeader()
    assert header.sectionSize(1) >= header.sectionSizeHint(1)  # "Devices" and its sort arrow


def test_narrow_alert_cells_show_a_shorter_form_not_an_ellipsis(qtbot) -> None:
    from PySide6.QtGui import QColor as Colour
    from PySide6.QtWidgets import QStyleOptionViewItem

    from ninja_desk.ui.widgets.compact_delegate import CompactDelegate, icon_only, shorter_time

    model = QStandardItemModel(0, 2)
    severity = QStandardItem("Moderate")
    severity.setData(Colour("#ca8a04"), Qt.ItemDataRole.DecorationRole)
    model.appendRow([severity, QStandardItem("2026-12-03 14:45")])
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    delegates = [CompactDelegate(icon_only, table), CompactDelegate(shorter_time, table)]
    for column, delegate in enumerate(delegates):
        table.setItemDelegateForColumn(column, delegate)

    def drawn(column: int, width: int) -> str:
        option = QStyleOptionViewItem()
        option.initFrom(table)
        option.rect = QRect(0, 0, width, 24)
        option.widget = table
        delegates[column].initStyleOption(option, model.index(0, column))
        return delegates[column].fitted(option)

    assert drawn(0, 200) == "Moderate"
    assert drawn(0, 40) == ""  # the colour square alone
    assert drawn(1, 300) == "2026-12-03 14:45"
    wide = table.fontMetrics().horizontalAdvance("12-03 14:45") + 20
    assert drawn(1, wide) == "12-03 14:45"
    # the size hint (what KeyColumn asks for) is still the whole text
    assert table.sizeHintForColumn(0) > table.fontMetrics().horizontalAdvance("Moderate")


def test_software_versions_pane_shows_both_headers_at_1024(window) -> None:
    window.resize(1024, 700)
    view = window.show_view("software")
    QApplication.processEvents()
    header = view.versions_table.horizontalHeader()
    for column in (0, 1):
        assert header.sectionSize(column) >= header.sectionSizeHint(column), column
    assert window.width() == 1024


def test_settings_page_list_rows_are_not_packed_together(window) -> None:
    window.resize(1280, 800)
    view = window.show_view("settings")
    QApplication.processEvents()
    nav = view.nav
    heights = [nav.visualItemRect(nav.item(row)).height() for row in range(nav.count())]
    assert min(heights) >= nav.fontMetrics().height() + 10, heights
    texts = [nav.item(row).text() for row in range(nav.count())]
    widest = max(nav.fontMetrics().horizontalAdvance(text) for text in texts)
    assert widest + 16 <= nav.viewport().width()  # padded, and still not elided
