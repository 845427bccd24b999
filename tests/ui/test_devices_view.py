from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from ninja_desk.cache.queries import devices as q
from ninja_desk.cache.synthetic import fill_cache
from ninja_desk.ui.models.device_table_model import DeviceTableModel
from ninja_desk.ui.views.devices_view import DevicesView


@pytest.fixture
def view(qtbot, ctx) -> DevicesView:
    widget = DevicesView(ctx)
    qtbot.addWidget(widget)
    widget.resize(1300, 700)
    widget.show()
    return widget


# The classes that run the NinjaOne agent, written out so the test does not trust the code.
AGENT_CLASSES = (
    "('WINDOWS_WORKSTATION', 'WINDOWS_SERVER', 'MAC', 'MAC_SERVER', 'LINUX_WORKSTATION',"
    " 'LINUX_SERVER')"
)


def loaded(view: DevicesView) -> list[dict[str, Any]]:
    model = view.model
    return [model.row_at(r) for r in range(model.rowCount())]


def expected_ids(ctx, where: str) -> set[int]:
    rows = ctx.cache.rows(
        "SELECT d.id FROM devices d LEFT JOIN organizations o ON o.id = d.organization_id "
        f"WHERE {where}"
    )
    return {r["id"] for r in rows}


def test_device_model_passes_qtmodeltester(qtmodeltester, ctx) -> None:
    model = DeviceTableModel(ctx.cache)
    model.reload()
    qtmodeltester.check(model, force_py=True)
    model.set_filter(q.DeviceFilter(search="no such device"))
    qtmodeltester.check(model, force_py=True)


def test_default_view_hides_deleted_and_counts(view: DevicesView, ctx, qtbot) -> None:
    qtbot.waitUntil(lambda: view.total is not None)
    want = expected_ids(ctx, "d.deleted = 0")
    assert {r["id"] for r in loaded(view)} == want
    assert view.total == len(want)
    assert f"{len(want):,} devices" in view.count_label.text()


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"status": "online"}, "d.deleted = 0 AND d.offline = 0"),
        ({"status": "offline"}, "d.deleted = 0 AND d.offline = 1"),
        ({"status": "unknown"}, "d.deleted = 0 AND d.offline IS NULL"),
        ({"rmm_managed": True}, f"d.deleted = 0 AND d.node_class IN {AGENT_CLASSES}"),
        ({"rmm_managed": False}, f"d.deleted = 0 AND d.node_class NOT IN {AGENT_CLASSES}"),
        ({"org_id": 3}, "d.deleted = 0 AND d.organization_id = 3"),
        ({"node_class": "WINDOWS_SERVER"}, "d.deleted = 0 AND d.node_class = 'WINDOWS_SERVER'"),
        ({"has_alerts": True}, "d.deleted = 0 AND d.active_alerts > 0"),
        ({"has_alerts": False}, "d.deleted = 0 AND d.active_alerts = 0"),
        ({"patch": "failed"},
         "d.deleted = 0 AND d.failed_os_patches + d.failed_software_patches > 0"),
        ({"patch": "compliant"}, "d.deleted = 0 AND d.pending_os_patches + d.failed_os_patches"
         " + d.pending_software_patches + d.failed_software_patches = 0"),
        ({"av": "off"}, "d.deleted = 0 AND d.av_product IS NOT NULL AND d.av_state != 'ON'"),
        ({"show_deleted": True}, "1 = 1"),
        ({"show_deleted": True, "status": "online"}, "d.offline = 0"),
    ],
)  # fmt: skip
def test_filters_change_what_is_shown(view: DevicesView, ctx, values, where) -> None:
    everything = {r["id"] for r in loaded(view)}
    view.apply_filter(values)
    shown = {r["id"] for r in loaded(view)}
    assert shown == expected_ids(ctx, where)
    assert shown != everything or values.get("show_deleted")


def test_filter_combos_drive_the_query(view: DevicesView, ctx) -> None:
    combo = view.combos["status"]
    combo.setCurrentIndex(combo.findData("offline"))
    assert view.filter.status == "offline"
    assert {r["id"] for r in loaded(view)} == expected_ids(ctx, "d.deleted = 0 AND d.offline = 1")
    view.client_combo.setCurrentIndex(view.client_combo.findData(2))
    assert {r["id"] for r in loaded(view)} == expected_ids(
        ctx, "d.deleted = 0 AND d.offline = 1 AND d.organization_id = 2"
    )
    view.clear_button.click()
    assert view.filter == q.DeviceFilter()


def test_free_text_search_is_debounced_and_matches_name_client_and_ip(view, ctx, qtbot) -> None:
    before = view.model.rowCount()
    with qtbot.waitSignal(view.search.search_changed, timeout=2000):
        qtbot.keyClicks(view.search, "srv-")
    assert 0 < view.model.rowCount() < before
    assert all("SRV-" in r["name"] for r in loaded(view))
    view.search.set_text_now("Harbor")
    assert loaded(view) and all(r["org_name"] == "Harbor Hotels" for r in loaded(view))
    view.search.set_text_now("10.3.0.")
    assert {r["id"] for r in loaded(view)} == expected_ids(
        ctx, "d.deleted = 0 AND d.ip_addresses LIKE '%10.3.0.%'"
    )
    view.search.set_text_now("100%_literal")
    assert view.model.rowCount() == 0


