"""The Patches and Clients views lay out at 1024x700 and 1280x800 like every view
(test_layout_sizes.py): the window keeps its size, no control is cut off, no pane scrolls
sideways — also with long client names and large counts on the buttons."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QScrollArea

from ninja_desk.cache.queries import patches as pq
from tests.ui.test_layout_sizes import SIZES, _clipped_controls


def _check(window, view, width: int, height: int) -> None:
    window.resize(width, height)
    QApplication.processEvents()
    hint = window.minimumSizeHint()
    assert hint.width() <= width and hint.height() <= height, (hint, width, height)
    assert (window.width(), window.height()) == (width, height)
    assert _clipped_controls(window, view) == []
    sideways = [a for a in view.findChildren(QScrollArea)
                if a.isVisible() and a.horizontalScrollBar().isVisible()]  # fmt: skip
    assert sideways == []


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_patches_view_fits(qtbot, window, width: int, height: int) -> None:
    view = window.show_view("patches")
    qtbot.waitUntil(lambda: view.by_kb.total is not None, timeout=5000)
    _check(window, view, width, height)
    view.targets = {"os": [pq.Target(i, f"D{i}", False) for i in range(12345)]}
    view._update_actions()  # the longest button text
    assert view.apply_button.text() == "Apply patches on 12,345 devices"
    _check(window, view, width, height)
    view.client_button.click()
    qtbot.waitUntil(lambda: view.by_client.total is not None, timeout=5000)
    _check(window, view, width, height)
    for table in (view.client_table, view.rows_table):
        assert table.height() >= 100 and table.width() >= 400, (table.accessibleName(),
                                                                table.size())  # fmt: skip


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_client_page_fits(qtbot, window, ctx, width: int, height: int) -> None:
    long_name = "Keystone Credit Union of the Greater Metropolitan Area and Surroundings"
    ctx.cache.write_blocking(
        lambda conn: conn.exec_driver_sql(
            "UPDATE organizations SET name = ? WHERE id = 1", (long_name,)
        )
    )
    view = window.open_client(1)
    page = view.page
    qtbot.waitUntil(lambda: page.summary is not None, timeout=5000)
    assert page.title.text() == long_name
    _check(window, view, width, height)
    assert page.tabs.currentWidget().height() >= 100
