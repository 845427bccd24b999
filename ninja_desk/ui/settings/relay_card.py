"""The webhook relay card: its URL (settings file) and token (keyring, never the file)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QWidget

from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.common import Card, StatusBadge, hint
from ninja_desk.ui.settings.services import RELAY_TOKEN_KEY, ninjaone_link, relay_secrets

ENV_RELAY_TOKEN = "NINJA_DESK_RELAY_TOKEN"  # sync/desktop_runtime.py's; the demo sets it


def relay_url_problem(url: str) -> str | None:
    if not url.strip():
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'{url}' is not an http(s) address; use https://relay.example.com."
    return None


class RelayCard(Card):
    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, secrets: Any = None
    ) -> None:
        super().__init__("Webhook relay", parent)
        self.ctx = ctx
        self._secrets = secrets
        self._read_only: str | None = None
        top = QHBoxLayout()
        self.badge = StatusBadge()
        top.addWidget(self.badge)
        top.addStretch(1)
        self.body.addLayout(top)
        self.body.addWidget(
            hint(
                "NinjaOne cannot reach this computer, so it sends webhooks to the relay and "
                "NinjaDesk follows the relay's stream for live updates."
            )
        )
        form = QFormLayout()
        self.url_edit = QLineEdit(placeholderText="https://relay.example.com")
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.endpoint_edit = QLineEdit()
        self.endpoint_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.endpoint_edit.setToolTip(
            "The secret of the relay endpoint NinjaOne posts to ('ninja-desk-relay endpoint "
            "add'); NinjaDesk sends it in the webhook's X-NinjaDesk-Secret header."
        )
        form.addRow("Relay URL", self.url_edit)
        form.addRow("Stream token", self.token_edit)
        form.addRow("Endpoint secret", self.endpoint_edit)
        self.body.addLayout(form)
        self.result_label = hint("")
        self.body.addWidget(self.result_label)
        self.load_from(ctx.settings)

    @property
    def secrets(self) -> Any:
        if self._secrets is None:
            self._secrets = relay_secrets()
        return self._secrets

    def stored_token(self) -> bool:
        try:
            return bool(self.secrets.get(RELAY_TOKEN_KEY))
        except Exception as exc:
            self.result_label.setText(str(exc))
            return False

    def _link(self) -> Any:
        link = ninjaone_link(self.ctx)
        return link if hasattr(link, "store_endpoint_secret") else None

    def load_from(self, settings: Settings) -> None:
        self.url_edit.setText(settings.relay_url or "")
        self.token_edit.clear()
        self.endpoint_edit.clear()
        self._update()

    def _update(self) -> None:
        has_token = self.stored_token()
        stored = "Stored in the system keyring" + ("" if self._read_only else " — type to replace")
        # The app uses the environment's token before the keyring's (ui/app.py relay_token):
        # the card says the same thing the status bar does.
        from_env = bool(os.environ.get(ENV_RELAY_TOKEN))
        if from_env:
            self.token_edit.setPlaceholderText(f"Set by the {ENV_RELAY_TOKEN} environment variable")
        else:
            self.token_edit.setPlaceholderText(stored if has_token else "Relay token")
        if self.ctx.settings.relay_url and (has_token or from_env):
            self.badge.set_badge("Configured", "#2e7d32")
        else:
            self.badge.set_badge("Not configured", "#757575")
        editable = self._read_only is None
        self.url_edit.setEnabled(editable)
        self.token_edit.setEnabled(editable)
        link = self._link()
        self.endpoint_edit.setEnabled(editable and link is not None)
        self.endpoint_edit.setPlaceholderText(
            stored
            if link is not None and link.has_endpoint_secret()
            else "Relay endpoint secret (for registering the webhook)"
        )

    def set_read_only(self, reason: str | None) -> None:
        self._read_only = reason
        self._update()

    def validate(self) -> str | None:
        return relay_url_problem(self.url_edit.text())

    def apply_to(self, settings: Settings) -> None:
        if self._read_only is None:
            settings.relay_url = self.url_edit.text().strip() or None

    def save_secret(self) -> str | None:
        """Store newly typed secrets in the keyring; the sentence if that failed."""
        if self._read_only is not None:
            return None
        stored = []
        token = self.token_edit.text().strip()
        if token:
            try:
                self.secrets.set(RELAY_TOKEN_KEY, token)
            except Exception as exc:  # NoSecureKeyring, KeyringUnavailable: already sentences
                return str(exc)
            self.token_edit.clear()
            stored.append("stream token")
        endpoint = self.endpoint_edit.text().strip()
        link = self._link()
        if endpoint and link is not None:
            try:
                link.store_endpoint_secret(endpoint)
            except Exception as exc:
                return str(exc)
            self.endpoint_edit.clear()
            stored.append("endpoint secret")
        if stored:
            self.result_label.setText(f"Relay {' and '.join(stored)} stored in the system keyring.")
        self._update()
        return None
