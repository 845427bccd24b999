"""General settings of this desktop: the tray, notifications, when a device counts as stale.

These live in the settings file (they are this technician's preferences, not the MSP's), so
they save with the Save button like the integrations page.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QSpinBox, QVBoxLayout, QWidget

from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.common import Card, category_heading, hint


class GeneralPage(QWidget):
    title = "General"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.keep_in_tray = QCheckBox("Keep NinjaDesk running in the tray when the window closes")
        self.keep_in_tray.setAccessibleName("Keep running in the tray")
        self.pause_notices = QCheckBox("Pause notifications for new critical alerts")
        self.pause_notices.setAccessibleName("Pause notifications")
        self.stale_days = QSpinBox()
        self.stale_days.setRange(1, 365)
        self.stale_days.setSuffix(" days")
        self.stale_days.setAccessibleName("Devices count as not seen after")
        self.stale_days.setMaximumWidth(120)

        card = Card("This desktop")
        form = QFormLayout()
        form.addRow(self.keep_in_tray)
        form.addRow(self.pause_notices)
        form.addRow("Not seen after", self.stale_days)
        card.body.addLayout(form)
        card.body.addWidget(
            hint(
                "Without a system tray (some Linux desktops) notices appear in the window, and "
                "closing the window quits."
            )
        )
        layout = QVBoxLayout(self)
        layout.addWidget(category_heading("General"))
        layout.addWidget(card)
        layout.addStretch(1)
        self.load_from(ctx.settings)

    def load_from(self, settings: Settings) -> None:
        self.keep_in_tray.setChecked(settings.keep_running_in_tray)
        self.pause_notices.setChecked(settings.notifications_paused)
        self.stale_days.setValue(max(1, int(settings.stale_after_days or 30)))

    def apply_to(self, settings: Settings) -> None:
        settings.keep_running_in_tray = self.keep_in_tray.isChecked()
        settings.notifications_paused = self.pause_notices.isChecked()
        settings.stale_after_days = self.stale_days.value()