SORT_KEYS = {
    "name": lambda r: r["name"],
    "org_name": lambda r: r["org_name"],
    "node_class": lambda r: r["node_class"],
    "os_name": lambda r: r["os_name"],
    "status": lambda r: 2 if r["offline"] is None else r["offline"],
    "last_contact": lambda r: r["last_contact"],
    "pending": lambda r: r["pending"],
    "failed": lambda r: r["failed"],
    "av": lambda r: r["av_state"],
    "active_alerts": lambda r: (r["max_alert_severity"], r["active_alerts"]),
}


@pytest.mark.parametrize("column", range(len(q.COLUMNS)))
@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_sorting_works_on_every_column(view: DevicesView, column: int, order) -> None:
    view.table.sortByColumn(column, order)
    key = SORT_KEYS[q.COLUMNS[column].key]
    values = [key(r) for r in loaded(view)]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=order == Qt.SortOrder.DescendingOrder)
    # NULLs go last either way.
    assert values[: len(present)] == present
    assert len(set(map(str, present))) > 1, "a sort test over one value proves nothing"


def test_pages_load_on_demand_without_overlap(qtbot, empty_ctx) -> None:
    fill_cache(empty_ctx.cache, devices=1000, orgs=5, detail_devices=0)
    model = DeviceTableModel(empty_ctx.cache)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == model.page_size
    assert model.canFetchMore()
    while model.canFetchMore():
        model.fetchMore()
    ids = [model.key_at(r) for r in range(model.rowCount())]
    assert len(ids) == len(set(ids)) == model.count()
    assert model.count() == empty_ctx.cache.scalar("SELECT count(*) FROM devices WHERE deleted = 0")


def test_scrolling_a_large_model_is_stable(qtbot, empty_ctx) -> None:
    """design.md §5: data() returning None to Qt once corrupted None's refcount (3.11)."""
    fill_cache(empty_ctx.cache, devices=6000, orgs=10, detail_devices=0)
    model = DeviceTableModel(empty_ctx.cache)
    model.reload()
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.resize(900, 500)
    table.show()
    none_refs = sys.getrefcount(None)
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
             Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.TextAlignmentRole,
             Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.FontRole]  # fmt: skip
    for _ in range(60):
        table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())
        qtbot.wait(1)
        top = table.rowAt(0)
        for row in range(max(0, top), min(model.rowCount(), top + 25)):
            for column in range(model.columnCount()):
                for role in roles:
                    model.data(model.index(row, column), role)
        if not model.canFetchMore():
            break
    assert model.rowCount() == model.count() > 5000
    assert sys.getrefcount(None) >= none_refs  # immortal on 3.12+; must never shrink


def test_selected_rows_sync_and_open_in_ninjaone(
    view: DevicesView, ctx, qtbot, opened_urls
) -> None:
    qtbot.waitUntil(lambda: view.total is not None)
    selection = view.table.selectionModel()
    for row in (0, 2, 4):
        selection.select(view.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)  # fmt: skip
    ids = [view.model.key_at(r) for r in (0, 2, 4)]
    assert view.selected_ids() == ids
    assert not view.sync_selected_button.isEnabled()  # no NinjaOne connection
    assert "3 selected" in view.count_label.text()
    with qtbot.waitSignal(view.sync_requested) as signal:
        view.sync_selected()
    assert signal.args == [ids]
    view.open_selected_button.click()
    assert opened_urls == [f"https://app.ninjarmm.com/#/deviceDashboard/{i}/overview" for i in ids]


class FakeEngine:
    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.api = None

    async def sync_devices(self, ids, progress=None):
        self.calls.append(("devices", ids))
        await asyncio.sleep(0)
        return type("R", (), {"kind": "incremental", "devices": len(ids), "seconds": 0.1})()

    async def sync(self, mode, progress=None):
        self.calls.append(("sync", mode))
        return type("R", (), {"kind": mode, "devices": 0, "seconds": 0.1})()


async def test_sync_selected_calls_engine_sync_devices(window, ctx) -> None:
    engine = FakeEngine()
    ctx.sync = engine
    devices = window.show_view("devices")
    devices.table.selectRow(1)
    ids = devices.selected_ids()
    assert devices.sync_selected_button.isEnabled()
    devices.sync_selected_button.click()
    assert window.syncing
    await window.sync.task
    assert engine.calls == [("devices", ids)]
    assert "1 devices" in window.last_sync_message
    assert not window.syncing and window.sync_button.isEnabled()


def test_open_device_shows_detail_even_when_filtered_out(view: DevicesView, ctx) -> None:
    offline = ctx.cache.scalar("SELECT id FROM devices WHERE offline = 1 AND deleted = 0")
    view.apply_filter({"status": "online"})
    view.open_device(offline)
    assert view.detail.device["id"] == offline
    assert view.selected_ids() == [offline]
