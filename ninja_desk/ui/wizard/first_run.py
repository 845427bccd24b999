"""The first-run wizard: region, connect, PSA database, relay, organization mapping.

Every step can be skipped (the app works from the offline cache and the demo), and so can the
whole wizard; either way `settings.first_run_done` is set so it does not come back. Everything
is also in Settings later. The shell shows it with `open()`, never `exec()` (design.md §5).

Finish writes the settings file at once and the secrets (relay token and endpoint secret, the
Alga API key) on a worker: a locked keyring waits for its user, never the window. The wizard
says "Saving…" meanwhile, closes once they are stored, and otherwise stays open with one
sentence and the refused secret still typed.

The wizard does not check PSA rights: on a fresh machine there is no PSA yet to hold them.
The organization mapping step does, because by then a PSA database may be configured.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.common import hint
from ninja_desk.ui.settings.ninjaone_card import (
    CUSTOM,
    NinjaOneCard,
    identity_fields,
    url_problem,
)
from ninja_desk.ui.settings.ninjaone_link import ensure_link
from ninja_desk.ui.settings.org_mapping_page import OrgMappingPage
from ninja_desk.ui.settings.psa_card import PsaCard
from ninja_desk.ui.settings.relay_card import RelayCard

SKIP_HINT = "You can skip this step and set it up later in Settings → Integrations."
SAVING = "Saving…"


class _Page(QWizardPage):
    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.body = QVBoxLayout(self)


class RegionPage(_Page):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            "Where is your NinjaOne?",
            "Pick the region your NinjaOne instance runs in and the API app to sign in with.",
        )
        self.ctx = ctx
        self._touched = False  # an empty field is an error only once the user has typed
        form = QFormLayout()
        self.region_combo, self.custom_url_edit, self.client_id_edit = identity_fields(form)
        self.form = form
        self.body.addLayout(form)
        self.problem_label = QLabel("")
        self.problem_label.setWordWrap(True)
        self.problem_label.setAccessibleName("What to fix on this page")
        self.problem_label.setStyleSheet("color: #b91c1c;")
        self.body.addWidget(self.problem_label)
        self.body.addWidget(
            hint(
                "Create the app in NinjaOne under Administration → Apps → API as a Native "
                "app with the redirect URI http://127.0.0.1:<port>/callback, the Authorization "
                "code and Refresh token grants, and the Monitoring, Management and Control "
                "scopes (docs/connecting.md)."
            )
        )
        self.body.addStretch(1)
        self.region_combo.currentIndexChanged.connect(self._region_changed)
        settings = ctx.settings
        if settings.custom_base_url:
            self.region_combo.setCurrentIndex(self.region_combo.findData(CUSTOM))
        else:
            self.region_combo.setCurrentIndex(max(self.region_combo.findData(settings.region), 0))
        self.custom_url_edit.setText(settings.custom_base_url or "")
        self.client_id_edit.setText(settings.client_id or "")
        self._region_changed()
        for edit in (self.custom_url_edit, self.client_id_edit):
            edit.textChanged.connect(self._edited)
        self._show_problem()

    def _region_changed(self) -> None:
        self.form.setRowVisible(self.custom_url_edit, self.region_combo.currentData() == CUSTOM)
        self._show_problem()

    def _edited(self, _text: str = "") -> None:
        self._touched = True
        self._show_problem()

    def problem(self) -> str | None:
        """What keeps this page from going on, as a sentence; None when it may."""
        if self.region_combo.currentData() == CUSTOM:
            bad_url = url_problem(self.custom_url_edit.text())
            if bad_url:
                return bad_url
        if not self.client_id_edit.text().strip():
            return "Enter the Client ID of your NinjaOne API app (or Skip setup)."
        return None

    def _show_problem(self) -> None:
        problem = self.problem()
        # An untouched empty field is not an error yet; a bad URL is one as soon as it shows.
        url_typed = self.region_combo.currentData() == CUSTOM and bool(
            self.custom_url_edit.text().strip()
        )
        self.problem_label.setText(problem if problem and (self._touched or url_typed) else "")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.problem() is None

    def apply(self) -> None:
        if self.problem() is not None:
            return  # never save a value the page refuses
        settings = self.ctx.settings
        region = self.region_combo.currentData()
        if region == CUSTOM and self.custom_url_edit.text().strip():
            settings.custom_base_url = self.custom_url_edit.text().strip()
        elif region != CUSTOM:
            settings.region, settings.custom_base_url = region, None
        settings.client_id = self.client_id_edit.text().strip() or settings.client_id

    def validatePage(self) -> bool:
        problem = self.problem()
        self.problem_label.setText(problem or "")
        if problem is not None:
            return False
        self.apply()
        return True


class ConnectPage(_Page):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__("Connect to NinjaOne", "Sign in once; NinjaDesk keeps the session.")
        self.card = NinjaOneCard(ctx)
        self.card.show_identity(False)
        self.card.setTitle("")
        self.body.addWidget(self.card)
        self.body.addWidget(hint(SKIP_HINT))
        self.body.addStretch(1)

    def initializePage(self) -> None:
        self.card.load_from(self.card.ctx.settings)


class _CardPage(_Page):
    """A step that is one Settings card: the same fields, checks and sentences as there."""

    def __init__(self, title: str, subtitle: str, card: PsaCard | RelayCard) -> None:
        super().__init__(title, subtitle)
        self.card = card
        self.card.setTitle("")
        self.body.addWidget(self.card)
        self.body.addWidget(hint(SKIP_HINT))
        self.body.addStretch(1)

    def validatePage(self) -> bool:
        problem = self.card.validate()
        self.card.result_label.setText(problem or "")
        return problem is None


class PsaPage(_CardPage):
    card: PsaCard

    def __init__(self, ctx: AppContext, secrets: Any = None) -> None:
        super().__init__(
            "PSA database",
            "Where tickets, clients and assets live. Test the connection, then migrate a new "
            "database to this version's schema.",
            PsaCard(ctx, secrets=secrets),
        )


class RelayPage(_CardPage):
    card: RelayCard

    def __init__(self, ctx: AppContext, secrets: Any = None) -> None:
        super().__init__(
            "Live updates through the relay",
            "Optional: the relay receives NinjaOne's webhooks and streams them to NinjaDesk.",
            RelayCard(ctx, secrets=secrets),
        )


class OrgMappingStep(_Page):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(
            "Map organizations to clients",
            "Devices of a mapped organization become assets of that PSA client.",
        )
        self.page = OrgMappingPage(ctx)
        self.body.addWidget(self.page)

    def initializePage(self) -> None:
        self.page.refresh()  # the PSA step may have just configured the database


class FirstRunWizard(QWizard):
    setup_done = Signal()  # settings saved with first_run_done; the shell re-reads them

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        relay_secrets: Any = None,
        alga_secrets: Any = None,
    ) -> None:
        """`relay_secrets` / `alga_secrets`: where the relay token and the Alga API key are
        kept (the OS keyring when None; tests pass their own)."""
        super().__init__(parent)
        self.ctx = ctx
        ensure_link(ctx)
        self.setWindowTitle("Set up NinjaDesk")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setOption(QWizard.WizardOption.NoCancelButton, True)  # "Skip setup" says it better
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Skip setup")
        self.customButtonClicked.connect(lambda _which: self.skip())
        self.region_page = RegionPage(ctx)
        self.connect_page = ConnectPage(ctx)
        self.psa_page = PsaPage(ctx, alga_secrets)
        self.relay_page = RelayPage(ctx, relay_secrets)
        self.mapping_page = OrgMappingStep(ctx)
        for page in (
            self.region_page,
            self.connect_page,
            self.psa_page,
            self.relay_page,
            self.mapping_page,
        ):
            self.addPage(page)
        self.resize(760, 600)
        self.saving = False  # the keyring is storing what Finish saved
        self._enabled_before: dict[QWizard.WizardButton, bool] = {}
        self.secret_problem: str | None = None  # why the last Finish could not store a secret
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Setup status")
        self.status_label.hide()

    def _save(self, *, complete: bool) -> None:
        """Write what was entered to the settings file (no secret goes there)."""
        settings = self.ctx.settings
        if complete:
            self.region_page.apply()
            psa, relay = self.psa_page.card, self.relay_page.card
            if psa.validate() is None:
                psa.apply_to(settings, store_key=False)  # the key: _store_secrets, on a worker
            if relay.validate() is None:
                relay.apply_to(settings)
        settings.first_run_done = True
        self.ctx.save_settings()

    # -- Finish: the secrets go to the keyring on a worker ---------------------------------------

    def _show_status(self, text: str) -> None:
        """The status line, on whichever page Finish was pressed."""
        page = self.currentPage()
        if isinstance(page, _Page) and self.status_label.parentWidget() is not page:
            page.body.addWidget(self.status_label)
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    def _set_busy(self, busy: bool) -> None:
        """No Back, Next, Finish or Skip while the keyring answers; afterwards each button is
        as the wizard had it (Next follows its page's checks, Back is off on page one)."""
        if busy == self.saving:
            return
        self.saving = busy
        buttons = (
            QWizard.WizardButton.BackButton,
            QWizard.WizardButton.NextButton,
            QWizard.WizardButton.FinishButton,
            QWizard.WizardButton.CustomButton1,
        )
        if busy:
            self._enabled_before = {which: self.button(which).isEnabled() for which in buttons}
        for which in buttons:
            self.button(which).setEnabled(False if busy else self._enabled_before[which])

    def _store_secrets(self) -> None:
        """The relay secrets, then the Alga API key, each on a worker (a locked Secret Service
        keyring waits for the user; the window keeps painting). One at a time, so a locked
        keyring asks to be unlocked once; the first refusal stops, with its sentence."""
        self._set_busy(True)
        self._show_status(SAVING)
        self.relay_page.card.save_secret_in_background(self._relay_stored)

    def _relay_stored(self, problem: str | None) -> None:
        if problem is not None:
            self._not_stored(f"Your choices are saved, but the relay secret was not: {problem}")
            return
        self.psa_page.card.save_key_in_background(self._key_stored)

    def _key_stored(self, problem: str | None) -> None:
        if problem is not None:
            self._not_stored(f"Your choices are saved, but the Alga API key was not: {problem}")
            return
        self._set_busy(False)
        self.secret_problem = None
        self._show_status("")
        # Only now: the shell opens the PSA and the relay feed, which read these secrets.
        self.setup_done.emit()
        super().accept()

    def _not_stored(self, sentence: str) -> None:
        """Stay open: the refused secret stays typed, Finish tries again."""
        self._set_busy(False)
        self.secret_problem = sentence
        self._show_status(sentence)

    def accept(self) -> None:
        if self.saving:
            return  # Finish again (or Enter) while the keyring is answering
        self._save(complete=True)
        self._store_secrets()

    def skip(self) -> None:
        """Leave now: nothing more is asked, the wizard will not come back."""
        if self.saving:
            return  # a secret is being stored; its answer closes the wizard or says why not
        self._save(complete=False)
        self.setup_done.emit()
        super().reject()

    def reject(self) -> None:  # Escape / the close button count as skipping
        self.skip()
