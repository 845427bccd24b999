"""The tray icon: unacknowledged critical alerts as a badge, notices, and a small menu.

Offscreen (tests, CI) has no system tray; `TrayController.available` is then False and the
main window shows notices in its banner instead (design.md §5).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ninja_desk.ui.icons import badge_icon
from ninja_desk.ui.notifier import Notice


class TrayNotifier:
    """`Notifier` on a QSystemTrayIcon; a click on the message opens what it is about."""

    def __init__(self, tray: QSystemTrayIcon, on_click: Callable[[Notice], None]) -> None:
        self.tray = tray
        self.last: Notice | None = None
        self._on_click = on_click
        tray.messageClicked.connect(self._clicked)

    def show(self, notice: Notice) -> None:
        self.last = notice
        self.tray.showMessage(
            notice.title, notice.message, QSystemTrayIcon.MessageIcon.Critical, 10_000
        )

    def _clicked(self) -> None:
        if self.last is not None:
            self._on_click(self.last)


class TrayController(QObject):
    open_requested = Signal()
    sync_requested = Signal()
    quit_requested = Signal()
    pause_toggled = Signal(bool)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        paused: bool = False,
        force_available: bool | None = None,
    ) -> None:
        super().__init__(parent)
        self.available = (
            QSystemTrayIcon.isSystemTrayAvailable() if force_available is None else force_available
        )
        self.count = 0
        self.menu = QMenu()
        self.menu.setAccessibleName("NinjaDesk tray menu")
        self.open_action = QAction("Open NinjaDesk", self.menu)
        self.sync_action = QAction("Sync now", self.menu)
        self.pause_action = QAction("Pause notifications", self.menu, checkable=True)
        self.pause_action.setChecked(paused)
        self.quit_action = QAction("Quit", self.menu)
        for action in (self.open_action, self.sync_action, self.pause_action, self.quit_action):
            self.menu.addAction(action)
        self.open_action.triggered.connect(self.open_requested)
        self.sync_action.triggered.connect(self.sync_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        self.pause_action.toggled.connect(self.pause_toggled)
        self.icon = QSystemTrayIcon(badge_icon(0), self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.set_count(0)
        if self.available:
            self.icon.show()

    def set_count(self, count: int) -> None:
        self.count = count
        self.icon.setIcon(badge_icon(count))
        self.icon.setToolTip(
            "NinjaDesk — no unacknowledged critical alerts"
            if count == 0
            else f"NinjaDesk — {count} unacknowledged critical alert{'s' if count != 1 else ''}"
        )

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_requested.emit()

    def hide(self) -> None:
        self.icon.hide()
