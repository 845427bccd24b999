"""A list beside its detail panel at 1024x700, 1280x800 and 1920x1080 (seen under Xvfb: at 1280
the device panel's ~510 px minimum left the table half the window with headers cut to
"ast see" and "Antiviru"; at 1024 every alert column was ~60 px and the severity only a colour
square)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QPoint, QRect, QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox

from ninja_desk.cache.queries import devices as q
from ninja_desk.ui.widgets.csv_export import spec_for_model

SIZES = [(1024, 700), (1280, 800), (1920, 1080)]
KEY_DEVICE_COLUMNS = ("name", "status", "active_alerts", "org_name", "last_contact")
COLUMN = {c.key: n for n, c in enumerate(q.COLUMNS)}


def _settle(window, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    window.resize(width, height)
    for _ in range(3):
        QApplication.processEvents()


def _whole(table, column: int) -> bool:  # type: ignore[no-untyped-def]
    """The header label (with its sort arrow) and the visible cells fit the column."""
    header = table.horizontalHeader()
    need = max(header.sectionSizeHint(column), table.sizeHintForColumn(column))
    return not header.isSectionHidden(column) and header.sectionSize(column) >= need


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_device_table_gets_the_width_and_its_key_columns_read_whole(window, width, height) -> None:
    devices = window.show_view("devices")
    devices.table.selectRow(0)
    _settle(window, width, height)
    table, header = devices.table, devices.table.horizontalHeader()
    sizes = devices.splitter.sizes()
    assert sizes[0] >= 0.55 * sum(sizes), sizes
    assert not table.horizontalScrollBar().isVisible()
    cut = [k for k in KEY_DEVICE_COLUMNS if not _whole(table, COLUMN[k])]
    if width >= 1280:
        assert cut == [], cut
    else:  # 1024: the client may lose a few letters (its tooltip has it all), nothing else
        assert set(cut) <= {"org_name"}, cut
        assert header.sectionSize(COLUMN["org_name"]) >= 88
    # A short column is shown whole or not at all: never "Pend…" or "Antiviru".
    for key in ("pending", "failed", "av", "status", "active_alerts", "last_contact"):
        column = COLUMN[key]
        assert header.isSectionHidden(column) or _whole(table, column), key
    if width >= 1280:
        assert _whole(table, COLUMN["failed"]) and _whole(table, COLUMN["av"])
    if width >= 1920:
        assert devices.key_column.folded == ()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_device_panel_is_whole_and_every_action_reachable(window, qtbot, width, height) -> None:
    devices = window.show_view("devices")
    devices.table.selectRow(0)
    _settle(window, width, height)
    detail = devices.detail
    bounds = detail.rect()
    for kind in (QAbstractButton, QComboBox):
        for widget in detail.findChildren(kind):
            if not widget.isVisible() or widget.parentWidget().inherits("QTabBar"):
                continue
            if widget.window() is not window:  # a menu's
                continue
            rect = QRect(widget.mapTo(detail, QPoint(0, 0)), widget.size())
            if not widget.isVisibleTo(detail.tabs.currentWidget()) and detail.tabs.isAncestorOf(
                widget
            ):
                continue
            assert bounds.contains(rect), (widget.accessibleName(), rect, bounds)
            assert widget.width() >= widget.minimumSizeHint().width(), widget.accessibleName()
    row = detail.action_row
    assert detail.connect_button.isVisible() and detail.ticket_combo.isVisible()
    hidden = row.hidden_buttons()
    assert row.more_button.isVisible() == bool(hidden)
    if hidden:  # the menu offers exactly those, and choosing one clicks it
        row.more_button.menu().aboutToShow.emit()
        actions = row.more_button.menu().actions()
        assert [a.text() for a in actions] == [b.text() for b in hidden]
        requested: list[list[int]] = []
        devices.detail.sync_requested.connect(requested.append)
        sync = next(a for a in actions if a.text() == "Sync device")
        assert sync.isEnabled() == detail.sync_button.isEnabled()
        if sync.isEnabled():
            sync.trigger()
            assert requested == [[detail.device["id"]]]
    if width >= 1920:
        assert hidden == []


def test_the_user_split_is_kept_and_the_automatic_one_follows_the_width(window, tmp_path):
    devices = window.show_view("devices")
    _settle(window, 1920, 1080)
    state = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    devices.save_state(state)
    assert state.value("devices/splitter") is None  # untouched: not saved
    wide = devices.splitter.sizes()[1]
    _settle(window, 1024, 700)
    assert devices.splitter.sizes()[1] < wide
    devices.splitter.moveSplitter(devices.splitter.sizes()[0] - 40, 1)  # the user drags
    assert devices.splitter.user_split
    devices.save_state(state)
    assert isinstance(state.value("devices/splitter"), QByteArray)
    # A split saved wide never squeezes the table on a narrow window: the panel gives way.
    devices.splitter.setSizes([400, 1500])
    _settle(window, 1280, 800)
    sizes = devices.splitter.sizes()
    assert sizes[1] <= sum(sizes) // 2 + 1, sizes


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_alert_severity_reads_as_a_word_and_columns_fit(window, width, height) -> None:
    alerts = window.show_view("alerts")
    _settle(window, width, height)
    table, model = alerts.table, alerts.model
    header = table.horizontalHeader()
    assert model.rowCount() > 0
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        word = index.data(Qt.ItemDataRole.DisplayRole)
        assert word in {"Critical", "Major", "Moderate", "Minor", "None", "Unknown"}, word
        assert word in index.data(Qt.ItemDataRole.ToolTipRole)
    assert table.itemDelegateForColumn(0) is None  # nothing draws the square alone
    assert _whole(table, 0)  # severity
    for column in (5, 6):  # status, ticket: whole or folded, never "Trigg…"
        assert header.isSectionHidden(column) or _whole(table, column), column
    for column in (1, 4):  # device, triggered: at least the short form's width
        assert header.sectionSize(column) >= 88, column
    assert header.sectionSize(3) >= 130  # the message still reads
    assert not table.horizontalScrollBar().isVisible()
    if width >= 1280:
        assert alerts.key_column.folded == ()
    # Folded or not, a CSV export has every column.
    spec = spec_for_model(model, "Alerts", table)
    assert spec is not None and len(spec.headers) == model.columnCount()
