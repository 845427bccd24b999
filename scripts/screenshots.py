"""Render every desktop view to docs/screenshots/*.png from demo data (`make screenshots`).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [out_dir]

Demo data: the NinjaOne simulator (a seeded fleet with a few alerts, failed patches and
offline devices raised through SimControl) synced into a temporary cache by the real sync
engine, plus a few PSA tickets in the cache mirror. `SCREENSHOTS` is a list of
(name, build(ctx) -> QWidget); adding a view is one line. The Alerts/Tickets/Software/Settings
views render through scripts/screenshots_views.py (its own demo PSA) at the end.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ninja_desk.cache.store import LocalCache  # noqa: E402
from ninja_desk.psa.permissions import ALL_PERMISSIONS  # noqa: E402
from ninja_desk.settings import Settings  # noqa: E402
from ninja_desk.ui.context import AppContext  # noqa: E402

SIZE = (1400, 860)
DEMO_CLIENT = ("demo-client", "demo-secret")  # the simulator's published test client

_windows: dict[int, QWidget] = {}


def settle(seconds: float = 0.25) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


def demo_fleet(folder: Path, base_url: str) -> AppContext:
    """Sync the running simulator into a fresh cache and return a connected context."""
    from ninja_desk.cache.synthetic import add_ticket
    from ninja_desk.ninjaone.session import open_api
    from ninja_desk.simulator.client import SimControl, SimControlError
    from ninja_desk.sync.engine import SyncEngine
    from ninja_desk.sync.remote_connect import LaunchRecord, record_in_cache_log

    with SimControl(base_url) as sim:
        for device_id, severity in ((3, "CRITICAL"), (8, "CRITICAL"), (12, "MAJOR"),
                                    (15, "MAJOR"), (21, "MODERATE"), (30, "MINOR"),
                                    (33, "CRITICAL"), (40, "MODERATE")):  # fmt: skip
            sim.trigger_alert(device_id, severity)
        failed = 0
        for device_id in range(1, 60):  # the first few devices that have a pending OS patch
            try:
                sim.patch_failed(device_id)
            except SimControlError:
                continue
            failed += 1
            if failed == 3:
                break
        for device_id in (17, 18, 19, 44):
            sim.set_offline(device_id)
    settings = Settings(custom_base_url=base_url, client_id=DEMO_CLIENT[0], demo=True)
    cache = LocalCache(folder / "cache.sqlite3")
    api = open_api(base_url, *DEMO_CLIENT, lock_dir=folder)
    engine = SyncEngine(api, cache)

    async def sync_once() -> None:
        try:
            await engine.sync("full")
        finally:
            await api.client.aclose()  # its connections belong to this loop

    asyncio.run(sync_once())
    add_ticket(cache, "t-1", 3, number="T-2041", title="Backup job failing nightly",
               client_name="Demo")  # fmt: skip
    add_ticket(cache, "t-2", 3, number="T-1988", title="New starter laptop", status="Closed")
    # A remote session from yesterday, so the History tab shows the launch log.
    launch = LaunchRecord("demo technician", time.time() - 86400, 3, "device 3", "t-1")
    cache.write_blocking(record_in_cache_log, launch)
    return AppContext(data_dir=folder, cache=cache, settings=settings, sync=engine,
                      permissions=ALL_PERMISSIONS, open_url=lambda url: None)  # fmt: skip


def main_window(ctx: AppContext) -> QWidget:
    from ninja_desk.ui.app import build_main_window

    window = _windows.get(id(ctx))
    if window is None:
        window = build_main_window(ctx)
        window.resize(*SIZE)
        window.show()
        _windows[id(ctx)] = window
    window.banner.hide()
    window.search_popup.hide()
    window._set_syncing(False)
    return window


def dashboard(ctx: AppContext) -> QWidget:
    window = main_window(ctx)
    window.show_view("dashboard")
    return window


def devices(ctx: AppContext) -> QWidget:
    window = main_window(ctx)
    window.show_devices({})
    window.open_device(3)
    return window


def devices_offline_filter(ctx: AppContext) -> QWidget:
    window = main_window(ctx)
    view = window.show_devices({"status": "offline"})
    view.table.selectRow(0)
    return window


def device_tab(
    index: int, device: int | str = 3, search: str = ""
) -> Callable[[AppContext], QWidget]:
    """The device panel on tab `index`; `device` is an id or a query picking one."""

    def build(ctx: AppContext) -> QWidget:
        device_id = device if isinstance(device, int) else ctx.cache.scalar(device + " LIMIT 1")
        window = main_window(ctx)
        view = window.show_devices({})
        window.open_device(device_id)
        view.detail.tabs.setCurrentIndex(index)
        if search:
            view.detail.software_search.set_text_now(search)
        view.detail.alert_table.selectRow(0)
        return window

    return build


def search_popup(ctx: AppContext) -> QWidget:
    window = main_window(ctx)
    window.show_view("dashboard")
    window.focus_search()
    window.search.set_text_now("SRV")
    return window


def sync_and_notice(ctx: AppContext) -> QWidget:
    from ninja_desk.ui.notifier import alert_notice

    window = main_window(ctx)
    window.show_view("dashboard")
    alert = ctx.cache.rows(
        "SELECT a.*, d.name AS device_name FROM alerts a JOIN devices d ON d.id = a.device_id "
        "WHERE a.severity = 'CRITICAL' LIMIT 1"
    )
    if alert:
        window.banner.show_notice(alert_notice(alert[0]))
    window._set_syncing(True)
    window._on_sync_progress("software", 4200, "Software inventory")
    return window


def dark(build: Callable[[AppContext], QWidget]) -> Callable[[AppContext], QWidget]:
    def render(ctx: AppContext) -> QWidget:
        from ninja_desk.ui.app import build_main_window
        from ninja_desk.ui.theme import apply_theme

        app = QApplication.instance()
        apply_theme(app, dark=True)
        window = build_main_window(ctx)
        window.resize(*SIZE)
        window.show()
        _windows[id(ctx)] = window
        try:
            return build(ctx)
        finally:
            settle()
            window.grab().save(str(_pending_path))
            apply_theme(app, dark=False)
            _windows.pop(id(ctx))
            window.close()

    return render


_pending_path = Path()

SCREENSHOTS: list[tuple[str, Callable[[AppContext], QWidget]]] = [
    ("dashboard", dashboard),
    ("devices", devices),
    ("devices-offline-filter", devices_offline_filter),
    ("device-alerts", device_tab(1)),
    ("device-patches", device_tab(2, "SELECT id FROM devices WHERE failed_os_patches > 0")),
    ("device-software", device_tab(3, search="micro")),
    ("device-tickets", device_tab(4)),
    ("device-history", device_tab(5)),
    ("device-offline-remote-disabled", device_tab(0, "SELECT id FROM devices WHERE offline = 1")),
    ("search", search_popup),
    ("sync-progress-and-notice", sync_and_notice),
    ("dashboard-dark", dark(dashboard)),
    ("devices-dark", dark(devices)),
]


def render_all(out_dir: Path) -> list[Path]:
    global _pending_path
    from ninja_desk.simulator import SimulatorConfig, run_simulator_in_thread

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_simulator_in_thread(SimulatorConfig(orgs=8, devices=150, seed=7)) as sim,
    ):
        ctx = demo_fleet(Path(tmp), sim.base_url)
        for name, build in SCREENSHOTS:
            path = out_dir / f"{name}.png"
            _pending_path = path
            widget = build(ctx)
            if widget.isVisible():  # the dark variants saved themselves and closed
                settle()
                widget.grab().save(str(path))
            written.append(path)
        for window in _windows.values():
            window._quitting = True
            window.close()
        ctx.cache.close()
    return written


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    from ninja_desk.ui.theme import apply_theme

    apply_theme(app, dark=False)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    for path in render_all(out):
        print(path)
    try:
        import screenshots_views  # the other views, with their own demo PSA
    except ImportError as exc:
        print(f"skipping the other views: {exc}", file=sys.stderr)
    else:
        for path in screenshots_views.render_all(out):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
