"""A small rounded count or state label ("3", "CRITICAL", "Offline")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ninja_desk.ui.formatting import severity_text
from ninja_desk.ui.theme import SEVERITY_COLORS, STATUS_COLORS


class Badge(QLabel):
    def __init__(self, text: str = "", color: str = "#64748b", parent: QWidget | None = None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.set(text, color)

    def set(self, text: str, color: str | None = None) -> None:
        self.setText(text)
        self.setAccessibleName(text)
        self.setVisible(bool(text))
        if color:
            self.setStyleSheet(
                f"QLabel {{ background: {color}; color: white; border-radius: 8px;"
                " padding: 1px 7px; font-weight: 600; }"
            )


def severity_badge(severity: str | None, parent: QWidget | None = None) -> Badge:
    key = (severity or "NONE").upper()
    return Badge(severity_text(severity), SEVERITY_COLORS.get(key, "#64748b"), parent)


def status_badge(status: str, parent: QWidget | None = None) -> Badge:
    return Badge(status, STATUS_COLORS.get(status.lower(), "#64748b"), parent)
