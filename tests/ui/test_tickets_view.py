from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from ninja_desk.psa.permissions import REMOTE_CONNECT
from ninja_desk.sync.remote_connect import launches_in_cache
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.models.ticket_table_model import TicketTableModel
from ninja_desk.ui.views.tickets_view import TicketsView
from tests.ui.alerts_tickets_sample_data import make_ctx


class FakeApi:
    def __init__(self) -> None:
        self.asked: list[int] = []

    async def dashboard_url(self, device_id: int) -> dict:
        self.asked.append(device_id)
        return {"url": f"https://eu.ninjarmm.com/remote/{device_id}"}


class FakeSync:
    def __init__(self) -> None:
        self.api = FakeApi()
        self.running = False


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
    assert view.title_label.text() == "1002 · Replace backup disk"
    names = [view.devices_list.item(i).text() for i in range(view.devices_list.count())]
    assert [n.split()[0] for n in names] == ["BIRCH-PC02", "BIRCH-PC05"]
    view.devices_list.setCurrentRow(1)
    with qtbot.waitSignal(view.open_device_requested) as opened:
        view.open_device_button.click()
    assert opened.args == [5]

    assert view.select_ticket("t-1")
    assert view.alerts_list.count() == 1
    with qtbot.waitSignal(view.open_alert_requested) as opened:
        view.alerts_list.itemDoubleClicked.emit(view.alerts_list.item(0))
    assert opened.args == ["alert-0000"]
    assert view.select_ticket("t-3")  # closed: the filter is cleared to show it
    assert view.status_combo.currentData() == "all"
    assert view.reason_label.text() == "No assets are linked to this ticket."
    assert not view.select_ticket("nope")


def test_remote_connect_reasons(qtbot, ctx):
    view = TicketsView(ctx)
    qtbot.addWidget(view)
    view.select_ticket("t-1")
    assert not view.remote_button.isEnabled()
    assert "Connect NinjaOne" in view.remote_button.toolTip()
    ctx.sync = FakeSync()
    view.refresh()
    assert "right" in view.remote_button.toolTip()  # no remote.connect right
    ctx.permissions = frozenset({REMOTE_CONNECT})
    view.refresh()
    assert view.remote_button.isEnabled()
    ctx.cache.write_blocking(lambda c: c.execute(text("UPDATE devices SET offline = 1")))
    view.refresh()
    assert "offline" in view.remote_button.toolTip()


def test_remote_connect_launches_and_records_against_the_ticket(qtbot, ctx):
    """The launch is async (NinjaOne API); run it on a qasync loop, without qtbot.wait*."""
    import qasync

    ctx.sync = FakeSync()
    ctx.permissions = frozenset({REMOTE_CONNECT})
    view = TicketsView(ctx)
    qtbot.addWidget(view)
    view.select_ticket("t-2")
    view.devices_list.setCurrentRow(1)
    loop = qasync.QEventLoop(QApplication.instance(), already_running=False)

    async def click_and_wait() -> None:
        view.remote_button.click()
        for _ in range(200):
            if "opened" in view.reason_label.text() or "failed" in view.reason_label.text():
                return
            await asyncio.sleep(0.01)

    try:
        loop.run_until_complete(click_and_wait())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert view.reason_label.text().startswith("Remote session opened"), view.reason_label.text()
    assert ctx.sync.api.asked == [5]
    assert ctx.opened_urls == ["https://eu.ninjarmm.com/remote/5"]
    assert [(r["device_id"], r["ticket_id"]) for r in launches_in_cache(ctx.cache)] == [(5, "t-2")]


def test_empty_cache_explains_itself(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, filled=False)
    view = TicketsView(ctx)
    qtbot.addWidget(view)
    assert view.model.rowCount() == 0
    assert view.empty_label.isVisibleTo(view)
    ctx.cache.close()


def test_header_shows_alga_numbers_and_the_tenants_own_names(qtbot, ctx):
    ctx.cache.write_blocking(
        lambda c: c.exec_driver_sql(
            "UPDATE psa_tickets SET number = 'TIC000001', priority = 'P1 - Critical', "
            "status = 'Curious Beginning' WHERE id = 't-2'"
        )
    )
    view = TicketsView(ctx)
    qtbot.addWidget(view)
    assert view.select_ticket("t-2")
    assert view.title_label.text().startswith("TIC000001 ")
    assert "#" not in view.title_label.text()
    # a tenant's priority and status names are shown as Alga shows them, never re-cased
    assert view.fields["priority"].text() == "P1 - Critical"
    assert view.fields["status"].text() == "Curious Beginning"
