"""General settings: tray, notifications and the stale-device threshold round-trip."""

from __future__ import annotations

from ninja_desk.settings import Settings
from ninja_desk.ui.app import build_context, build_main_window


def test_general_settings_save_and_revert(qtbot, tmp_path) -> None:
    ctx = build_context(tmp_path)
    window = build_main_window(ctx)
    qtbot.addWidget(window)
    view = window.show_view("settings")
    view.show_page("general")
    assert view.save_bar.isVisibleTo(view)
    page = view.general
    page.keep_in_tray.setChecked(False)
    page.pause_notices.setChecked(True)
    page.stale_days.setValue(14)
    assert view.save()

    saved = Settings.load(tmp_path)
    assert (saved.keep_running_in_tray, saved.notifications_paused, saved.stale_after_days) == (
        False,
        True,
        14,
    )
    # Revert shows what is saved, dropping edits.
    page.stale_days.setValue(90)
    view.revert()
    assert page.stale_days.value() == 14
    ctx.cache.close()
