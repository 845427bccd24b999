"""The NinjaOne card: region, sign-in, status, sync schedule and the webhook."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ninja_desk.ninjaone.connection import ConnectionSnapshot, ConnectionState
from ninja_desk.ninjaone.regions import REGION_LABELS, UnknownRegion, base_url_for
from ninja_desk.ninjaone.webhooks import relay_hook_url
from ninja_desk.psa.permissions import CONFIGURE_INTEGRATION
from ninja_desk.settings import Settings
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.opener import copy_to_clipboard
from ninja_desk.ui.settings.background import bind, error_sentence, run_job
from ninja_desk.ui.settings.common import Card, StatusBadge, hint
from ninja_desk.ui.settings.services import (
    NO_LINK,
    NO_NINJA,
    connection_snapshot,
    ensure_relay_webhook,
    ninjaone_link,
    permission_reason,
    session_client,
    webhook_failure,
    webhook_notice,
)
from ninja_desk.ui.widgets.quiet_focus import enable_by_reason, set_enabled_quietly

CUSTOM = "custom"
_SELF_EVIDENT = {"Already connected.", "Not connected."}  # the badge already says so
DISCONNECT_TITLE = "Disconnect from NinjaOne?"
DISCONNECT_TEXT = (
    "NinjaDesk will stop syncing with NinjaOne.\n\n"
    "Kept: the local cache (devices, alerts, software) and everything in the PSA database "
    "(clients, assets, tickets, organization mappings, alert rules).\n\n"
    "Removed: the NinjaOne sign-in (tokens in this computer's keyring, revoked at NinjaOne) and "
    "the webhook registered with NinjaOne, so live updates stop until you connect again."
)


class _StatusBridge(QObject):
    changed = Signal(object)
    authorize_url = Signal(str)
    browser_failed = Signal(str)


def url_problem(text: str) -> str | None:
    """Why `text` is not a usable instance URL, as a sentence; None when it is."""
    text = text.strip()
    if not text:
        return "Enter the instance URL, or pick a region."
    try:
        base_url_for(custom_url=text)
    except UnknownRegion:
        return f"'{text}' is not a web address; enter it like https://ninja.example.com."
    parts = urlsplit(text)
    host = parts.hostname or ""
    if any(c.isspace() for c in text) or not host or host.startswith(".") or ".." in host:
        return f"'{text}' is not a web address; enter it like https://ninja.example.com."
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"The port in '{text}' is not a number between 1 and 65535."
    return None


def identity_fields(form: QFormLayout) -> tuple[QComboBox, QLineEdit, QLineEdit]:
    """Region, instance URL and Client ID rows, as Settings and the first-run wizard ask them."""
    region = QComboBox()
    for key, label in REGION_LABELS.items():
        region.addItem(label, key)
    region.addItem("Custom URL (simulator, branded host)", CUSTOM)
    custom_url = QLineEdit(placeholderText="https://ninja.example.com")
    client_id = QLineEdit(placeholderText="NinjaOne → Administration → Apps → API")
    form.addRow("Region", region)
    form.addRow("Instance URL", custom_url)
    form.addRow("Client ID", client_id)
    return region, custom_url, client_id


class NinjaOneCard(Card):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("NinjaOne", parent)
        self.ctx = ctx
        self._busy = False
        self._read_only: str | None = None
        self._identity_visible = True
        self.confirm_box: QMessageBox | None = None

        top = QHBoxLayout()
        self.badge = StatusBadge()
        self.status_detail = QLabel()
        self.status_detail.setWordWrap(True)
        top.addWidget(self.badge)
        top.addWidget(self.status_detail, 1)
        self.body.addLayout(top)

        form = QFormLayout()
        self.region_combo, self.custom_url_edit, self.client_id_edit = identity_fields(form)
        self.region_combo.currentIndexChanged.connect(self._region_changed)
        self.identity_form = form
        self._identity_rows = 3
        self.body.addLayout(form)

        buttons = QHBoxLayout()
        self.connect_button = QPushButton("Connect…")
        self.disconnect_button = QPushButton("Disconnect…")
        self.cancel_button = QPushButton("Cancel sign-in")
        self.cancel_button.setToolTip("Stop waiting for the browser sign-in")
        self.copy_link_button = QPushButton("Copy sign-in link")
        self.copy_link_button.setToolTip(
            "Copy the NinjaOne sign-in link to open it in a browser yourself"
        )
        self.connect_button.clicked.connect(self._connect_clicked)
        self.disconnect_button.clicked.connect(self._disconnect_clicked)
        self.cancel_button.clicked.connect(self._cancel_clicked)
        self.copy_link_button.clicked.connect(self._copy_link_clicked)
        self.cancel_button.hide()
        self.copy_link_button.hide()
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.copy_link_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        self._signing_in = False
        self._authorize_url: str | None = None

        self.auto_sync_check = QCheckBox("Sync automatically")
        self.interval_spin = QSpinBox(minimum=1, maximum=1440, suffix=" min")
        self.interval_spin.setMaximumWidth(110)
        self.auto_sync_check.toggled.connect(self.interval_spin.setEnabled)
        form.addRow("", self.auto_sync_check)
        form.addRow("Sync every", self.interval_spin)

        # The status is a field of its own (a label inside a nested row lost its second line
        # at 1024 px: the form does not ask a nested layout for its height at a width), and the
        # button sits under it, so a long relay address wraps instead of being cut off.
        self.webhook_label = QLabel()
        self.webhook_label.setWordWrap(True)
        self.webhook_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reregister_button = QPushButton("Re-register webhook")
        self.reregister_button.clicked.connect(self._reregister_clicked)
        webhook_buttons = QHBoxLayout()
        webhook_buttons.addWidget(self.reregister_button)
        webhook_buttons.addStretch(1)
        form.addRow("Webhook", self.webhook_label)
        form.addRow("", webhook_buttons)

        self.reason_label = hint("")
        self.body.addWidget(self.reason_label)

        self._bridge = _StatusBridge(self)
        self._bridge.changed.connect(lambda _snap: self.update_state())
        self._bridge.authorize_url.connect(self._authorize_url_known)
        self._bridge.browser_failed.connect(self._browser_failed)
        link = ninjaone_link(ctx)
        if link is not None and hasattr(link, "on_authorize_url"):
            link.on_authorize_url = self._bridge.authorize_url.emit
            link.on_browser_failed = self._bridge.browser_failed.emit
        # Every edit re-checks at once: the reason and the Connect button never lag a Save.
        self.region_combo.currentIndexChanged.connect(lambda _i: self.update_state())
        self.custom_url_edit.textChanged.connect(lambda _t: self.update_state())
        self.client_id_edit.textChanged.connect(lambda _t: self.update_state())
        status = getattr(link, "status", None)
        if status is not None:
            # Listeners run on the thread that changed the status; the signal hops to Qt's.
            unlisten = status.add_listener(self._bridge.changed.emit)
            self.destroyed.connect(lambda *_: unlisten())  # no calls into a deleted card
        self.load_from(ctx.settings)

    # -- settings round trip --------------------------------------------------------------

    def load_from(self, settings: Settings) -> None:
        if settings.custom_base_url:
            self.region_combo.setCurrentIndex(self.region_combo.findData(CUSTOM))
        else:
            index = self.region_combo.findData(settings.region)
            self.region_combo.setCurrentIndex(max(index, 0))
        self.custom_url_edit.setText(settings.custom_base_url or "")
        self.client_id_edit.setText(settings.client_id or "")
        self.auto_sync_check.setChecked(settings.auto_sync)
        self.interval_spin.setValue(settings.sync_interval_minutes)
        self.interval_spin.setEnabled(settings.auto_sync)
        self._region_changed()
        self.update_state()

    def validate(self) -> str | None:
        if self.region_combo.currentData() == CUSTOM:
            return url_problem(self.custom_url_edit.text())
        return None

    def apply_to(self, settings: Settings) -> None:
        if self._read_only is None and self.region_combo.isEnabled():
            region = self.region_combo.currentData()
            if region == CUSTOM:
                settings.custom_base_url = self.custom_url_edit.text().strip() or None
            else:
                settings.region = region
                settings.custom_base_url = None
            settings.client_id = self.client_id_edit.text().strip() or None
        # The schedule is this desktop's own preference: anyone may change it.
        settings.auto_sync = self.auto_sync_check.isChecked()
        settings.sync_interval_minutes = self.interval_spin.value()

    def base_url(self) -> str:
        if self.region_combo.currentData() == CUSTOM:
            return base_url_for(custom_url=self.custom_url_edit.text().strip())
        return base_url_for(self.region_combo.currentData())

    # -- state ----------------------------------------------------------------------------

    def set_read_only(self, reason: str | None) -> None:
        self._read_only = reason
        self.update_state()

    def show_identity(self, visible: bool) -> None:
        """Hide region and client ID where another page already asked for them (the wizard)."""
        self._identity_visible = visible
        for row in range(self._identity_rows):
            self.identity_form.setRowVisible(row, visible)
        self._region_changed()

    def _region_changed(self) -> None:
        custom = self.region_combo.currentData() == CUSTOM
        self.identity_form.setRowVisible(self.custom_url_edit, custom and self._identity_visible)

    def snapshot(self) -> ConnectionSnapshot:
        return connection_snapshot(self.ctx)

    def action_reason(self, action: str) -> str | None:
        if self._busy:
            return "Working…"
        if self._read_only:
            return self._read_only
        snap = self.snapshot()
        connected = snap.state not in (ConnectionState.DISCONNECTED,)
        if action == "connect":
            if ninjaone_link(self.ctx) is None:
                return NO_LINK
            if snap.state in (ConnectionState.CONNECTED, ConnectionState.SYNCING):
                return "Already connected."
            if not self.client_id_edit.text().strip():
                return "Enter the Client ID of your NinjaOne API app first."
            return self.validate()
        if action == "disconnect":
            if not connected:
                return "Not connected."
            return NO_LINK if ninjaone_link(self.ctx) is None else None
        if action == "reregister":
            if not snap.can_sync:
                return NO_NINJA
            if ninjaone_link(self.ctx) is None:
                return NO_LINK
            if not self.ctx.settings.relay_url:
                return "Set the relay URL first: NinjaOne sends its webhooks to the relay."
            return None
        raise ValueError(action)

    def update_state(self) -> None:
        snap = self.snapshot()
        self.badge.set_state(snap.state)
        detail = snap.reason or snap.expiry_warning or ""
        if not detail and snap.state is ConnectionState.DISCONNECTED:
            detail = "Pick your region, enter the API app's Client ID and connect."
        self.status_detail.setText(detail)
        # Region and app are what the session was made with: change them after disconnecting.
        editable = self._read_only is None and not self._busy and not snap.can_sync
        for widget in (self.region_combo, self.custom_url_edit, self.client_id_edit):
            set_enabled_quietly(widget, editable)
            widget.setToolTip("" if editable or not snap.can_sync else "Disconnect to change this.")
        reasons = enable_by_reason(
            (
                ("connect", self.connect_button),
                ("disconnect", self.disconnect_button),
                ("reregister", self.reregister_button),
            ),
            self.action_reason,
        )
        reasons = [r for r in reasons if r not in _SELF_EVIDENT]
        settings = self.ctx.settings
        if settings.webhook_registered and settings.relay_url:
            hook = relay_hook_url(settings.relay_url, settings.relay_endpoint)
            self.webhook_label.setText(f"Registered, delivering to {hook}")
        else:
            self.webhook_label.setText("Not registered: no live updates, sync on schedule only.")
        self.cancel_button.setVisible(self._signing_in)
        self.copy_link_button.setVisible(self._signing_in and bool(self._authorize_url))
        if not self._busy:
            self.reason_label.setText(" ".join(reasons))

    # -- actions --------------------------------------------------------------------------

    def _run(
        self, label: str, fn: Any, done_text: str, after: Any = None, on_failure: Any = None
    ) -> None:
        self._busy = True
        self.update_state()
        self.reason_label.setText(label)

        def done(value: Any) -> None:
            self._busy = False
            if after is not None:
                after(value)
            self.update_state()
            problems = getattr(value, "problems", None)
            self.reason_label.setText(" ".join(problems) if problems else done_text)

        def failed(exc: BaseException) -> None:
            self._busy = False
            if on_failure is not None:
                on_failure()
            self.update_state()
            self.reason_label.setText(error_sentence(exc))

        run_job(self, fn, done, failed)

    def _connect_clicked(self) -> None:
        link = ninjaone_link(self.ctx)
        reason = self.action_reason("connect")
        if link is None or reason is not None:
            self.reason_label.setText(reason or NO_LINK)
            return
        self.apply_to(self.ctx.settings)
        self.ctx.save_settings()
        base_url, client_id = self.base_url(), self.client_id_edit.text().strip()
        self._signing_in = True
        self._authorize_url = None

        def finished(_value: Any = None) -> None:
            self._signing_in = False
            self._authorize_url = None

        def connected(value: Any = None) -> None:
            finished(value)
            self.check_webhook("Connected.")

        self._run(
            "Waiting for the NinjaOne sign-in in your browser…",
            bind(link.connect, base_url, client_id),
            "Connected.",
            connected,
            on_failure=finished,
        )

    def check_webhook(self, lead: str) -> None:
        """After a sign-in: point NinjaOne's webhook at the relay when it does not already.

        Runs on the app's loop; what came of it is a notice after `lead` ("Connected."), never
        a failure of the sign-in itself.
        """

        def done(result: Any) -> None:
            self.update_state()  # the webhook line
            notice = webhook_notice(result)
            if notice and not self._busy:
                self.reason_label.setText(f"{lead} {notice}")

        def failed(exc: BaseException) -> None:
            self.update_state()
            if not self._busy:
                self.reason_label.setText(f"{lead} {webhook_failure(exc)}")

        if not self.ctx.settings.relay_url or session_client(self.ctx) is None:
            return  # no relay, no live updates to set up (the webhook line says so)
        run_job(self, bind(ensure_relay_webhook, self.ctx), done, failed)

    def _authorize_url_known(self, url: str) -> None:
        if not self._signing_in:
            return
        self._authorize_url = url
        self.copy_link_button.setToolTip(url)
        self.update_state()
        self.reason_label.setText(
            "Waiting for the NinjaOne sign-in in your browser… If no browser opened, copy "
            "the sign-in link and open it yourself."
        )

    def _browser_failed(self, sentence: str) -> None:
        if self._signing_in:
            self.reason_label.setText(sentence)

    def _copy_link_clicked(self) -> None:
        if self._authorize_url:
            copy_to_clipboard(self._authorize_url)
            self.reason_label.setText(
                "Sign-in link copied: paste it into your browser. NinjaDesk keeps waiting."
            )

    def _cancel_clicked(self) -> None:
        link = ninjaone_link(self.ctx)
        cancel = getattr(link, "cancel_connect", None)
        if callable(cancel):
            cancel()

    def _disconnect_clicked(self) -> None:
        if self.action_reason("disconnect") is not None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            DISCONNECT_TITLE,
            DISCONNECT_TEXT,
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.addButton("Disconnect", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(
            lambda button: (
                self._disconnect_confirmed()
                if box.buttonRole(button) == QMessageBox.ButtonRole.AcceptRole
                else None
            )
        )
        self.confirm_box = box
        box.open()  # never exec(): this may run inside an async slot (design.md §5)

    def _disconnect_confirmed(self) -> None:
        link = ninjaone_link(self.ctx)
        if link is None:
            return

        def after(_report: Any) -> None:
            self.ctx.settings.webhook_registered = False
            self.ctx.save_settings()

        self._run(
            "Disconnecting…",
            bind(link.disconnect),
            "Disconnected. The cache and the PSA data were kept.",
            after,
        )

    def _reregister_clicked(self) -> None:
        link = ninjaone_link(self.ctx)
        if link is None or self.action_reason("reregister") is not None:
            return

        def after(_value: Any) -> None:
            self.ctx.settings.webhook_registered = True
            self.ctx.save_settings()

        self._run(
            "Registering the webhook…", bind(link.register_webhook), "Webhook registered.", after
        )


def integration_reason(ctx: AppContext) -> str | None:
    return permission_reason(ctx, CONFIGURE_INTEGRATION)
