"""Small pieces every settings page uses: cards, the read-only note, the status badge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFrame, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ninja_desk.ninjaone.connection import ConnectionState

if TYPE_CHECKING:
    from ninja_desk.ui.context import AppContext

STATE_BADGES: dict[ConnectionState, tuple[str, str]] = {
    ConnectionState.CONNECTED: ("Connected", "#2e7d32"),
    ConnectionState.DISCONNECTED: ("Disconnected", "#757575"),
    ConnectionState.CONNECTING: ("Connecting", "#1976d2"),
    ConnectionState.SYNCING: ("Syncing", "#1976d2"),
    ConnectionState.RECONNECT_REQUIRED: ("Expired", "#ef6c00"),
    ConnectionState.ERROR: ("Error", "#c62828"),
}


class StatusBadge(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state: str = ""

    def set_badge(self, text: str, colour: str) -> None:
        self.state = text
        self.setText(text)
        self.setAccessibleName(f"Status: {text}")
        self.setStyleSheet(
            f"QLabel {{ background: {colour}; color: white; border-radius: 9px;"
            " padding: 2px 10px; font-weight: 600; }"
        )

    def set_state(self, state: ConnectionState) -> None:
        self.set_badge(*STATE_BADGES.get(state, (str(state).title(), "#757575")))


class Card(QGroupBox):
    """A titled box for one integration."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setStyleSheet("QGroupBox { font-weight: 600; } QGroupBox * { font-weight: normal; }")
        self.body = QVBoxLayout(self)


class KeyringCard(Card):
    """A card whose secrets are in the keyring, with its status badge on top (PSA, relay).

    `secrets` is injected by tests; otherwise `open_secrets()` finds the keyring on first use,
    which is on a worker: finding the keyring backend can block.
    """

    def __init__(
        self, title: str, ctx: AppContext, parent: QWidget | None = None, *, secrets: Any = None
    ) -> None:
        super().__init__(title, parent)
        self.ctx = ctx
        self._secrets = secrets
        self._read_only: str | None = None  # why the page may not be changed, when it may not
        top = QHBoxLayout()
        self.badge = StatusBadge()
        top.addWidget(self.badge)
        top.addStretch(1)
        self.body.addLayout(top)

    def open_secrets(self) -> Any:
        raise NotImplementedError

    @property
    def secrets(self) -> Any:
        if self._secrets is None:
            self._secrets = self.open_secrets()
        return self._secrets


class ReadOnlyNote(QLabel):
    """Shown on a page the user may look at but not change, with the reason."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "QLabel { background: #fff8e1; color: #5d4037; border: 1px solid #ffe082;"
            " border-radius: 4px; padding: 6px; }"
        )
        self.hide()

    def set_reason(self, reason: str | None) -> None:
        self.setText(f"Read-only: {reason}" if reason else "")
        self.setVisible(bool(reason))


def hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")  # readable on light and dark
    return label


def page_column(page: QWidget, about: str) -> tuple[QVBoxLayout, ReadOnlyNote]:
    """A settings page's column, opened with its read-only note (hidden until there is a
    reason) and a hint saying what the page is for; the page adds the rest to the layout."""
    layout = QVBoxLayout(page)
    note = ReadOnlyNote()
    layout.addWidget(note)
    layout.addWidget(hint(about))
    return layout, note


def category_heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size: 12pt; font-weight: 600; margin-top: 8px;")
    return label
