"""A fresh install opens the first-run wizard; what it sets up takes effect at once."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time

from PySide6.QtCore import QTimer

from ninja_desk.psa.permissions import ALL_PERMISSIONS
from ninja_desk.settings import Settings
from ninja_desk.ui.app import build_context, build_main_window, open_first_run_wizard


def test_wizard_result_applies_without_a_restart(qtbot, tmp_path) -> None:
    ctx = build_context(tmp_path)
    assert not ctx.settings.first_run_done and ctx.psa is None
    window = build_main_window(ctx)
    qtbot.addWidget(window)
    loop = asyncio.new_event_loop()
    try:
        wizard = open_first_run_wizard(ctx, window, loop)
        assert wizard.isVisible()
        # What the PSA step would have written: the embedded SQLite PSA in the data dir.
        ctx.settings.psa_url = f"sqlite:///{tmp_path / 'psa.sqlite3'}"
        wizard.skip()
        # Migrating and signing in run on a worker: the window answers meanwhile.
        assert ctx.psa is None
        qtbot.waitUntil(lambda: ctx.psa is not None, timeout=20_000)  # migrated, local admin
        assert ctx.permissions == ALL_PERMISSIONS
        assert Settings.load(tmp_path).first_run_done
    finally:
        loop.close()
        ctx.cache.close()


def test_saving_settings_reaches_the_app(qtbot, tmp_path) -> None:
    ctx = build_context(tmp_path)
    window = build_main_window(ctx)
    qtbot.addWidget(window)
    settings_view = window.show_view("settings")
    with qtbot.waitSignal(window.settings_changed, timeout=2000):
        settings_view.saved.emit()
    ctx.cache.close()


def test_an_unreachable_psa_at_start_freezes_nothing_and_says_one_sentence(qtbot, tmp_path):
    """A PostgreSQL URL whose server accepts the connection and never answers, then hangs up:
    the window keeps its loop turning the whole time and ends with one sentence."""
    from ninja_desk.ui.app import attach_psa_in_background

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_and_hang_up() -> None:
        conn, _ = listener.accept()
        time.sleep(1.0)  # the PSA "thinks" for a second
        conn.close()
        listener.close()

    server = threading.Thread(target=accept_and_hang_up, daemon=True)
    server.start()
    ctx = build_context(tmp_path)
    ctx.settings.psa_url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/alga"
    ctx.settings.psa_tenant = "msp"
    window = build_main_window(ctx)
    qtbot.addWidget(window)
    window._quitting = True
    window.show()
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    try:
        attach_psa_in_background(ctx, window)
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=20_000)
    finally:
        timer.stop()
        server.join(5)
        ctx.cache.close()
    text = window.banner.label.text()
    assert text.startswith("The PSA database is not available (")
    assert text.endswith("Check it under Settings → Integrations.")
    assert "Traceback" not in text
    assert ctx.psa is None and ctx.background is None
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    # The loop kept turning while the PSA hung for a second (a blocked loop shows a gap of
    # the whole second; the margin is for a loaded machine).
    assert len(ticks) > 20 and max(gaps) < 0.5
