"""The question before a device action: which devices, and what will happen to them.

A forced reboot and a script run say so plainly (in the sentence and a warning line), Cancel
is the default button for them, and the OK button names the action and the count. Choices an
action needs (which script, which service, until when) are on the dialog; lists come from
NinjaOne off the UI thread (run_job on the qasync loop). Without the right or the scope the
dialog says why and cannot be accepted.
"""

from __future__ import annotations

import html
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
)

from ninja_desk.core.device_jobs import SERVICE_ACTIONS
from ninja_desk.sync.device_action_service import (
    MAINTENANCE_ON,
    ActionRequest,
    Device,
)
from ninja_desk.ui.a11y import named
from ninja_desk.ui.device_actions.action_dialog import DeviceActionDialog
from ninja_desk.ui.settings.background import bind, error_sentence, run_job
from ninja_desk.ui.theme import is_dark

WARNING_STYLE = "color: #b3261e; font-weight: 600;"


# A field's edge at 3:1 or more against the window (the dark palette's base is nearly the
# window's colour, and Fusion draws the frame in a shade of it: the Reason field had no edge).
FIELD_BORDERS = {False: "#7b8594", True: "#6b7480"}


def field_style(dark: bool) -> str:
    return (
        f"QLineEdit {{ border: 1px solid {FIELD_BORDERS[dark]}; border-radius: 3px;"
        " padding: 2px 4px; background: palette(base); }"
        f" QLineEdit:focus {{ border-color: palette(highlight); }}"
    )


def device_names(devices: Sequence[Device]) -> list[str]:
    """The devices by name; the NinjaOne id only tells apart two devices of the same name."""
    counts = Counter(d.name for d in devices)
    return [f"{d.name} (ID {d.id})" if counts[d.name] > 1 else str(d.name) for d in devices]


