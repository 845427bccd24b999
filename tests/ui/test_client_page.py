"""The Clients view and a client's page: numbers from the cache, links into the filtered
Devices, Alerts and Patches views, the open tickets from the PSA mirror, models checked."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ninja_desk.cache.queries import clients as cq
from ninja_desk.cache.synthetic import add_ticket
from ninja_desk.ui.main_window import MainWindow
from ninja_desk.ui.models.client_models import (
    ClientDevicesModel,
    ClientListModel,
    ClientTicketsModel,
)


def _busiest_org(ctx) -> int:
    return int(ctx.cache.scalar(
        "SELECT organization_id FROM devices WHERE deleted = 0 "
        "GROUP BY organization_id ORDER BY count(*) DESC, organization_id LIMIT 1"
    ))  # fmt: skip


def _open_client(qtbot, window: MainWindow, org: int):
    view = window.open_client(org)
    page = view.page
    qtbot.waitUntil(lambda: page.summary is not None and page.summary.org_id == org, timeout=5000)
    qtbot.waitUntil(lambda: not page.devices.loading and not page.tickets.loading, timeout=5000)
    return view, page


@pytest.mark.parametrize("cls", [ClientListModel, ClientDevicesModel, ClientTicketsModel])
def test_models_pass_modeltester(qtmodeltester, qtbot, ctx, cls) -> None:
    org = _busiest_org(ctx)
    for n in range(5):
        add_ticket(ctx.cache, f"t{n}", int(ctx.cache.scalar(
            "SELECT id FROM devices WHERE organization_id = :o AND deleted = 0 LIMIT 1", o=org
        )), number=str(100 + n), title=f"Ticket {n}")  # fmt: skip
    model = cls(ctx.cache)
    model.org_id = org
    model.background = False
    model.page_size = 2
    model.reload()
    assert model.rowCount() == 2
    qtmodeltester.check(model, force_py=True)
    model.fetch_all_until(lambda _r: False)
    assert model.rowCount() == model.total > 2
    model.background = True
    with qtbot.waitSignal(model.reloaded, timeout=5000):
        model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == 2


def test_page_shows_the_clients_numbers(qtbot, window: MainWindow, ctx) -> None:
    org = _busiest_org(ctx)
    device = int(ctx.cache.scalar(
        "SELECT id FROM devices WHERE organization_id = :o AND deleted = 0 LIMIT 1", o=org
    ))  # fmt: skip
    add_ticket(ctx.cache, "tk-open", device, number="4242", title="Printer jam")
    add_ticket(ctx.cache, "tk-closed", device, number="4243", title="Done", status="Closed")
    view, page = _open_client(qtbot, window, org)
    assert window.current_key == "clients"
    expected = cq.client_summary(ctx.cache, org)
    assert page.summary == expected
    assert page.title.text() == expected.name
    assert f"<b>{expected.devices:,}</b></span> devices" in page.devices_card.value.text()
    assert page.device_links["offline"].text() == f"Offline ({expected.offline:,})"
    assert page.tickets.total == expected.open_tickets == 1
    assert page.tickets.row_at(0)["number"] == "4242"
    assert f"{expected.compliance:.0f}%" in page.patch_card.value.text()
    assert page.devices.total == expected.devices
    assert page.tabs.tabText(0) == f"Devices ({expected.devices:,})"
    qtbot.waitUntil(lambda: view.table.currentIndex().isValid(), timeout=5000)
    assert view.model.row_at(view.table.currentIndex().row())["id"] == org


def test_links_open_the_filtered_views(qtbot, window: MainWindow, ctx) -> None:
    org = _busiest_org(ctx)
    _view, page = _open_client(qtbot, window, org)
    page.device_links["offline"].click()
    devices = window.views["devices"]
    assert window.current_key == "devices"
    assert (devices.filter.org_id, devices.filter.status) == (org, "offline")
    window.open_client(org)
    page.alert_links["CRITICAL"].click()
    alerts = window.views["alerts"]
    assert window.current_key == "alerts"
    assert alerts.filter_state()["organization_id"] == org
    assert alerts.filter_state()["severity"] == ["CRITICAL"]
    window.open_client(org)
    page.patch_links["failed"].click()
    patches = window.views["patches"]
    assert window.current_key == "patches"
    assert (patches.filter.org_id, patches.filter.status, patches.mode) == (org, "failed", "kb")
    window.open_client(org)
    page.tickets_link.click()
    assert window.current_key == "tickets"


def test_patch_view_opens_a_client_page(qtbot, window: MainWindow) -> None:
    patches = window.show_patches({"mode": "client"})
    qtbot.waitUntil(lambda: patches.by_client.rowCount() > 0, timeout=5000)
    org = int(patches.by_client.row_at(0)["org_id"])
    patches.client_table.activated.emit(patches.by_client.index(0, 0))
    assert window.current_key == "clients"
    assert window.views["clients"].page.org_id == org


def test_search_and_unknown_client(qtbot, window: MainWindow, ctx) -> None:
    view = window.show_view("clients")
    view.search.set_text_now("harb")
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=5000)
    assert view.model.row_at(0)["name"].startswith("Harbor")
    page = view.page
    page.show_client(999)
    qtbot.waitUntil(lambda: page.status.text() != "Loading…", timeout=5000)
    assert page.status.text() == "This client is not in the local cache."


def test_remembers_the_client(qtbot, window: MainWindow, ctx) -> None:
    org = _busiest_org(ctx)
    _open_client(qtbot, window, org)
    window.save_state()
    from ninja_desk.ui.app import build_main_window

    second = build_main_window(ctx)
    qtbot.addWidget(second)
    assert second.show_view("clients").page.org_id == org
    second._quitting = True


def test_enter_on_a_device_row_opens_it_once(qtbot, window: MainWindow, ctx) -> None:
    org = _busiest_org(ctx)
    _view, page = _open_client(qtbot, window, org)
    opened: list[int] = []
    page.open_device_requested.connect(opened.append)
    table = page.devices_table
    table.setFocus()
    table.setCurrentIndex(page.devices.index(1, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened == [page.devices.row_at(1)["id"]]
