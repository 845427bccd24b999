"""The PSA database card: URL and tenant, "test connection" and "migrate" (off the UI thread),
and the technician's Alga API key (who this desktop acts as; kept in the OS keyring only).

The key field stays editable when the card is read-only: a desktop without a key is read-only,
and entering one is how it stops being so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from ninja_desk.psa.errors import PsaSchemaMismatch
from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.background import error_sentence, run_job
from ninja_desk.ui.settings.common import KeyringCard, hint

PASSWORD_IN_URL = (
    "Leave the password out of the URL: it would be saved in the settings file. Put it in "
    "PostgreSQL's password file (~/.pgpass) or the PGPASSWORD environment variable instead."
)


@dataclass(frozen=True, slots=True)
class PsaCheck:
    ok: bool
    needs_migration: bool
    message: str


def url_problem(url: str) -> str | None:
    if not url.strip():
        return "Enter the PSA database URL (postgresql://… or sqlite:///…)."
    try:
        parsed = sa.make_url(url.strip())
    except Exception:
        return f"'{url}' is not a database URL; use postgresql://host/db or sqlite:///path."
    if parsed.password:
        return PASSWORD_IN_URL
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        return "Only PostgreSQL and SQLite PSA databases are supported."
    return None


def check_psa(url: str) -> PsaCheck:
    """Connect and compare the schema with this build's head (blocking: call off the UI)."""
    from ninja_desk.psa.database import create_psa_engine
    from ninja_desk.psa.migrator import check_schema

    engine = create_psa_engine(url)
    try:
        with engine.connect() as conn:
            try:
                check_schema(conn)
            except PsaSchemaMismatch as exc:
                return PsaCheck(True, True, f"Connected. {exc}")
        return PsaCheck(True, False, "Connected; the schema is up to date.")
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return PsaCheck(False, False, f"Could not connect: {reason}. Check the URL and server.")
    finally:
        engine.dispose()


def migrate_psa(url: str) -> str:
    from ninja_desk.psa.migrator import head_revision, migrate

    migrate(url)
    return f"Migrated to schema {head_revision()}."


def check_api_key(url: str, tenant: str, api_key: str) -> str:
    """Who the key identifies and what they may do, as a sentence (blocking: off the UI)."""
    from ninja_desk.psa.identity import identify
    from ninja_desk.psa.setup import resolve_tenant
    from ninja_desk.psa.tenancy import PsaDatabase

    db = PsaDatabase(url)
    try:
        tenant_id = resolve_tenant(db, tenant)[0] if tenant.strip() else None
        identity = identify(db, api_key, tenant_id)
    finally:
        db.dispose()
    if identity.read_only:
        return identity.summary()
    may = ", ".join(sorted(identity.permissions))
    return f"{identity.summary()} Rights in NinjaDesk: {may}."


def identity_text(ctx: AppContext) -> str:
    """What the PSA card says about who this desktop acts as."""
    psa = ctx.psa
    if psa is None or not hasattr(psa, "read_only_reason"):  # a bare handle (tests)
        return ""
    reason = psa.read_only_reason
    text = reason if reason else psa.identity_summary()
    if getattr(psa, "companion", False):
        text += " " + psa.mode_reason
    return text


