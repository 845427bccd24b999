"""A fresh install opens the first-run wizard; what it sets up takes effect at once."""

from __future__ import annotations

import asyncio

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
        assert ctx.psa is not None  # opened, migrated and signed in as the local admin
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
