"""The first window fits the screen it opens on (a 1024x700 laptop must see all of it)."""

from __future__ import annotations


def test_first_start_window_is_no_larger_than_the_screen(window) -> None:
    room = window.screen().availableGeometry()  # offscreen: 800x800, smaller than 1280x800
    assert room.width() < 1280
    assert window.width() <= room.width()
    assert window.height() <= room.height()
