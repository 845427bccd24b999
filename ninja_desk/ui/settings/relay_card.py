"""The webhook relay card: its URL (settings file) and token (keyring, never the file).

Every keyring call runs on a worker (`run_job`): Secret Service may wait for the user to
unlock the collection, or for a D-Bus timeout, and the window must keep painting meanwhile.
The card says "Loading…" / "Saving…" while one is under way, and one sentence when it failed;
a secret the keyring refused stays typed in its field to try again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from ninja_desk.environment import environment, variable
from ninja_desk.ninjaone.credentials import CredentialsError
from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.background import error_sentence, run_job
from ninja_desk.ui.settings.common import KeyringCard, hint
from ninja_desk.ui.settings.services import RELAY_TOKEN_KEY, ninjaone_link, relay_secrets

ENV_RELAY_TOKEN = variable("relay_token")  # the demo sets it for the desktop it starts
LOADING = "Loading…"
SAVING = "Saving to the system keyring…"


def relay_url_problem(url: str) -> str | None:
    if not url.strip():
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'{url}' is not an http(s) address; use https://relay.example.com."
    return None


def keyring_sentence(exc: BaseException, doing: str) -> str:
    """One sentence for a failed keyring call: the credentials module's own sentences as
    they are ("…could not be read (KeyringLocked). Unlock it and try again."), anything
    else wrapped so the user knows what failed."""
    if isinstance(exc, CredentialsError):
        return str(exc)
    return f"The system keyring could not {doing}: {error_sentence(exc).rstrip('.')}."


@dataclass(frozen=True, slots=True)
class StoredSecrets:
    """What the keyring holds for the relay (whether, never the values)."""

    token: bool
    endpoint: bool


@dataclass(slots=True)
class WriteOutcome:
    """What a save stored, and the sentence for what it could not (the rest stays typed)."""

    stored: list[str] = field(default_factory=list)
    problem: str | None = None


def read_stored(secrets: Callable[[], Any], link: Any) -> StoredSecrets:
    """Blocking: a worker runs it."""
    token = bool(secrets().get(RELAY_TOKEN_KEY))
    endpoint = bool(link is not None and link.has_endpoint_secret())
    return StoredSecrets(token, endpoint)


def write_secrets(secrets: Callable[[], Any], link: Any, token: str, endpoint: str) -> WriteOutcome:
    """Blocking: store what was typed, one secret after the other; stops at the first refusal."""
    outcome = WriteOutcome()
    try:
        if token:
            secrets().set(RELAY_TOKEN_KEY, token)
            outcome.stored.append("stream token")
        if endpoint and link is not None:
            link.store_endpoint_secret(endpoint)
            outcome.stored.append("endpoint secret")
    except Exception as exc:  # NoSecureKeyring, KeyringUnavailable, a locked keyring
        outcome.problem = keyring_sentence(exc, "store the secret")
    return outcome


class RelayCard(KeyringCard):
    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, secrets: Any = None
    ) -> None:
        super().__init__("Webhook relay", ctx, parent, secrets=secrets)
        self.stored: StoredSecrets | None = None  # None until the keyring has answered
        self.read_problem: str | None = None
        self.reading = False
        self._read_again = False
        self.saving = False
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
        self.result_label.setAccessibleName("Relay secrets status")
        self.body.addWidget(self.result_label)
        self.load_from(ctx.settings)

    def open_secrets(self) -> Any:
        return relay_secrets()

    def _get_secrets(self) -> Any:
        return self.secrets

    def stored_token(self) -> bool:
        """Whether the keyring holds a stream token, as last read (False until it answered)."""
        return bool(self.stored and self.stored.token)

    def _link(self) -> Any:
        link = ninjaone_link(self.ctx)
        return link if hasattr(link, "store_endpoint_secret") else None

    def load_from(self, settings: Settings) -> None:
        self.url_edit.setText(settings.relay_url or "")
        if not self.saving:
            self.token_edit.clear()
            self.endpoint_edit.clear()
        self.read_keyring()

    # -- reading (a worker) --------------------------------------------------------------------

    def read_keyring(self) -> None:
        """Ask the keyring what it holds; the card shows "Loading…" until it answers."""
        if self.reading:
            self._read_again = True  # one read at a time; the newest question is asked next
            return
        self.reading = True
        self._read_again = False
        self.read_problem = None
        self.result_label.setText("Reading the system keyring…")
        self._update()
        link = self._link()
        run_job(self, lambda: read_stored(self._get_secrets, link), self._read, self._not_read)

    def _read(self, stored: StoredSecrets) -> None:
        self.reading = False
        self.stored = stored
        if self.result_label.text() == "Reading the system keyring…":
            self.result_label.setText("")
        self._after_read()

    def _not_read(self, exc: BaseException) -> None:
        self.reading = False
        self.read_problem = keyring_sentence(exc, "be read")
        self.result_label.setText(self.read_problem)
        self._after_read()

    def _after_read(self) -> None:
        self._update()
        if self._read_again:
            self.read_keyring()

    # -- state -----------------------------------------------------------------------------

    def _update(self) -> None:
        """Placeholders, badge and enabled state from what is known: never asks the keyring."""
        has_token = self.stored_token()
        stored = "Stored in the system keyring" + ("" if self._read_only else " — type to replace")
        unknown = self.stored is None and self.reading
        # The app uses the environment's token before the keyring's (ui/app.py relay_token):
        # the card says the same thing the status bar does.
        from_env = environment().relay_token is not None
        if from_env:
            self.token_edit.setPlaceholderText(f"Set by the {ENV_RELAY_TOKEN} environment variable")
        elif unknown:
            self.token_edit.setPlaceholderText(LOADING)
        else:
            self.token_edit.setPlaceholderText(stored if has_token else "Relay token")
        if self.ctx.settings.relay_url and (has_token or from_env):
            self.badge.set_badge("Configured", "#2e7d32")
        elif self.ctx.settings.relay_url and unknown:
            self.badge.set_badge("Checking…", "#757575")
        else:
            self.badge.set_badge("Not configured", "#757575")
        # While a save is under way the typed secrets stay as they are (they are being stored).
        editable = self._read_only is None and not self.saving
        self.url_edit.setEnabled(self._read_only is None)
        self.token_edit.setEnabled(editable)
        link = self._link()
        self.endpoint_edit.setEnabled(editable and link is not None)
        if unknown and link is not None:
            self.endpoint_edit.setPlaceholderText(LOADING)
        else:
            self.endpoint_edit.setPlaceholderText(
                stored
                if link is not None and self.stored is not None and self.stored.endpoint
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

    # -- saving ----------------------------------------------------------------------------

    def _typed(self) -> tuple[str, str]:
        if self._read_only is not None:
            return "", ""
        endpoint = self.endpoint_edit.text().strip() if self._link() is not None else ""
        return self.token_edit.text().strip(), endpoint

    def has_unsaved_secret(self) -> bool:
        return any(self._typed())

    def save_secret_in_background(self, finished: Callable[[str | None], None]) -> None:
        """Store newly typed secrets on a worker; `finished(None)` once stored, or the
        sentence when the keyring refused (the secret stays typed). Nothing typed: at once."""
        token, endpoint = self._typed()
        if not (token or endpoint):
            finished(None)
            return
        if self.saving:
            finished("A save is already under way; wait for it to finish.")
            return
        self.saving = True
        self.result_label.setText(SAVING)
        self._update()
        link = self._link()

        def done(outcome: WriteOutcome) -> None:
            self.saving = False
            self._stored_these(outcome)
            finished(outcome.problem)

        def failed(exc: BaseException) -> None:  # write_secrets catches; this is a safety net
            done(WriteOutcome(problem=keyring_sentence(exc, "store the secret")))

        run_job(self, lambda: write_secrets(self._get_secrets, link, token, endpoint), done, failed)

    def _stored_these(self, outcome: WriteOutcome) -> None:
        """Empty the fields of what was stored; keep what was not, with the reason."""
        previous = self.stored or StoredSecrets(False, False)
        token = previous.token or "stream token" in outcome.stored
        endpoint = previous.endpoint or "endpoint secret" in outcome.stored
        self.stored = StoredSecrets(token, endpoint)
        if "stream token" in outcome.stored:
            self.token_edit.clear()
        if "endpoint secret" in outcome.stored:
            self.endpoint_edit.clear()
        if outcome.problem:
            done = f"Relay {' and '.join(outcome.stored)} stored. " if outcome.stored else ""
            self.result_label.setText(done + outcome.problem)
        elif outcome.stored:
            self.result_label.setText(
                f"Relay {' and '.join(outcome.stored)} stored in the system keyring."
            )
        self._update()
