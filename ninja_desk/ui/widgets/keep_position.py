"""Keep a list where the user left it across a reload: same scroll position, so rows do not
move under the pointer when a sync or a live alert refreshes the view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QModelIndex, QTimer
from PySide6.QtWidgets import QAbstractItemView


def _rows_needed(view: QAbstractItemView, value: int) -> int:
    if view.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerPixel:
        height = max(1, view.sizeHintForRow(0) if view.model().rowCount() else 24)
        value //= height
    return value + max(1, view.viewport().height() // 20) + 1


@contextmanager
def kept_scroll(view: QAbstractItemView) -> Iterator[None]:
    """Around a model reload: afterwards the view scrolls back to where it was (paging rows
    in as needed). Restored on the next event loop turn, once the view has laid out."""
    vbar, hbar = view.verticalScrollBar(), view.horizontalScrollBar()
    value, hvalue = vbar.value(), hbar.value()
    yield
    if value == 0 and hvalue == 0:
        return
    model = view.model()
    needed = _rows_needed(view, value)
    root = QModelIndex()
    while model.rowCount(root) < needed and model.canFetchMore(root):
        before = model.rowCount(root)
        model.fetchMore(root)
        if model.rowCount(root) == before:
            break

    def restore() -> None:
        vbar.setValue(value)
        hbar.setValue(hvalue)

    restore()
    QTimer.singleShot(0, view, restore)
