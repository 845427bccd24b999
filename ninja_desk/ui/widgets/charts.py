"""Small QPainter charts (no chart dependency): horizontal bars and a donut with a legend.

Each item carries a `key`; clicking it (or selecting it with the arrow keys and pressing
Enter) emits `activated(key)`, which the dashboard turns into a filtered list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

_LEFT_V = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft


@dataclass(frozen=True, slots=True)
class ChartItem:
    label: str
    value: int
    color: str
    key: Any = None


class _Chart(QWidget):
    activated = Signal(object)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.items: list[ChartItem] = []
        self._hit: list[tuple[QRectF, int]] = []
        self._current = -1
        self._hover = -1
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_items(self, items: Sequence[ChartItem]) -> None:
        self.items = list(items)
        self._current = min(self._current, len(self.items) - 1)
        self.setAccessibleDescription(
            "; ".join(f"{i.label}: {i.value}" for i in self.items) + ". Enter opens the list."
        )
        self.setToolTip(self.accessibleDescription())
        self.updateGeometry()
        self.update()

    def value_of(self, key: Any) -> int | None:
        for item in self.items:
            if item.key == key:
                return item.value
        return None

    def activate(self, key: Any) -> None:
        self.activated.emit(key)

    def _item_at(self, pos: QPointF) -> int:
        for rect, index in self._hit:
            if rect.contains(pos):
                return index
        return -1

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hover = self._item_at(event.position())
        if hover != self._hover:
            self._hover = hover
            self.setCursor(
                Qt.CursorShape.PointingHandCursor if hover >= 0 else Qt.CursorShape.ArrowCursor
            )
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        index = self._item_at(event.position())
        if index >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self._current = index
            self.activate(self.items[index].key)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.items:
            return super().keyPressEvent(event)
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Right):
            self._current = (self._current + 1) % len(self.items)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Left):
            self._current = (self._current - 1) % len(self.items)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self._current >= 0:
                self.activate(self.items[self._current].key)
            return
        else:
            return super().keyPressEvent(event)
        item = self.items[self._current]
        self.setAccessibleDescription(f"{item.label}: {item.value}")
        self.update()

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self._current < 0 and self.items:
            self._current = 0
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def _text_color(self, muted: bool = False) -> QColor:
        color = self.palette().color(QPalette.ColorRole.WindowText)
        if muted:
            color.setAlpha(160)
        return color

    def _highlighted(self, index: int) -> bool:
        return index == self._hover or (self.hasFocus() and index == self._current)


class BarChart(_Chart):
    """Horizontal bars, one per item, label left and value right."""

    ROW = 26

    def sizeHint(self) -> QSize:
        return QSize(320, max(1, len(self.items)) * self.ROW + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, max(1, len(self.items)) * self.ROW + 8)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        self._hit = []
        if not self.items:
            painter.setPen(self._text_color(True))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Nothing to show")
            return
        label_w = min(
            max(metrics.horizontalAdvance(i.label) for i in self.items) + 12, self.width() // 2
        )
        value_w = max(metrics.horizontalAdvance(str(i.value)) for i in self.items) + 12
        bar_x = label_w
        bar_w = max(10, self.width() - label_w - value_w - 4)
        peak = max((i.value for i in self.items), default=0) or 1
        track = self.palette().color(QPalette.ColorRole.Mid)
        track.setAlpha(90)
        for n, item in enumerate(self.items):
            y = 4 + n * self.ROW
            row = QRectF(0, y, self.width(), self.ROW)
            self._hit.append((row, n))
            if self._highlighted(n):
                shade = self.palette().color(QPalette.ColorRole.Highlight)
                shade.setAlpha(40)
                painter.fillRect(row, shade)
            painter.setPen(self._text_color())
            label = metrics.elidedText(item.label, Qt.TextElideMode.ElideRight, label_w - 8)
            painter.drawText(QRectF(4, y, label_w - 8, self.ROW), _LEFT_V, label)
            bar = QRectF(bar_x, y + 6, bar_w, self.ROW - 12)
            path = QPainterPath()
            path.addRoundedRect(bar, 4, 4)
            painter.fillPath(path, track)
            if item.value:
                filled = QRectF(bar_x, y + 6, max(4.0, bar_w * item.value / peak), self.ROW - 12)
                path = QPainterPath()
                path.addRoundedRect(filled, 4, 4)
                painter.fillPath(path, QColor(item.color))
            painter.setPen(self._text_color())
            painter.drawText(
                QRectF(bar_x + bar_w + 4, y, value_w, self.ROW), _LEFT_V, str(item.value)
            )


class DonutChart(_Chart):
    """A donut with the total in the middle and a clickable legend on the right."""

    def sizeHint(self) -> QSize:
        return QSize(320, 150)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 130)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        self._hit = []
        side = min(self.height() - 8, self.width() // 2 - 8)
        ring = QRectF(8, (self.height() - side) / 2, side, side)
        total = sum(i.value for i in self.items)
        thickness = max(10.0, side * 0.18)
        inner = ring.adjusted(thickness / 2, thickness / 2, -thickness / 2, -thickness / 2)
        if total == 0:
            pen = QPen(self.palette().color(QPalette.ColorRole.Mid), thickness)
            painter.setPen(pen)
            painter.drawEllipse(inner)
        else:
            start = 90 * 16
            for n, item in enumerate(self.items):
                if not item.value:
                    continue
                span = -round(360 * 16 * item.value / total)
                pen = QPen(QColor(item.color), thickness + (4 if self._highlighted(n) else 0))
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                painter.setPen(pen)
                painter.drawArc(inner, start, span)
                start += span
        painter.setPen(self._text_color())
        font = painter.font()
        big = painter.font()
        big.setPointSizeF(font.pointSizeF() * 1.6)
        big.setBold(True)
        painter.setFont(big)
        painter.drawText(ring, Qt.AlignmentFlag.AlignCenter, f"{total:,}")
        painter.setFont(font)
        # Legend
        legend_x = ring.right() + 16
        row_h = max(22, metrics.height() + 6)
        top = max(4.0, (self.height() - row_h * len(self.items)) / 2)
        for n, item in enumerate(self.items):
            y = top + n * row_h
            row = QRectF(legend_x - 4, y, self.width() - legend_x, row_h)
            self._hit.append((row, n))
            if self._highlighted(n):
                shade = self.palette().color(QPalette.ColorRole.Highlight)
                shade.setAlpha(40)
                painter.fillRect(row, shade)
            painter.setBrush(QColor(item.color))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QRectF(legend_x, y + row_h / 2 - 5, 10, 10))
            painter.setPen(self._text_color())
            pct = f" ({100 * item.value / total:.0f}%)" if total else ""
            text = metrics.elidedText(
                f"{item.label}  {item.value:,}{pct}",
                Qt.TextElideMode.ElideRight,
                int(self.width() - legend_x - 20),
            )
            painter.drawText(
                QRectF(legend_x + 16, y, self.width() - legend_x - 16, row_h), _LEFT_V, text
            )
        # The ring segments are clickable too.
        if total:
            self._ring = (ring.center(), side / 2, side / 2 - thickness * 1.2)

    def _item_at(self, pos: QPointF) -> int:
        found = super()._item_at(pos)
        if found >= 0 or not getattr(self, "_ring", None):
            return found
        center, outer, inner = self._ring
        dx, dy = pos.x() - center.x(), center.y() - pos.y()
        distance = math.hypot(dx, dy)
        if not inner <= distance <= outer:
            return -1
        # Degrees clockwise from 12 o'clock, as the segments are drawn.
        angle = (90 - math.degrees(math.atan2(dy, dx))) % 360
        total = sum(i.value for i in self.items)
        acc = 0.0
        for n, item in enumerate(self.items):
            acc += 360 * item.value / total
            if angle <= acc and item.value:
                return n
        return -1
