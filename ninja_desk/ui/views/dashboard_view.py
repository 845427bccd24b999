"""Compliance at a glance: status, patches, antivirus, alerts, stale devices, per client.

Every chart item is clickable (and keyboard-activatable) through to the filtered device or
alert list; the shell routes `show_devices_requested(filter)` / `show_alerts_requested(filter)`.
All numbers come from a handful of aggregate queries on the denormalised `devices` columns.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries.fleet import ALERTS_SQL, CLIENTS_SQL, STATS_SQL
from ninja_desk.ui.a11y import named
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.theme import BAD, GOOD, MUTED, SEVERITY_COLORS, WARN
from ninja_desk.ui.views.base import View
from ninja_desk.ui.widgets.charts import BarChart, ChartItem, DonutChart


class _Card(QFrame):
    def __init__(self, title: str, body: QWidget, hint: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        heading = QLabel(f"<b>{title}</b>", self)
        heading.setAccessibleName(title)
        sub = QLabel(hint, self)
        sub.setAccessibleName(f"{title}: {hint}")
        sub.setStyleSheet("color: palette(placeholder-text);")
        sub.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(sub)
        layout.addWidget(body, 1)


class DashboardView(View):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.stats: dict[str, Any] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setAccessibleName("Dashboard")
        outer.addWidget(scroll)
        page = QWidget()
        scroll.setWidget(page)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(16, 12, 16, 16)
        header = QHBoxLayout()
        self.headline = QLabel(page)
        self.headline.setAccessibleName("Fleet summary")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        header.addWidget(self.headline, 1)
        self.stale_button = named(
            QPushButton(page),
            "Devices not seen recently",
            "Open the devices not seen for the configured number of days",
        )
        self.stale_button.clicked.connect(lambda: self._devices({"not_seen_days": self.stale_days}))
        header.addWidget(self.stale_button)
        layout.addLayout(header)

        grid = QGridLayout()
        grid.setSpacing(12)
        self.status_chart = DonutChart("Device status", page)
        self.patch_chart = BarChart("Patches", page)
        self.av_chart = BarChart("Antivirus issues", page)
        self.alert_chart = BarChart("Active alerts by severity", page)
        self.client_chart = BarChart("Clients needing attention", page)
        self.status_chart.activated.connect(lambda key: self._devices({"status": key}))
        self.patch_chart.activated.connect(lambda key: self._devices({"patch": key}))
        self.av_chart.activated.connect(lambda key: self._devices({"av": key}))
        self.alert_chart.activated.connect(
            lambda key: self.show_alerts_requested.emit({"severity": key, "status": "TRIGGERED"})
        )
        self.client_chart.activated.connect(lambda key: self._devices({"org_id": key}))
        grid.addWidget(
            _Card(
                "Device status",
                self.status_chart,
                "Agent state now. Click a slice to list those devices.",
            ),
            0,
            0,
        )
        grid.addWidget(
            _Card(
                "Active alerts",
                self.alert_chart,
                "Triggered alerts by severity. Click to open the alert list.",
            ),
            0,
            1,
        )
        grid.addWidget(
            _Card(
                "Patches",
                self.patch_chart,
                "Devices with pending or failed OS and software patches.",
            ),
            1,
            0,
        )
        grid.addWidget(
            _Card("Antivirus", self.av_chart, "Devices whose protection needs attention."), 1, 1
        )
        grid.addWidget(
            _Card(
                "Per client",
                self.client_chart,
                "Offline, alerting or failed-patch devices per client.",
            ),
            2,
            0,
            1,
            2,
        )
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.refresh()

    @property
    def stale_days(self) -> int:
        return max(1, int(self.ctx.settings.stale_after_days or 30))

    def _devices(self, device_filter: dict[str, Any]) -> None:
        self.show_devices_requested.emit(device_filter)

    def refresh(self) -> None:
        cache = self.ctx.cache
        stale_before = time.time() - self.stale_days * 86400
        self.stats = cache.rows(STATS_SQL, stale_before=stale_before)[0]
        s = self.stats
        alerts = {r["severity"]: r["n"] for r in cache.rows(ALERTS_SQL)}
        total_alerts = sum(alerts.values())
        self.headline.setText(
            f"<span style='font-size:15pt'><b>{s['total']:,}</b> devices</span>"
            f"&nbsp;&nbsp;·&nbsp;&nbsp;<b>{s['offline']:,}</b> offline"
            f"&nbsp;&nbsp;·&nbsp;&nbsp;<b>{total_alerts:,}</b> active alerts"
            f"&nbsp;&nbsp;·&nbsp;&nbsp;<b>{alerts.get('CRITICAL', 0):,}</b> critical"
        )
        self.stale_button.setText(f"Not seen for {self.stale_days}+ days: {s['stale']:,}")
        self.status_chart.set_items(
            [
                ChartItem("Online", s["online"], GOOD, "online"),
                ChartItem("Offline", s["offline"], MUTED, "offline"),
                ChartItem("Unknown", s["unknown"], "#a16207", "unknown"),
            ]
        )
        self.patch_chart.set_items(
            [
                ChartItem("OS patches pending", s["os_pending"], WARN, "os_pending"),
                ChartItem("OS patches failed", s["os_failed"], BAD, "os_failed"),
                ChartItem("Software patches pending", s["sw_pending"], "#d97706", "sw_pending"),
                ChartItem("Software patches failed", s["sw_failed"], "#b91c1c", "sw_failed"),
            ]
        )
        self.av_chart.set_items(
            [
                ChartItem("Protection off", s["av_off"], BAD, "off"),
                ChartItem("Definitions out of date", s["av_outdated"], WARN, "outdated"),
                ChartItem("No antivirus reported", s["av_missing"], "#a16207", "missing"),
            ]
        )
        named_levels = ("CRITICAL", "MAJOR", "MODERATE", "MINOR")
        rows = [
            ChartItem(sev.title(), alerts.get(sev, 0), SEVERITY_COLORS[sev], sev)
            for sev in named_levels
        ]
        # Alerts without a severity (older tenants, NONE) count in the header, so here too.
        other = total_alerts - sum(alerts.get(sev, 0) for sev in named_levels)
        if other:
            rows.append(ChartItem("No severity", other, SEVERITY_COLORS["NONE"], "NONE"))
        self.alert_chart.set_items(rows)
        clients = cache.rows(CLIENTS_SQL, n=8)
        self.client_chart.set_items(
            [
                ChartItem(
                    f"{c['name']} — {c['offline']} offline, {c['alerting']} alerting, "
                    f"{c['failed']} failed patches",
                    c["attention"],
                    BAD if c["alerting"] else WARN,
                    c["id"],
                )
                for c in clients
            ]
        )
