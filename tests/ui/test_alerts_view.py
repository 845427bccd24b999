from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import insert, text

from ninja_desk.cache import schema
from ninja_desk.psa.permissions import ACT_ALERTS, CREATE_TICKETS
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.models.alert_table_model import AlertTableModel
from ninja_desk.ui.views.alerts_view import NO_PSA, NO_RESET, NO_SERVICE, AlertsView
from tests.ui.alerts_tickets_sample_data import N_ALERTS, make_ctx


class FakeAlertService:
    """Records calls and changes the cache row the way the pipeline would."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.calls: list[tuple[str, str]] = []

    def _update(self, sql: str, uid: str) -> None:
        self.ctx.cache.write_blocking(lambda c: c.execute(text(sql), {"u": uid, "t": time.time()}))

    def acknowledge(self, uid: str) -> SimpleNamespace:
        self.calls.append(("acknowledge", uid))
        self._update(
            "UPDATE alerts SET acknowledged_at = :t, acknowledged_by = 'me' WHERE uid = :u", uid
        )
        return SimpleNamespace(message="Alert acknowledged by you.")  # like ActionResult

    def resolve(self, uid: str, reset_in_ninjaone: bool = False) -> None:
        self.calls.append(("resolve", uid, reset_in_ninjaone))
        self._update("UPDATE alerts SET status = 'RESET', resolved_at = :t WHERE uid = :u", uid)

    def create_ticket(self, uid: str) -> None:
        self.calls.append(("create_ticket", uid))
        self._update(
            "UPDATE alerts SET ticket_id = 't-9', ticket_number = '1009', "
            "decision = 'Ticket created by hand' WHERE uid = :u",
            uid,
        )


@pytest.fixture
def ctx(tmp_path) -> Iterator[AppContext]:
    ctx = make_ctx(tmp_path)
    yield ctx
    ctx.cache.close()


def open_count(ctx: AppContext) -> int:
    return ctx.cache.scalar("SELECT COUNT(*) FROM alerts WHERE status = 'TRIGGERED'")


def test_model_passes_modeltester(qtmodeltester, ctx):
    model = AlertTableModel(ctx.cache)
    model.reload()
    qtmodeltester.check(model, force_py=True)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == open_count(ctx)
    qtmodeltester.check(model, force_py=True)


def test_pages_in_and_sorts_in_sql(qtbot, ctx):
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    model = view.model
    assert model.rowCount() == model.PAGE < open_count(ctx)
    assert model.canFetchMore()
    view.table.scrollToBottom()
    model.fetchMore()
    assert model.rowCount() == min(2 * model.PAGE, open_count(ctx))
    # default: newest first
    times = [model.row_at(i)["create_time"] for i in range(model.rowCount())]
    assert times == sorted(times, reverse=True)
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert model.row_at(0)["severity"] == "CRITICAL"
    assert model.rowCount() == model.PAGE  # a new sort starts again at the first page


def test_filters_change_what_is_shown(qtbot, ctx):
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    view.severity_buttons["CRITICAL"].setChecked(True)
    while view.model.canFetchMore():
        view.model.fetchMore()
    rows = [view.model.row_at(i) for i in range(view.model.rowCount())]
    assert rows and {r["severity"] for r in rows} == {"CRITICAL"}
    assert all(r["status"] == "TRIGGERED" for r in rows)

    view.apply_filter({"status": "reset"})
    assert view.severity_buttons["CRITICAL"].isChecked() is False
    statuses = {view.model.row_at(i)["status"] for i in range(view.model.rowCount())}
    assert statuses == {"RESET"}

    view.apply_filter({"status": "all", "client": 2})
    assert view.client_combo.currentData() == 2
    orgs = {view.model.row_at(i)["organization_id"] for i in range(view.model.rowCount())}
    assert orgs == {2}

    view.apply_filter({"status": "all", "device_id": 5})
    assert {view.model.row_at(i)["device_id"] for i in range(view.model.rowCount())} == {5}

    view.apply_filter({"status": "all"})
    view.device_edit.setText("cobalt-pc03")  # debounced, case-insensitive LIKE
    qtbot.waitUntil(lambda: view.model.rowCount() < 100)
    assert {view.model.row_at(i)["device_name"] for i in range(view.model.rowCount())} == {
        "COBALT-PC03"
    }
    view.text_edit.setText("no such message")
    qtbot.waitUntil(lambda: view.model.rowCount() == 0)
    assert view.count_label.text() == "0 alerts"


def test_select_alert_pages_in_and_clears_hiding_filters(qtbot, ctx):
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    assert view.select_alert(f"alert-{N_ALERTS - 2:04d}")  # oldest open: beyond page one
    assert view.current_alert()["uid"] == f"alert-{N_ALERTS - 2:04d}"
    assert view.select_alert("alert-0006")  # RESET: hidden by the "open" default
    assert view.status_combo.currentData() == "all"
    assert view.detail_fields["status"].text().startswith("Reset")
    assert not view.select_alert("no-such-alert")


def test_detail_shows_rule_decision(qtbot, ctx):
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    view.select_alert("alert-0000")
    assert view.decision_label.text() == (
        "Ticket created\nRule 'Critical servers' matched."
        "\nRule: Critical servers · priority P1 - Critical"
    )
    assert view.detail_fields["ticket"].text() == "#1001"
    view.select_alert("alert-0003")
    assert "No rule matched" in view.decision_label.text()
    view.select_alert("alert-0001")
    assert view.decision_label.text() == "No rule has looked at this alert yet."


def test_actions_disabled_with_reasons_without_services(qtbot, ctx):
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    view.select_alert("alert-0001")
    assert not view.ack_button.isEnabled()
    assert view.ack_button.toolTip() == NO_PSA
    assert view.create_ticket_button.toolTip() == NO_PSA
    assert NO_PSA in view.reason_label.text()
    assert not view.open_ticket_button.isEnabled()
    assert view.open_device_button.isEnabled()
    assert not view.reset_check.isEnabled()
    assert view.reset_check.toolTip() == NO_RESET

    ctx.psa = object()
    view.select_alert("alert-0002")
    assert view.ack_button.toolTip() == NO_SERVICE

    ctx.alerts = FakeAlertService(ctx)
    view.select_alert("alert-0001")
    assert "right" in view.ack_button.toolTip()  # empty permissions: read-only


def test_actions_call_the_service_and_the_view_updates(qtbot, ctx):
    ctx.sync, ctx.psa = object(), object()
    ctx.permissions = frozenset({ACT_ALERTS, CREATE_TICKETS})
    service = ctx.alerts = FakeAlertService(ctx)
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    view.select_alert("alert-0001")
    assert view.ack_button.isEnabled()

    view.ack_button.click()
    qtbot.waitUntil(lambda: view.detail_fields["status"].text() == "Acknowledged")
    assert service.calls == [("acknowledge", "alert-0001")]
    assert view.reason_label.text() == "Alert acknowledged by you."
    assert not view.ack_button.isEnabled()
    assert "already acknowledged" in view.ack_button.toolTip()

    view.create_ticket_button.click()
    qtbot.waitUntil(lambda: view.detail_fields["ticket"].text() == "#1009")
    assert view.decision_label.text() == "Ticket created by hand"
    assert view.open_ticket_button.isEnabled()
    with qtbot.waitSignal(view.open_ticket_requested) as requested:
        view.open_ticket_button.click()
    assert requested.args == ["t-9"]

    view.resolve_button.click()
    qtbot.waitUntil(lambda: view.current_alert()["status"] == "RESET")
    assert service.calls[-1] == ("resolve", "alert-0001", True)  # also reset in NinjaOne
    assert view.model.filter.status == "open"
    # the resolved alert left the "open" list but stays selected for the technician
    assert view.detail_fields["status"].text().startswith("Reset")


def test_service_failure_reads_as_a_sentence(qtbot, ctx):
    ctx.sync, ctx.psa = object(), object()
    ctx.permissions = frozenset({ACT_ALERTS})

    class Failing(FakeAlertService):
        def acknowledge(self, uid: str) -> None:
            raise RuntimeError("NinjaOne refused: the alert no longer exists.")

    ctx.alerts = Failing(ctx)
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    view.select_alert("alert-0001")
    view.ack_button.click()
    qtbot.waitUntil(lambda: "refused" in view.reason_label.text())
    assert view.ack_button.isEnabled()


def test_open_device_signal(qtbot, ctx):
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    view.select_alert("alert-0004")
    with qtbot.waitSignal(view.open_device_requested) as opened:
        view.open_device_button.click()
    assert opened.args == [5]


def test_async_service_runs_on_the_qasync_loop(qtbot, ctx):
    """The real AlertService is async; drive the click on a qasync loop (no qtbot.wait*)."""

    class AsyncService(FakeAlertService):
        async def acknowledge(self, uid: str) -> SimpleNamespace:  # type: ignore[override]
            await asyncio.sleep(0)
            return FakeAlertService.acknowledge(self, uid)

    ctx.psa = object()
    ctx.permissions = frozenset({ACT_ALERTS})
    service = ctx.alerts = AsyncService(ctx)
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    view.select_alert("alert-0001")
    loop = qasync.QEventLoop(QApplication.instance(), already_running=False)

    async def click_and_wait() -> None:
        view.ack_button.click()
        for _ in range(200):
            if view.detail_fields["status"].text() == "Acknowledged":
                return
            await asyncio.sleep(0.01)

    try:
        loop.run_until_complete(click_and_wait())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert service.calls == [("acknowledge", "alert-0001")]
    assert view.detail_fields["status"].text() == "Acknowledged"


def test_scrolling_a_large_alert_table(qtbot, tmp_path):
    """design.md §5: returning None from data() while scrolling must not crash; paging holds."""
    ctx = make_ctx(tmp_path / "big")
    rows = [
        {
            "uid": f"big-{i:06d}",
            "device_id": 1 + i % 12,
            "message": f"m{i}",
            "severity": "MAJOR",
            "status": "TRIGGERED",
            "create_time": 1e9 + i,
        }
        for i in range(20_000)
    ]
    ctx.cache.write_blocking(lambda c: c.execute(insert(schema.alerts), rows))
    view = AlertsView(ctx)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    bar = view.table.verticalScrollBar()
    for _ in range(30):
        bar.setValue(bar.maximum())
        QApplication.processEvents()
    assert view.model.rowCount() > 2 * view.model.PAGE
    assert view.count_label.text() == f"{20_000 + 386:,} alerts"
    ctx.cache.close()


def test_a_severity_ninjaone_did_not_report_reads_as_unknown_not_as_none(ctx):
    # NinjaOne's own NONE and "not reported" are different facts; the table keeps them apart.
    model = AlertTableModel(ctx.cache)
    assert model.cell_text({"severity": None}, "severity") == "—"
    assert model.cell_text({"severity": "NONE"}, "severity") == "None"
    assert model.cell_text({"severity": "CRITICAL"}, "severity") == "Critical"
