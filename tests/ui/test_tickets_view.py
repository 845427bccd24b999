from __future__ import annotations

from collections.abc import Iterator

import pytest

from ninja_desk.psa.permissions import REMOTE_CONNECT
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.models.ticket_table_model import TicketTableModel
from ninja_desk.ui.views.tickets_view import NO_NINJA, NO_REMOTE, TicketsView
from tests.ui.alerts_tickets_sample_data import make_ctx


class FakeRemote:
    def __init__(self) -> None:
        self.devices: list[int] = []

    def connect(self, device_id: int) -> None:
        self.devices.append(device_id)


@pytest.fixture
def ctx(tmp_path) -> Iterator[AppContext]:
    ctx = make_ctx(tmp_path)
    yield ctx
    ctx.cache.close()


def shown_numbers(view: TicketsView) -> list[str]:
    return [view.model.row_at(i)["number"] for i in range(view.model.rowCount())]


def test_model_passes_modeltester(qtmodeltester, ctx):
    model = TicketTableModel(ctx.cache)
    model.filter.status = "all"
    model.reload()
    assert model.rowCount() == 3
    qtmodeltester.check(model, force_py=True)


def test_status_and_search_filter(qtbot, ctx):
    view = TicketsView(ctx)
    qtbot.addWidget(view)
    assert sorted(shown_numbers(view)) == ["1001", "1002"]  # open by default
    view.status_combo.setCurrentIndex(view.status_combo.findData("closed"))
    assert shown_numbers(view) == ["1003"]
    view.status_combo.setCurrentIndex(view.status_combo.findData("all"))
    view.search_edit.setText("birch")
    qtbot.waitUntil(lambda: shown_numbers(view) == ["1002"])
    assert view.count_label.text() == "1 tickets"
    assert not view.empty_label.isVisibleTo(view)


def test_open_ticket_shows_linked_assets_and_alerts(qtbot, ctx):
    view = TicketsView(ctx)
    qtbot.addWidget(view)
    assert view.select_ticket("t-2")
    assert view.title_label.text() == "#1002 Replace backup disk"
    names = [view.devices_list.item(i).text() for i in range(view.devices_list.count())]
    assert [n.split()[0] for n in names] == ["BIRCH-PC02", "BIRCH-PC05"]
    view.devices_list.setCurrentRow(1)
    with qtbot.waitSignal(view.open_device) as opened:
        view.open_device_button.click()
    assert opened.args == [5]

    assert view.select_ticket("t-1")
    assert view.alerts_list.count() == 1
    assert view.select_ticket("t-3")  # closed: the filter is cleared to show it
    assert view.status_combo.currentData() == "all"
    assert view.reason_label.text() == "No assets are linked to this ticket."
    assert not view.select_ticket("nope")


def test_remote_connect_reasons_and_call(qtbot, ctx):
    view = TicketsView(ctx)
    qtbot.addWidget(view)
    view.select_ticket("t-1")
    assert not view.remote_button.isEnabled()
    assert view.remote_button.toolTip() == NO_NINJA
    ctx.sync = object()
    view.refresh()
    assert view.remote_button.toolTip() == NO_REMOTE
    remote = ctx.remote_connect = FakeRemote()
    view.refresh()
    assert "right" in view.remote_button.toolTip()
    ctx.permissions = frozenset({REMOTE_CONNECT})
    view.refresh()
    assert view.remote_button.isEnabled()
    view.remote_button.click()
    qtbot.waitUntil(lambda: view.reason_label.text() == "Remote session requested.")
    assert remote.devices == [1]


def test_empty_cache_explains_itself(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, filled=False)
    view = TicketsView(ctx)
    qtbot.addWidget(view)
    assert view.model.rowCount() == 0
    assert view.empty_label.isVisibleTo(view)
    ctx.cache.close()
