"""A row of buttons that moves the ones it has no room for into a "More" menu.

The device panel's action row (Remote Connect, its ticket, Open in NinjaOne, Sync device) set
the panel's minimum width to about 510 px, which left the device table half the window at
1280 px. Toolbars in browsers, mail clients and Qt's own QToolBar solve this the same way:
the first widgets always stay, the others show while they fit and otherwise wait in a menu
at the end of the row. The menu's entries are the hidden buttons themselves (same text, same
enabled state and tooltip, same click), so keyboard users reach every action with Tab to
"More" and the arrow keys.

Widgets only move when the row's width changes (a window or splitter resize), never when the
pointer is over them or when a device is selected.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QHBoxLayout,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from ninja_desk.ui.a11y import named
from ninja_desk.ui.widgets.saved_filters import MENU_BUTTON_STYLE


class OverflowRow(QWidget):
    def __init__(self, parent: QWidget | None = None, *, more_text: str = "More ▾") -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._always: list[QWidget] = []
        self._optional: list[QAbstractButton] = []
        self.more_button = named(
            QToolButton(self), "More actions", "Actions there is no room for in this row"
        )
        self.more_button.setText(more_text)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # The ▾ in the text says "menu" like the window's other menu buttons ("Table ▾").
        self.more_button.setStyleSheet(MENU_BUTTON_STYLE)
        self.more_button.setMenu(QMenu(self.more_button))
        self.more_button.menu().aboutToShow.connect(self._fill_menu)
        self.more_button.hide()
        self._stretch_added = False
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    # -- building ----------------------------------------------------------------------------

    def add_always(self, widget: QWidget) -> None:
        """A widget that never leaves the row (the primary action, its companion field)."""
        self._always.append(widget)
        self._layout.insertWidget(len(self._always) - 1, widget)

    def add_optional(self, button: QAbstractButton) -> None:
        """A button shown while it fits, in the "More" menu otherwise (added in order: the
        last added is the first to go)."""
        self._optional.append(button)
        self._layout.insertWidget(len(self._always) + len(self._optional) - 1, button)
        if not self._stretch_added:
            # "More" right after the last button, where the hidden ones would have been.
            self._layout.addWidget(self.more_button)
            self._layout.addStretch(1)
            self._stretch_added = True

    # -- sizes -------------------------------------------------------------------------------

    def _spacing(self) -> int:
        return max(0, self._layout.spacing())

    def _width_of(self, widgets: list[QWidget]) -> int:
        widths = [w.sizeHint().width() for w in widgets]
        return sum(widths) + self._spacing() * max(0, len(widths) - 1)

    def minimumSizeHint(self) -> QSize:
        base = super().minimumSizeHint()
        width = self._width_of([*self._always, self.more_button]) if self._optional else 0
        width = width or self._width_of(self._always)
        return QSize(width, max(base.height(), self.sizeHint().height()))

    def sizeHint(self) -> QSize:
        widgets: list[QWidget] = [*self._always, *self._optional]
        height = max((w.sizeHint().height() for w in widgets), default=0)
        return QSize(self._width_of(widgets), height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.relayout()

    def relayout(self) -> None:
        """Show as many optional buttons as fit, in order; the rest wait in the menu."""
        room = self.width()
        shown = 0
        used = self._width_of(self._always)
        more = self.more_button.sizeHint().width() + self._spacing()
        for index, button in enumerate(self._optional):
            need = button.sizeHint().width() + self._spacing()
            last = index == len(self._optional) - 1
            # The last button may use the room the "More" button would have needed.
            if used + need + (0 if last else more) <= room:
                used += need
                shown += 1
            else:
                break
        for index, button in enumerate(self._optional):
            button.setVisible(index < shown)
        self.more_button.setVisible(shown < len(self._optional))

    def hidden_buttons(self) -> list[QAbstractButton]:
        return [b for b in self._optional if b.isHidden()]

    # -- the menu ----------------------------------------------------------------------------

    def _fill_menu(self) -> None:
        menu = self.more_button.menu()
        menu.clear()
        menu.setToolTipsVisible(True)
        for button in self.hidden_buttons():
            action = QAction(button.text(), menu)
            action.setEnabled(button.isEnabled())
            action.setToolTip(button.toolTip())
            action.triggered.connect(button.click)
            menu.addAction(action)
