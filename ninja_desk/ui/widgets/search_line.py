"""A search box that reports what to search for after the typing pauses (debounced)."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from ninja_desk.ui.a11y import named


class SearchLineEdit(QLineEdit):
    search_changed = Signal(str)  # emitted once typing pauses for `delay_ms`

    def __init__(
        self, placeholder: str, parent: QWidget | None = None, *, delay_ms: int = 150
    ) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        named(self, placeholder.rstrip("…. "), "Type to filter; results update as you type")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)
        self.textChanged.connect(lambda _text: self._timer.start())

    def flush(self) -> None:
        """Emit now (tests and Enter do not wait for the debounce)."""
        self._timer.stop()
        self.search_changed.emit(self.text())

    def set_text_now(self, text: str) -> None:
        self.setText(text)
        self.flush()
