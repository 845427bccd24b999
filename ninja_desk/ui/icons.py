"""The app icon (drawn as SVG, shipped in ninja_desk/ui/resources/) and the tray badge."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

RESOURCES = Path(__file__).resolve().parent / "resources"
APP_ICON_SVG = RESOURCES / "app_icon.svg"
APP_ICON_PNG = RESOURCES / "app_icon.png"


def app_icon() -> QIcon:
    icon = QIcon()
    for path in (APP_ICON_SVG, APP_ICON_PNG):
        if path.exists():
            icon.addFile(str(path))
    return icon


def badge_icon(count: int, size: int = 64) -> QIcon:
    """The app icon with a red count in the corner (unacknowledged critical alerts)."""
    base = app_icon().pixmap(size, size)
    if base.isNull():
        base = QPixmap(size, size)
        base.fill(QColor("#1d4ed8"))
    if count <= 0:
        return QIcon(base)
    pixmap = QPixmap(base)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    d = size * 0.58
    rect = QRectF(size - d, 0, d, d)
    painter.setBrush(QColor("#dc2626"))
    painter.setPen(QColor("white"))
    painter.drawEllipse(rect)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(d * (0.6 if count < 10 else 0.45)))
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count) if count < 100 else "99+")
    painter.end()
    return QIcon(pixmap)
