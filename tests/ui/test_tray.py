from __future__ import annotations

import time

import pytest

from ninja_desk.ui.app import build_main_window
from ninja_desk.ui.main_window import MainWindow
from ninja_desk.ui.notifier import CriticalAlertWatcher, FakeNotifier, Notice
from ninja_desk.ui.tray import TrayController


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def alert(n: int) -> dict:
    return {"uid": f"a{n}", "device_id": n, "device_name": f"SRV-{n}", "message": f"Disk {n}"}


def live_watcher(clock: Clock) -> CriticalAlertWatcher:
    watcher = CriticalAlertWatcher(clock=clock)
    watcher.catching_up = False
    return watcher


def test_each_new_critical_alert_notifies_once() -> None:
    watcher = live_watcher(Clock())
    first = watcher.observe([alert(1)])
    assert first == [Notice("Critical alert on SRV-1", "Disk 1", "a1")]
    assert watcher.observe([alert(1)]) == []
    assert [n.alert_uid for n in watcher.observe([alert(1), alert(2)])] == ["a2"]


def test_a_storm_becomes_one_notice() -> None:
    watcher = live_watcher(Clock())
    notices = watcher.observe([alert(n) for n in range(12)])
    assert notices == [Notice("12 new critical alerts", "Open NinjaDesk to review them.",
                              None, 12)]  # fmt: skip


def test_more_than_three_within_ten_seconds_are_held_and_summarised() -> None:
    clock = Clock()
    watcher = live_watcher(clock)
    shown = []
    for n in range(6):
        shown += watcher.observe([alert(n)])
        clock.now += 1
    assert [s.alert_uid for s in shown] == ["a0", "a1", "a2"]
    assert watcher.holding == 3
    assert watcher.flush() == []  # the window is still open
    clock.now += 10
    assert watcher.flush() == [Notice("3 new critical alerts", "Open NinjaDesk to review them.",
                                      None, 3)]  # fmt: skip
    assert watcher.holding == 0
    clock.now += 11
    assert watcher.observe([alert(99)])[0].alert_uid == "a99"  # the window has passed


def test_silent_while_catching_up_and_while_paused() -> None:
    watcher = CriticalAlertWatcher(clock=Clock())
    assert watcher.catching_up
    assert watcher.observe([alert(n) for n in range(5)]) == []
    watcher.catching_up = False
    watcher.paused = True
    assert watcher.observe([alert(7)]) == []
    watcher.paused = False
    assert watcher.observe([alert(7)]) == []  # seen while paused: no late notice
    assert watcher.observe([alert(8)])[0].alert_uid == "a8"


def _raise_critical(ctx, *uids: str) -> None:
    device_id = ctx.cache.scalar("SELECT id FROM devices WHERE deleted = 0 LIMIT 1")

    def write(conn):
        for uid in uids:
            conn.exec_driver_sql(
                "INSERT INTO alerts (uid, device_id, message, severity, create_time, status) "
                "VALUES (?, ?, 'CPU on fire', 'CRITICAL', ?, 'TRIGGERED')",
                (uid, device_id, time.time()),
            )

    ctx.cache.write_blocking(write)


@pytest.fixture
def live_window(window: MainWindow) -> MainWindow:
    window.notifier = FakeNotifier()
    window.alert_watcher.catching_up = False
    return window


def test_window_notifies_once_per_new_critical_alert(live_window: MainWindow, ctx) -> None:
    before = live_window.critical_count
    _raise_critical(ctx, "new-1")
    live_window.bridge.cache_changed("alerts")
    live_window.bridge.cache_changed("alerts")
    live_window.bridge.flush()
    live_window.bridge.cache_changed("alerts")
    live_window.bridge.flush()
    shown = live_window.notifier.shown
    assert [n.alert_uid for n in shown] == ["new-1"]
    assert live_window.critical_count == before + 1
    assert live_window.tray.count == before + 1
    assert live_window.sidebar.item(2).text() == f"Alerts ({before + 1})"
    assert f"{before + 1} critical" in live_window.sidebar.item(2).toolTip()


def test_window_coalesces_a_storm(live_window: MainWindow, ctx) -> None:
    _raise_critical(ctx, *[f"storm-{n}" for n in range(12)])
    live_window.bridge.cache_changed("alerts")
    live_window.bridge.flush()
    assert [n.title for n in live_window.notifier.shown] == ["12 new critical alerts"]


def test_clicking_a_notice_opens_the_alert(live_window: MainWindow, ctx) -> None:
    _raise_critical(ctx, "click-me")
    live_window.bridge.cache_changed("alerts")
    live_window.bridge.flush()
    notice = live_window.notifier.shown[0]
    opened = []
    alerts = live_window.view("alerts")
    alerts.select_alert = opened.append  # AlertsView.select_alert(uid) is the agreed API
    live_window.open_notice(notice)
    assert live_window.current_key == "alerts"
    assert opened == ["click-me"]


def test_offscreen_falls_back_to_the_in_window_banner(window: MainWindow, ctx) -> None:
    assert not window.tray.available
    window.alert_watcher.catching_up = False
    _raise_critical(ctx, "banner-1")
    window.bridge.cache_changed("alerts")
    window.bridge.flush()
    assert window.banner.isVisible()
    assert "CPU on fire" in window.banner.label.text()
    assert window.banner.notice.alert_uid == "banner-1"


async def test_first_sync_catches_up_silently_then_notifies(qtbot, ctx) -> None:
    class Engine:
        api = None

        async def sync(self, mode, progress=None):
            _raise_critical(ctx, f"sync-{len(calls)}")
            calls.append(mode)

    calls: list[str] = []
    ctx.sync = Engine()
    win = build_main_window(ctx)
    qtbot.addWidget(win)
    win.notifier = FakeNotifier()
    await win.start_sync()
    win.bridge.flush()
    assert win.notifier.shown == []
    await win.start_sync()
    win.bridge.flush()
    assert [n.alert_uid for n in win.notifier.shown] == ["sync-1"]


def test_tray_menu_and_badge(qtbot) -> None:
    tray = TrayController(force_available=True)
    got = []
    tray.open_requested.connect(lambda: got.append("open"))
    tray.sync_requested.connect(lambda: got.append("sync"))
    tray.quit_requested.connect(lambda: got.append("quit"))
    tray.pause_toggled.connect(lambda paused: got.append(("pause", paused)))
    texts = [a.text() for a in tray.menu.actions()]
    assert texts == ["Open NinjaDesk", "Sync now", "Pause notifications", "Quit"]
    for action in tray.menu.actions():
        action.trigger()
    assert got == ["open", "sync", ("pause", True), "quit"]
    tray.set_count(3)
    assert "3 unacknowledged critical alerts" in tray.icon.toolTip()
    assert not tray.icon.icon().isNull()
    tray.hide()


def test_pause_persists_in_settings(window: MainWindow, ctx) -> None:
    window.tray.pause_action.trigger()
    assert window.alert_watcher.paused
    from ninja_desk.settings import Settings

    assert Settings.load(ctx.data_dir).notifications_paused


def test_window_keeps_running_in_tray_when_configured(qtbot, ctx) -> None:
    win = build_main_window(ctx)
    qtbot.addWidget(win)
    win.tray.available = True  # pretend the desktop has a tray
    win.notifier = FakeNotifier()
    win.show()
    win.close()
    assert not win.isVisible()
    assert win.notifier.shown[0].title == "NinjaDesk is still running"
    win.show()
    ctx.settings.keep_running_in_tray = False
    assert win.close()
