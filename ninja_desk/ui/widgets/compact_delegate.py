"""A cell that shows a shorter form of its text when the column is narrow.

At 1024 px the alert list has about 500 px for seven columns, and "Moderate" became "Mo…",
which says less than the colour square beside it. With this delegate a column offers shorter
forms ("" = the icon alone; "12-03 14:45" for "2026-12-03 14:45"): the cell draws the longest
that fits, and the whole text is the cell's tooltip.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QHelpEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

# Space Qt's item view style leaves around a cell's text and between icon and text.
_MARGIN = 4


class CompactDelegate(QStyledItemDelegate):
    def __init__(self, shorter: Callable[[str], list[str]], parent=None) -> None:
        super().__init__(parent)
        self.shorter = shorter

    def room(self, option: QStyleOptionViewItem) -> int:
        width = option.rect.width() - 2 * _MARGIN
        if option.features & QStyleOptionViewItem.ViewItemFeature.HasDecoration:
            width -= option.decorationSize.width() + _MARGIN
        return width

    def fitted(self, option: QStyleOptionViewItem) -> str:
        """The text to draw in `option` (initialised for the cell): the longest form that fits."""
        text = option.text
        room = self.room(option)
        if not text or option.fontMetrics.horizontalAdvance(text) <= room:
            return text
        for candidate in self.shorter(text):
            if option.fontMetrics.horizontalAdvance(candidate) <= room:
                return candidate
        return text  # nothing shorter fits: the style elides it

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # Only painting shortens: the size hint (what KeyColumn asks for) stays the whole text.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = self.fitted(opt)
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if event.type() == QEvent.Type.ToolTip and index.data(Qt.ItemDataRole.ToolTipRole) is None:
            text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
            if text:
                QToolTip.showText(event.globalPos(), text, view)
                return True
        return super().helpEvent(event, view, option, index)


def icon_only(_text: str) -> list[str]:
    """Severity: the colour square alone rather than "Mo…"."""
    return [""]


def shorter_time(text: str) -> list[str]:
    """ "2026-12-03 14:45" → "12-03 14:45" (the year is rarely the point in a list of alerts)."""
    return [text[5:]] if len(text) == 16 and text[4] == "-" else []
