"""What the shell shows for a view whose module has not landed yet (or failed to load)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ninja_desk.ui.context import AppContext
from ninja_desk.ui.views.base import View


class PlaceholderView(View):
    is_placeholder = True

    def __init__(self, ctx: AppContext, title: str, reason: str, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.reason = reason
        layout = QVBoxLayout(self)
        heading = QLabel(f"<h2>{title}</h2>")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label = QLabel(reason)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setAccessibleName(f"{title}: {reason}")
        layout.addStretch(1)
        layout.addWidget(heading)
        layout.addWidget(self.label)
        layout.addStretch(2)

    def refresh(self) -> None:
        return None
