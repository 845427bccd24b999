"""Settings: a page list on the left, the page on the right, Save / Revert at the bottom.

Integrations and General edit the settings file (and the keyring, for the relay token) and
are saved with Save. Organization mapping and alert rules live in the PSA database and save as
you act.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.alert_rules_page import AlertRulesPage
from ninja_desk.ui.settings.common import hint
from ninja_desk.ui.settings.general_page import GeneralPage
from ninja_desk.ui.settings.integrations_page import IntegrationsPage
from ninja_desk.ui.settings.ninjaone_link import ensure_link
from ninja_desk.ui.settings.org_mapping_page import OrgMappingPage
from ninja_desk.ui.views.base import View


class SettingsView(View):
    saved = Signal()  # the shell re-reads schedule, relay and PSA settings on this

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, relay_secrets: Any = None
    ) -> None:
        super().__init__(ctx, parent)
        ensure_link(ctx)
        self.integrations = IntegrationsPage(ctx, relay_secrets=relay_secrets)
        self.org_mapping = OrgMappingPage(ctx)
        self.alert_rules = AlertRulesPage(ctx)
        self.general = GeneralPage(ctx)
        self.pages: list[QWidget] = [
            self.integrations,
            self.org_mapping,
            self.alert_rules,
            self.general,
        ]

        self.saving = False
        self.nav = QListWidget()
        self.nav.setFixedWidth(170)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setTextElideMode(Qt.TextElideMode.ElideRight)
        # Rows as tall as the main sidebar's, not 16 px lines packed against each other.
        self.nav.setStyleSheet("QListWidget::item { padding: 6px 8px; }")
        self.stack = QStackedWidget()
        for page in self.pages:
            self.nav.addItem(page.title)  # type: ignore[attr-defined]
            if isinstance(page, QScrollArea):
                self.stack.addWidget(page)
                continue
            # A page wider than the window scrolls inside it instead of widening the window.
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(page)
            self.stack.addWidget(scroll)
        self.nav.currentRowChanged.connect(self._page_changed)

        self.message_label = hint("")
        self.save_button = QPushButton("Save")
        self.revert_button = QPushButton("Revert")
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message_label, 1)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)
        self.save_bar = QWidget()
        self.save_bar.setLayout(bottom)
        bottom.setContentsMargins(0, 0, 0, 0)

        right = QVBoxLayout()
        right.addWidget(self.stack, 1)
        right.addWidget(self.save_bar)
        layout = QHBoxLayout(self)
        layout.addWidget(self.nav)
        layout.addLayout(right, 1)
        self.nav.setCurrentRow(0)

    def show_page(self, name: str) -> None:
        """'integrations', 'org_mapping', 'alert_rules' or 'general'."""
        self.nav.setCurrentRow(self.pages.index(getattr(self, name)))

    def _page_changed(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        # Integrations and General edit the settings file; the PSA pages save as you act.
        self.save_bar.setVisible(self.pages[row] in (self.integrations, self.general))

    def refresh(self) -> None:
        self.integrations.ninjaone.update_state()
        self.integrations.apply_permissions()
        self.org_mapping.refresh()
        self.alert_rules.refresh()

    def save(self) -> bool:
        """Write the settings file now; the relay secrets go to the keyring on a worker (a
        locked keyring must not freeze the window), "Saving…" until it answers. True when
        the file was saved; `saved` is emitted once the keyring has answered too."""
        if self.saving:
            return False
        problem = self.integrations.validate()
        if problem:
            self.message_label.setText(problem)
            return False
        self.integrations.apply_to(self.ctx.settings)
        self.general.apply_to(self.ctx.settings)
        try:
            self.ctx.save_settings()
        except (OSError, ValueError) as exc:
            self.message_label.setText(f"The settings could not be saved: {exc}")
            return False
        if self.integrations.relay.has_unsaved_secret():
            self._set_saving(True)
            self.message_label.setText("Saving…")
        self.integrations.save_secrets_in_background(self._secrets_saved)
        return True

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        self.save_button.setEnabled(not saving)
        self.revert_button.setEnabled(not saving)

    def _secrets_saved(self, problem: str | None) -> None:
        self._set_saving(False)
        if problem:
            # The file is saved; the secret stays typed in its field to try again.
            self.message_label.setText(f"Settings saved, but the relay secret was not: {problem}")
        else:
            self.message_label.setText("Settings saved.")
        self.saved.emit()

    def revert(self) -> None:
        """Show the saved settings again, dropping unsaved edits."""
        # Copy into the same object: the shell and the scheduler hold a reference to it.
        saved = Settings.load(self.ctx.data_dir)
        for field in fields(Settings):
            setattr(self.ctx.settings, field.name, getattr(saved, field.name))
        self.integrations.load_from(self.ctx.settings)
        self.general.load_from(self.ctx.settings)
        self.message_label.setText("Unsaved changes dropped.")
