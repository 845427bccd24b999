from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from ninja_desk.ui.main_window import MainWindow
from ninja_desk.ui.views.dashboard_view import DashboardView
from ninja_desk.ui.widgets.charts import BarChart, ChartItem, DonutChart


@pytest.fixture
def dashboard(qtbot, ctx) -> DashboardView:
    view = DashboardView(ctx)
    qtbot.addWidget(view)
    view.resize(1100, 800)
    view.show()
    return view


def test_numbers_match_the_cache(dashboard: DashboardView, ctx) -> None:
    def count(where: str) -> int:
        return ctx.cache.scalar(f"SELECT count(*) FROM devices d WHERE d.deleted = 0 AND {where}")

    chart = dashboard.status_chart
    assert chart.value_of("online") == count("d.offline = 0")
    assert chart.value_of("offline") == count("d.offline = 1")
    assert chart.value_of("unknown") == count("d.offline IS NULL")
    assert dashboard.patch_chart.value_of("os_failed") == count("d.failed_os_patches > 0")
    assert dashboard.patch_chart.value_of("sw_pending") == count("d.pending_software_patches > 0")
    assert dashboard.av_chart.value_of("off") == count(
        "d.av_product IS NOT NULL AND d.av_state != 'ON'"
    )
    critical = ctx.cache.scalar(
        "SELECT count(*) FROM alerts WHERE status = 'TRIGGERED' AND severity = 'CRITICAL'"
    )
    assert dashboard.alert_chart.value_of("CRITICAL") == critical
    assert f"{count('1 = 1'):,}</b> devices" in dashboard.headline.text()
    stale = count(f"(d.last_contact IS NULL OR d.last_contact < {__import__('time').time()} "
                  f"- {dashboard.stale_days} * 86400)")  # fmt: skip
    assert dashboard.stale_button.text().endswith(f": {stale:,}")


def test_refresh_follows_the_cache(dashboard: DashboardView, ctx) -> None:
    online = dashboard.status_chart.value_of("online")
    ctx.cache.write_blocking(
        lambda c: c.exec_driver_sql(
            "UPDATE devices SET offline = 1 WHERE id = (SELECT min(id) FROM devices "
            "WHERE offline = 0 AND deleted = 0)"
        )
    )
    dashboard.refresh()
    assert dashboard.status_chart.value_of("online") == online - 1


def _bar_point(chart: BarChart, index: int) -> QPoint:
    return QPoint(chart.width() // 2, 4 + index * chart.ROW + chart.ROW // 2)


def test_click_a_bar_filters_the_device_list(window: MainWindow, qtbot, ctx) -> None:
    dashboard = window.show_view("dashboard")
    chart = dashboard.patch_chart
    keys = [item.key for item in chart.items]
    qtbot.mouseClick(
        chart, Qt.MouseButton.LeftButton, pos=_bar_point(chart, keys.index("os_failed"))
    )
    assert window.current_key == "devices"
    devices = window.views["devices"]
    assert devices.filter.patch == "os_failed"
    rows = [devices.model.row_at(r) for r in range(devices.model.rowCount())]
    assert rows and all(r["failed_os_patches"] > 0 for r in rows)
    assert len(rows) == chart.value_of("os_failed")


def test_keyboard_activates_the_donut_legend(window: MainWindow, qtbot) -> None:
    dashboard = window.show_view("dashboard")
    chart = dashboard.status_chart
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Down)  # Online -> Offline
    qtbot.keyClick(chart, Qt.Key.Key_Return)
    assert window.current_key == "devices"
    assert window.views["devices"].filter.status == "offline"


def test_alert_chart_routes_to_the_alert_list(window: MainWindow, qtbot) -> None:
    dashboard = window.show_view("dashboard")
    got = []
    alerts = window.view("alerts")
    alerts.apply_filter = got.append  # AlertsView.apply_filter(dict) is the agreed API
    dashboard.alert_chart.activate("CRITICAL")
    assert window.current_key == "alerts"
    assert got == [{"severity": "CRITICAL", "status": "TRIGGERED"}]


def test_stale_and_client_drill_downs(window: MainWindow, ctx) -> None:
    dashboard = window.show_view("dashboard")
    dashboard.stale_button.click()
    devices = window.views["devices"]
    assert devices.filter.not_seen_days == dashboard.stale_days
    assert devices.model.rowCount() > 0
    window.show_view("dashboard")
    org = dashboard.client_chart.items[0].key
    dashboard.client_chart.activate(org)
    assert devices.filter.org_id == org
    assert devices.client_combo.currentData() == org


def test_charts_paint_and_hit_test(qtbot) -> None:
    donut = DonutChart("Status")
    bar = BarChart("Bars")
    for chart in (donut, bar):
        qtbot.addWidget(chart)
        chart.resize(400, 160)
        chart.set_items([ChartItem("A", 3, "#f00", "a"), ChartItem("B", 1, "#0f0", "b")])
        chart.show()
        assert not chart.grab().isNull()
        assert "A: 3" in chart.accessibleDescription()
    with qtbot.waitSignal(bar.activated) as got:
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=_bar_point(bar, 1))
    assert got.args == ["b"]
    # The donut's ring is clickable: the top of the ring is the first slice.
    ring_top = QPoint(int(8 + (donut.height() - 8) / 2), 4 + 6)
    with qtbot.waitSignal(donut.activated) as got:
        qtbot.mouseClick(donut, Qt.MouseButton.LeftButton, pos=ring_top)
    assert got.args == ["a"]