class ConfirmActionDialog(DeviceActionDialog):
    dialog_name = "Confirm device action"
    minimum = (520, 240)

    def _build(self, ticket: str | None) -> None:
        request = self.requested
        self._scripts: list[dict[str, Any]] = []
        self._loading = False
        self.progress: Any = None  # the progress dialog once accepted (start_device_action)

        layout = self.body
        self.heading = QLabel()
        named(self.heading, "Action", tip=False)
        layout.addWidget(self.heading)
        self.sentence = QLabel()
        self.sentence.setWordWrap(True)
        self.sentence.setTextFormat(Qt.TextFormat.PlainText)
        named(self.sentence, "What will happen", tip=False)
        layout.addWidget(self.sentence)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        named(self.warning, "Warning", tip=False)
        layout.addWidget(self.warning)

        self.device_list = QListWidget()
        named(self.device_list, "Devices this applies to")
        self.device_list.setUniformItemSizes(True)  # 200 names lay out in one measure
        self.device_list.addItems(device_names(self.devices))
        self.device_list.setMaximumHeight(160)
        self.device_list.setVisible(len(self.devices) > 1)
        layout.addWidget(self.device_list)

        form = QFormLayout()
        layout.addLayout(form)
        self.script_box = QComboBox()
        self.run_as_box = QComboBox()
        self.run_as_box.setEditable(True)
        self.parameters = QLineEdit()
        self.service_box = QComboBox()
        self.service_box.setEditable(True)
        self.service_action_box = QComboBox()
        self.service_action_box.addItems([a.capitalize() for a in SERVICE_ACTIONS])
        self.until = QDateTimeEdit(QDateTime.currentDateTime().addSecs(2 * 3600))
        self.until.setCalendarPopup(True)
        self.until.setMinimumDateTime(QDateTime.currentDateTime())
        self.reason = QLineEdit(request.reason or "")
        self.ticket = QLineEdit(ticket or "")
        self.ticket.setPlaceholderText("TIC000042 — the outcome becomes an internal note")
        kind = request.kind
        if kind in ("script", "action"):
            form.addRow("Script", named(self.script_box, "Script to run"))
            form.addRow("Run as", named(self.run_as_box, "Run as"))
            form.addRow("Parameters", named(self.parameters, "Script parameters"))
            self.script_box.currentIndexChanged.connect(self._refresh)
            self.run_as_box.currentTextChanged.connect(self._refresh)
        if kind == "service":
            form.addRow("Service", named(self.service_box, "Windows service"))
            form.addRow("Do", named(self.service_action_box, "Service action"))
            if request.service_action:
                self.service_action_box.setCurrentText(request.service_action.capitalize())
            if request.service_id:
                self.service_box.setEditText(request.service_id)
            self.service_box.currentTextChanged.connect(self._refresh)
            self.service_action_box.currentIndexChanged.connect(self._refresh)
        if kind == MAINTENANCE_ON:
            form.addRow("Until", named(self.until, "Maintenance until"))
            self.until.dateTimeChanged.connect(self._refresh)
        for edit in (self.parameters, self.reason, self.ticket):
            edit.setStyleSheet(field_style(is_dark(self.palette())))
        form.addRow("Reason", named(self.reason, "Reason (optional)"))
        form.addRow("Ticket", named(self.ticket, "Ticket (optional)"))

        self.status = QLabel()
        self.status.setWordWrap(True)
        named(self.status, "Status", tip=False)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.addButton(
            "", QDialogButtonBox.ButtonRole.AcceptRole
        )
        named(self.ok_button, "Confirm the action")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        allowed, reason = self.service.availability(request)
        self._refusal = None if allowed else reason
        if allowed and kind in ("script", "action"):
            self._load_choices(
                "Loading the scripts this device can run…",
                self.service.scripting_options,
                self._scripts_loaded,
            )
        elif allowed and kind == "service":
            self._load_choices(
                "Loading the device's Windows services…",
                self.service.windows_services,
                self._services_loaded,
            )
        self._refresh()
        self.resize(self.sizeHint().expandedTo(self.minimumSize()))

    # -- loading choices (off the UI thread) -----------------------------------------------

    def _load_choices(
        self, what: str, fetch: Callable[[int], Any], loaded: Callable[[Any], None]
    ) -> None:
        """Fetch the first device's choices off the UI thread; `_loading` keeps the action
        unconfirmable and the status line says what is coming until `loaded` (or
        `_load_failed`) answers."""
        self._loading = True
        self.status.setText(what)
        run_job(self, bind(fetch, self.devices[0].id), loaded, self._load_failed)

    def _scripts_loaded(self, options: Any) -> None:
        self._loading = False
        self.status.setText("")
        self._scripts = [s for s in (options or {}).get("scripts", []) if isinstance(s, dict)]
        self.script_box.clear()
        for script in self._scripts:
            kind = "built-in action" if script.get("type") == "ACTION" else "script"
            self.script_box.addItem(f"{script.get('name')} ({kind})")
        roles = ((options or {}).get("credentials") or {}).get("roles") or []
        self.run_as_box.clear()
        self.run_as_box.addItems([str(r) for r in roles] or ["SYSTEM"])
        self._select_requested_script()
        self._refresh()

    def _select_requested_script(self) -> None:
        r = self.requested
        for i, script in enumerate(self._scripts):
            if (r.script_id is not None and script.get("id") == r.script_id) or (
                r.action_uid is not None and script.get("uid") == r.action_uid
            ):
                self.script_box.setCurrentIndex(i)
                return

    def _services_loaded(self, services: Any) -> None:
        self._loading = False
        self.status.setText("" if services else "This device reports no Windows services.")
        typed = self.service_box.currentText()
        self.service_box.clear()
        for svc in services or []:
            self.service_box.addItem(f"{svc.get('name')}", svc.get("name"))
        if typed:
            self.service_box.setEditText(typed)
        self._refresh()

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.status.setText(error_sentence(exc))
        self._refresh()

    # -- the request as chosen -----------------------------------------------------------

    def request(self) -> ActionRequest:
        r = self.requested
        reason = self.reason.text().strip() or None
        if r.kind in ("script", "action"):
            i = self.script_box.currentIndex()
            script = self._scripts[i] if 0 <= i < len(self._scripts) else None
            if script is not None:
                is_action = script.get("type") == "ACTION"
                r = replace(
                    r,
                    kind="action" if is_action else "script",
                    script_id=None if is_action else script.get("id"),
                    action_uid=script.get("uid") if is_action else None,
                    script_name=str(script.get("name") or ""),
                )
            r = replace(
                r,
                run_as=self.run_as_box.currentText().strip() or None,
                parameters=self.parameters.text().strip() or None,
            )
        elif r.kind == "service":
            r = replace(
                r,
                service_id=self.service_box.currentText().strip() or None,
                service_action=self.service_action_box.currentText().upper(),
            )
        elif r.kind == MAINTENANCE_ON:
            r = replace(r, until=float(self.until.dateTime().toSecsSinceEpoch()))
        return replace(r, reason=reason)

    def ticket_number(self) -> str | None:
        return self.ticket.text().strip() or None

    def _ready(self) -> bool:
        if self._refusal is not None or self._loading:
            return False
        r = self.request()
        if r.kind in ("script", "action"):
            return r.script_id is not None or r.action_uid is not None
        if r.kind == "service":
            return bool(r.service_id)
        if r.kind == MAINTENANCE_ON:
            return (r.until or 0) > time.time()
        return True

    def _refresh(self) -> None:
        request = self.request()
        self.sentence.setText(self.service.confirmation(request, self.devices))
        if request.drastic:
            self.warning.setText(
                "This cannot be stopped once sent: "
                + (
                    "unsaved work on the device is lost."
                    if request.kind == "reboot"
                    else "the script runs with the rights chosen above."
                )
            )
        self.warning.setVisible(request.drastic)
        if self._refusal is not None:
            self.status.setText(self._refusal)
        n = len(self.devices)
        count = f"{n} device{'s' if n != 1 else ''}"
        on = "" if request.kind == "reboot" else "on "
        self.ok_button.setText(f"{request.label} {on}{count}")
        self.heading.setText(f"<b>{html.escape(request.label)}</b>")
        self.ok_button.setEnabled(self._ready())
        # Cancel is what Enter does when the action is drastic.
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(request.drastic)
        self.ok_button.setDefault(not request.drastic)
