from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from ninja_desk.ui.context import AppContext
from ninja_desk.ui.models.software_models import (
    SoftwareDeviceModel,
    SoftwareTitleModel,
    SoftwareVersionModel,
)
from ninja_desk.ui.views.software_view import SoftwareView
from tests.ui.alerts_tickets_sample_data import make_ctx


@pytest.fixture
def ctx(tmp_path) -> Iterator[AppContext]:
    ctx = make_ctx(tmp_path)
    yield ctx
    ctx.cache.close()


def rows(model) -> list[dict]:
    return [model.row_at(i) for i in range(model.rowCount())]


def test_models_pass_modeltester(qtmodeltester, ctx):
    titles = SoftwareTitleModel(ctx.cache)
    titles.reload()
    assert titles.canFetchMore()  # 303 titles: more than one page
    titles.fetchMore()
    assert titles.rowCount() == 303
    qtmodeltester.check(titles, force_py=True)
    versions = SoftwareVersionModel(ctx.cache)
    versions.title = "Google Chrome"
    versions.reload()
    qtmodeltester.check(versions, force_py=True)
    devices = SoftwareDeviceModel(ctx.cache)
    devices.title, devices.version = "Google Chrome", "123.0"
    devices.reload()
    qtmodeltester.check(devices, force_py=True)


def test_search_then_title_then_version(qtbot, ctx):
    view = SoftwareView(ctx)
    qtbot.addWidget(view)
    assert view.summary_label.text() == "303 titles"
    view.search_edit.setText("chrom")  # debounced
    qtbot.waitUntil(lambda: view.titles.rowCount() == 1)
    assert rows(view.titles) == [
        {"name": "Google Chrome", "publisher": "Google", "devices": 12, "versions": 2}
    ]
    # a single match is picked at once
    assert {r["version"]: r["devices"] for r in rows(view.versions)} == {"124.0": 8, "123.0": 4}
    assert view.devices.rowCount() == 12
    assert view.devices_heading.text() == "12 devices with Google Chrome"

    assert view.select_title("Google Chrome", "123.0")
    assert sorted(r["device_id"] for r in rows(view.devices)) == [9, 10, 11, 12]
    assert view.devices_heading.text() == "4 devices with Google Chrome 123.0"


def test_sort_titles_by_device_count(qtbot, ctx):
    view = SoftwareView(ctx)
    qtbot.addWidget(view)
    view.titles_table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    top = rows(view.titles)[:2]
    assert {r["name"] for r in top} == {"Google Chrome", "7-Zip"}


def test_no_match_explains(qtbot, ctx):
    view = SoftwareView(ctx)
    qtbot.addWidget(view)
    view.search("zzz-not-installed")
    assert view.titles.rowCount() == 0
    assert "No software title contains" in view.empty_label.text()
    assert view.empty_label.isVisibleTo(view)


def test_double_click_device_opens_it(qtbot, ctx):
    view = SoftwareView(ctx)
    qtbot.addWidget(view)
    view.search("Firefox")
    assert view.devices.rowCount() == 4
    index = view.devices.index(0, 0)
    with qtbot.waitSignal(view.open_device_requested) as opened:
        view.devices_table.doubleClicked.emit(index)
    assert opened.args == [view.devices.row_at(0)["device_id"]]
