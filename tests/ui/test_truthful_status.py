"""Status that never contradicts itself (issue 13): the relay card and the status bar, the
dashboard header and its severity card, the 30-day chip and the device list it opens."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication

from ninja_desk.ui.settings.relay_card import ENV_RELAY_TOKEN, RelayCard
from tests.ui.test_settings_integrations import FakeSecrets


def test_relay_card_counts_the_environment_token_like_the_app(qtbot, ctx, monkeypatch):
    ctx.settings.relay_url = "http://127.0.0.1:9/"
    monkeypatch.delenv(ENV_RELAY_TOKEN, raising=False)
    card = RelayCard(ctx, secrets=FakeSecrets())
    qtbot.addWidget(card)
    qtbot.waitUntil(lambda: card.badge.text() == "Not configured", timeout=5000)  # read
    monkeypatch.setenv(ENV_RELAY_TOKEN, "ndr_sub_demo")
    card.load_from(ctx.settings)
    assert card.badge.text() == "Configured"  # the environment's: no keyring needed
    assert ENV_RELAY_TOKEN in card.token_edit.placeholderText()


def _add_alerts(ctx, severities):
    def write(conn):
        device = conn.exec_driver_sql("SELECT min(id) FROM devices WHERE deleted = 0").scalar()
        for n, severity in enumerate(severities):
            conn.exec_driver_sql(
                "INSERT INTO alerts (uid, device_id, message, severity, create_time, status) "
                "VALUES (?, ?, ?, ?, ?, 'TRIGGERED')",
                (f"truth-{n}", device, f"m{n}", severity, time.time()),
            )

    ctx.cache.write_blocking(write)


def test_dashboard_header_equals_the_severity_card_total(window, ctx):
    _add_alerts(ctx, ["NONE", None, "CRITICAL"])
    dashboard = window.show_view("dashboard")
    dashboard.refresh()
    header_total = int(
        dashboard.headline.text().split("active alerts")[0].rsplit("<b>", 1)[1].split("</b>")[0]
        .replace(",", "")
    )  # fmt: skip
    card_total = sum(item.value for item in dashboard.alert_chart.items)
    assert header_total == card_total


def test_stale_chip_count_equals_the_devices_it_opens(window, ctx, qtbot):
    dashboard = window.show_view("dashboard")
    dashboard.refresh()
    chip = int(dashboard.stale_button.text().rsplit(":", 1)[1].replace(",", ""))
    devices = window.show_view("devices")
    devices.combos["status"].setCurrentIndex(devices.combos["status"].findData("online"))
    dashboard = window.show_view("dashboard")
    dashboard.stale_button.click()
    devices = window.show_view("devices")
    qtbot.waitUntil(lambda: devices.total is not None and devices.total == chip, timeout=5000)
    QApplication.processEvents()
