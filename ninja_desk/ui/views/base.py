"""What every main-window view is: a widget on the context that asks the shell to navigate.

A view never reaches into the main window or another view. It emits one of the navigation
signals below and the shell (main_window.MainWindow) routes it; the shell connects these
declared signals on every view, so a view that never asks for something simply never emits.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QWidget

from ninja_desk.ui.context import AppContext


class View(QWidget):
    # Open one thing in its own view.
    open_device_requested = Signal(int)  # device id: Devices, with its detail panel
    open_alert_requested = Signal(str)  # alert uid: Alerts, selected
    open_ticket_requested = Signal(str)  # ticket id: Tickets, selected
    open_client_requested = Signal(int)  # organization id: the client's page
    # Show a view filtered ({"org_id": 3, "status": "offline"}...: what its apply_filter takes).
    show_devices_requested = Signal(object)
    show_alerts_requested = Signal(object)
    show_patches_requested = Signal(object)
    show_tickets_requested = Signal(object)
    # Sync these device ids now (an empty list or None: the whole fleet).
    sync_requested = Signal(object)
    # A short sentence for the status bar.
    message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx

    def refresh(self) -> None:
        """The cache changed: re-read what is shown (the shell calls it on the shown view,
        and on the others when they are next shown)."""

    def save_state(self, state: QSettings) -> None:
        """Keep column widths, splitters and filters across runs."""

    def restore_state(self, state: QSettings) -> None:
        """Take back what save_state kept (called once, right after the view is built)."""

    def forward_navigation(self, part: View) -> None:
        """A part of this view (a detail panel, a page) asks through this view's signals."""
        part.open_device_requested.connect(self.open_device_requested)
        part.open_alert_requested.connect(self.open_alert_requested)
        part.open_ticket_requested.connect(self.open_ticket_requested)
        part.open_client_requested.connect(self.open_client_requested)
        part.show_devices_requested.connect(self.show_devices_requested)
        part.show_alerts_requested.connect(self.show_alerts_requested)
        part.show_patches_requested.connect(self.show_patches_requested)
        part.show_tickets_requested.connect(self.show_tickets_requested)
        part.sync_requested.connect(self.sync_requested)
        part.message.connect(self.message)