class PsaCard(KeyringCard):
    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, secrets: Any = None
    ) -> None:
        super().__init__("PSA database", ctx, parent, secrets=secrets)
        self._jobs: list[tuple[Future[Any], Callable[[Any], None], Callable[[Any], None]]] = []
        self._job_timer = QTimer(self)
        self._job_timer.setInterval(30)
        self._job_timer.timeout.connect(self._poll_jobs)
        self._busy = False
        self.last_check: PsaCheck | None = None
        form = QFormLayout()
        self.url_edit = QLineEdit(placeholderText="postgresql://user@db.example.com/psa")
        self.url_edit.textChanged.connect(self._update)
        self.tenant_edit = QLineEdit(placeholderText="Tenant id (UUID)")
        self.key_edit = QLineEdit(
            placeholderText="Alga API key (your Alga profile → API keys); kept in the keyring"
        )
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Database URL", self.url_edit)
        form.addRow("Tenant", self.tenant_edit)
        form.addRow("Alga API key", self.key_edit)
        self.body.addLayout(form)
        self.identity_label = QLabel(identity_text(ctx))
        self.identity_label.setWordWrap(True)
        self.body.addWidget(self.identity_label)
        buttons = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.migrate_button = QPushButton("Migrate")
        self.migrate_button.setToolTip("Upgrade the database schema (run with an owner account)")
        self.check_key_button = QPushButton("Check key")
        self.forget_key_button = QPushButton("Forget key")
        self.test_button.clicked.connect(self.test_connection)
        self.migrate_button.clicked.connect(self.migrate)
        self.check_key_button.clicked.connect(self.check_key)
        self.forget_key_button.clicked.connect(self.forget_key)
        self.key_edit.textChanged.connect(self._update)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.migrate_button)
        buttons.addWidget(self.check_key_button)
        buttons.addWidget(self.forget_key_button)
        buttons.addStretch(1)
        self.body.addLayout(buttons)
        self.result_label = hint("")
        self.body.addWidget(self.result_label)
        self.load_from(ctx.settings)

    def load_from(self, settings: Settings) -> None:
        self.url_edit.setText(settings.psa_url or "")
        self.tenant_edit.setText(settings.psa_tenant or "")
        self.last_check = None
        self._update()

    def validate(self) -> str | None:
        url = self.url_edit.text().strip()
        return None if not url else url_problem(url)

    def apply_to(
        self, settings: Settings, *, key_in_background: bool = False, store_key: bool = True
    ) -> None:
        """Settings stores a typed API key on a worker (`key_in_background`); the first-run
        wizard leaves it (`store_key=False`) to `save_key_in_background`, which tells it when
        the keyring answered."""
        if self._read_only is None:
            settings.psa_url = self.url_edit.text().strip() or None
            settings.psa_tenant = self.tenant_edit.text().strip() or None
        key = self.key_edit.text().strip()
        if key and store_key:  # into the keyring, never settings.json; the field empties itself
            if key_in_background:
                self._store_key_in_background(key)
            else:
                self._store_key(key)

    def open_secrets(self) -> Any:
        from ninja_desk.sync.alga_api_key import keyring_secrets

        return keyring_secrets()

    def _store_key(self, key: str | None) -> None:
        from ninja_desk.sync.alga_api_key import store_api_key

        try:
            store_api_key(key, self.secrets)
        except Exception as exc:
            self.result_label.setText(error_sentence(exc))
            return
        self.key_edit.clear()
        self._reidentify(key)

    def _store_key_in_background(self, key: str | None) -> None:
        """`_store_key` with the keyring call on a worker (it can wait for an unlock)."""
        from ninja_desk.sync.alga_api_key import store_api_key

        self.identity_label.setText("Saving the API key to the system keyring…")

        def done(_value: Any) -> None:
            if self.key_edit.text().strip() == (key or ""):
                self.key_edit.clear()  # stored; a key typed meanwhile stays
            if key is None and self.ctx.psa is None:
                self.identity_label.setText(identity_text(self.ctx) or "No Alga API key is stored.")
            else:
                self._reidentify(key)

        def failed(exc: BaseException) -> None:  # the typed key stays, to try again
            self.identity_label.setText(error_sentence(exc))

        self._in_background(lambda: store_api_key(key, self.secrets), done, failed)

    def save_key_in_background(self, finished: Callable[[str | None], None]) -> None:
        """Store a newly typed API key on a worker; `finished(None)` once stored (at once when
        none is typed), else `finished(sentence)` and the key stays typed to try again."""
        from ninja_desk.sync.alga_api_key import store_api_key

        key = self.key_edit.text().strip()
        if not key:
            finished(None)
            return
        self.identity_label.setText("Saving the API key to the system keyring…")

        def done(_value: Any) -> None:
            if self.key_edit.text().strip() == key:
                self.key_edit.clear()  # stored; a key typed meanwhile stays
            self._reidentify(key)
            finished(None)

        def failed(exc: BaseException) -> None:
            sentence = error_sentence(exc)
            self.identity_label.setText(sentence)
            finished(sentence)

        self._in_background(lambda: store_api_key(key, self.secrets), done, failed)

    def _reidentify(self, key: str | None) -> None:
        """Tell the running desktop who it is now (off the UI thread)."""
        psa = self.ctx.psa
        if psa is None:
            self.identity_label.setText("Saved in the keyring; used once the PSA is connected.")
            return

        def reidentify() -> frozenset[str]:
            psa.reidentify(key)
            return psa.permissions()  # a PSA query without a key: on the worker too

        def done(permissions: frozenset[str]) -> None:
            self.ctx.permissions = permissions
            self.identity_label.setText(identity_text(self.ctx))

        def failed(exc: BaseException) -> None:
            self.identity_label.setText(error_sentence(exc))

        self._in_background(reidentify, done, failed)

    def check_key(self) -> None:
        url, key = self.url_edit.text().strip(), self.key_edit.text().strip()
        if url_problem(url) is not None or not key or self._busy:
            return
        tenant = self.tenant_edit.text()

        def done(message: str) -> None:
            self.identity_label.setText(message)

        def failed(exc: BaseException) -> None:  # a refused key says why; the database is fine
            self.identity_label.setText(error_sentence(exc))

        self.identity_label.setText("Checking the key…")
        self._in_background(lambda: check_api_key(url, tenant, key), done, failed)

    def _in_background(
        self,
        fn: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        """Run `fn` on a worker thread and hand its answer back on the UI thread.

        The worker touches no Qt object (it fills a future that the card's one timer polls on
        the UI thread), and no Qt object is created or deleted per job.
        """
        future: Future[Any] = Future()

        def work() -> None:
            try:
                future.set_result(fn())
            except Exception as exc:  # reported as a sentence by `failed`
                future.set_exception(exc)

        self._jobs.append((future, done, failed))
        self._job_timer.start()
        threading.Thread(target=work, name="psa-card-job", daemon=True).start()

    def _poll_jobs(self) -> None:
        finished = [job for job in self._jobs if job[0].done()]
        self._jobs = [job for job in self._jobs if not job[0].done()]
        if not self._jobs:
            self._job_timer.stop()
        for future, done, failed in finished:
            error = future.exception()
            if error is not None:
                failed(error)
            else:
                done(future.result())

    def forget_key(self) -> None:
        self._store_key_in_background(None)

    def set_read_only(self, reason: str | None) -> None:
        self._read_only = reason
        self._update()

    def _update(self) -> None:
        editable = self._read_only is None and not self._busy
        self.url_edit.setEnabled(editable)
        self.tenant_edit.setEnabled(editable)
        problem = url_problem(self.url_edit.text())
        blocked = self._read_only or problem or ("Working…" if self._busy else None)
        self.test_button.setEnabled(not self._busy and problem is None)
        self.migrate_button.setEnabled(blocked is None)
        has_key = bool(self.key_edit.text().strip())
        self.check_key_button.setEnabled(not self._busy and problem is None and has_key)
        self.migrate_button.setToolTip(blocked or "Upgrade the database schema to this build")
        if self.last_check is None:
            if self.ctx.psa is not None:
                self.badge.set_badge("In use", "#2e7d32")
            else:
                self.badge.set_badge("Not configured", "#757575")
        elif not self.last_check.ok:
            self.badge.set_badge("Error", "#c62828")
        elif self.last_check.needs_migration:
            self.badge.set_badge("Needs migration", "#ef6c00")
        else:
            self.badge.set_badge("Reachable", "#2e7d32")
        if not self._busy and self.last_check is None:
            text = self.url_edit.text().strip()
            self.result_label.setText(problem if text and problem else "")

    def _start(self, label: str, fn: Any, done: Any) -> None:
        self._busy = True
        self.result_label.setText(label)
        self._update()

        def finished(value: Any) -> None:
            self._busy = False
            done(value)
            self._update()

        def failed(exc: BaseException) -> None:
            self._busy = False
            self.last_check = PsaCheck(False, False, error_sentence(exc))
            self._update()
            self.result_label.setText(error_sentence(exc))

        run_job(self, fn, finished, failed)

    def test_connection(self) -> None:
        url = self.url_edit.text().strip()
        if url_problem(url) is not None or self._busy:
            return

        def done(check: PsaCheck) -> None:
            self.last_check = check
            self.result_label.setText(check.message)

        self._start("Connecting…", lambda: check_psa(url), done)

    def migrate(self) -> None:
        url = self.url_edit.text().strip()
        if url_problem(url) is not None or self._busy or self._read_only:
            return

        def done(message: str) -> None:
            self.last_check = PsaCheck(True, False, message)
            self.result_label.setText(message)

        self._start("Migrating the PSA database…", lambda: migrate_psa(url), done)
