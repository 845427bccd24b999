"""Integrations, grouped by category: RMM (NinjaOne), PSA database, webhook relay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from ninja_desk.psa.permissions import CONFIGURE_INTEGRATION, CONFIGURE_RELAY
from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.common import ReadOnlyNote, category_heading
from ninja_desk.ui.settings.ninjaone_card import NinjaOneCard
from ninja_desk.ui.settings.psa_card import PsaCard
from ninja_desk.ui.settings.relay_card import RelayCard
from ninja_desk.ui.settings.services import permission_reason


class IntegrationsPage(QScrollArea):
    title = "Integrations"

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, relay_secrets: Any = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        self.note = ReadOnlyNote()
        layout.addWidget(self.note)
        self.ninjaone = NinjaOneCard(ctx)
        self.psa = PsaCard(ctx)
        self.relay = RelayCard(ctx, secrets=relay_secrets)
        layout.addWidget(category_heading("RMM & Endpoint Management"))
        layout.addWidget(self.ninjaone)
        layout.addWidget(category_heading("PSA"))
        layout.addWidget(self.psa)
        layout.addWidget(category_heading("Live updates"))
        layout.addWidget(self.relay)
        layout.addStretch(1)
        self.setWidget(inner)
        self.apply_permissions()

    def apply_permissions(self) -> None:
        integration = permission_reason(self.ctx, CONFIGURE_INTEGRATION)
        relay = permission_reason(self.ctx, CONFIGURE_RELAY)
        self.ninjaone.set_read_only(integration)
        self.psa.set_read_only(integration)
        self.relay.set_read_only(relay)
        reasons = [r for r in dict.fromkeys((integration, relay)) if r]
        self.note.set_reason(" ".join(reasons) if reasons else None)

    @property
    def read_only_reason(self) -> str | None:
        return self.note.text() or None

    def cards(self) -> tuple[Any, ...]:
        return (self.ninjaone, self.psa, self.relay)

    def load_from(self, settings: Settings) -> None:
        for card in self.cards():
            card.load_from(settings)

    def validate(self) -> str | None:
        for card in self.cards():
            problem = card.validate()
            if problem:
                return problem
        return None

    def apply_to(self, settings: Settings) -> None:
        self.ninjaone.apply_to(settings)
        self.psa.apply_to(settings, key_in_background=True)  # the keyring: on a worker
        self.relay.apply_to(settings)

    def save_secrets_in_background(self, finished: Callable[[str | None], None]) -> None:
        """The relay secrets into the keyring on a worker; `finished(problem or None)`."""
        self.relay.save_secret_in_background(finished)
