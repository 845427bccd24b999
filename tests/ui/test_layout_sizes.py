"""Every view lays out at 1024x700 and 1280x800: the window's minimum size fits, nothing
widens the window, no control is cut off, and the sidebar never scrolls sideways (issue 13)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QLineEdit,
    QScrollArea,
    QTabBar,
    QWidget,
)

from ninja_desk.ui.main_window import VIEW_SPECS

SIZES = [(1024, 700), (1280, 800)]


def _inside_scroll_area(widget: QWidget, view: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not view:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _clipped_controls(window, view: QWidget) -> list[str]:
    bounds = window.rect()
    clipped = []
    for kind in (QAbstractButton, QComboBox, QLineEdit):
        for widget in view.findChildren(kind):
            if not widget.isVisible() or _inside_scroll_area(widget, view):
                continue
            if isinstance(widget.parentWidget(), QTabBar):
                continue  # a tab bar's scroll arrows: Qt sizes them (16 px) by design
            top_left = widget.mapTo(window, QPoint(0, 0))
            rect = QRect(top_left, widget.size())
            if not bounds.contains(rect) or widget.width() < widget.minimumSizeHint().width():
                clipped.append(f"{type(widget).__name__} {widget.accessibleName() or ''} {rect}")
    return clipped


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_view_fits_without_widening_or_clipping(window, qtbot, width, height) -> None:
    # Build every view first: the stack's minimum is the largest of all views built so far.
    for spec in VIEW_SPECS:
        window.show_view(spec.key)
    for spec in VIEW_SPECS:
        view = window.show_view(spec.key)
        window.resize(width, height)
        QApplication.processEvents()
        hint = window.minimumSizeHint()
        assert hint.width() <= width, f"{spec.key}: minimum width {hint.width()} > {width}"
        assert hint.height() <= height, f"{spec.key}: minimum height {hint.height()} > {height}"
        assert (window.width(), window.height()) == (width, height), spec.key
        assert _clipped_controls(window, view) == [], spec.key
        if spec.key != "settings":  # its pages scroll as a whole by design
            sideways = [
                a.accessibleName() or type(a.widget()).__name__
                for a in view.findChildren(QScrollArea)
                if a.isVisible() and a.horizontalScrollBar().isVisible()
            ]
            assert sideways == [], f"{spec.key}: panes scroll sideways: {sideways}"
        sidebar_h = window.sidebar.horizontalScrollBar()
        assert not sidebar_h.isVisible(), "the sidebar scrolls sideways"


def test_sidebar_never_scrolls_sideways_with_a_critical_count(window, qtbot) -> None:
    window._set_critical_count(1234)
    window.resize(1024, 700)
    QApplication.processEvents()
    assert not window.sidebar.horizontalScrollBar().isVisible()
    assert window.sidebar.horizontalScrollBar().maximum() == 0 or (
        window.sidebar.horizontalScrollBarPolicy().name == "ScrollBarAlwaysOff"
    )
    assert "1234 critical" in window.sidebar.item(2).toolTip()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_key_columns_take_the_spare_width(window, width, height) -> None:
    window.resize(width, height)
    checks = (
        ("alerts", lambda v: v.table, 3),  # message
        ("tickets", lambda v: v.table, 1),  # title
        ("software", lambda v: v.titles_table, 0),  # software name
    )
    for key, table_of, column in checks:
        view = window.show_view(key)
        QApplication.processEvents()
        header = table_of(view).horizontalHeader()
        widths = [header.sectionSize(c) for c in range(header.count()) if c != column]
        assert header.sectionSize(column) >= max(widths), (key, header.sectionSize(column), widths)
