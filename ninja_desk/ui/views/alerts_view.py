"""Alerts: the cached NinjaOne alerts, filtered in SQL, with acknowledge / resolve / ticket.

The actions go through the alert service on the context (`ctx.alerts`, a
sync.alert_service.AlertService). Until it is there — or when the PSA or NinjaOne is not
connected, or the user lacks the right — each button stays disabled and the reason is written
under the buttons.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries.alerts import ALERT_EXISTS_SQL, STATUS_CHOICES, AlertFilter
from ninja_desk.psa.permissions import ACT_ALERTS, CREATE_TICKETS, denial_sentence
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.formatting import severity_text
from ninja_desk.ui.models.alert_table_model import SEVERITY_COLOURS, AlertTableModel, status_text
from ninja_desk.ui.models.paged_sql import format_time
from ninja_desk.ui.settings.background import bind, error_sentence, run_job
from ninja_desk.ui.ui_state import ui_state
from ninja_desk.ui.views.base import View
from ninja_desk.ui.widgets.choices import refill_clients
from ninja_desk.ui.widgets.compact_delegate import CompactDelegate, shorter_time
from ninja_desk.ui.widgets.data_table import data_table, select_row
from ninja_desk.ui.widgets.detail_splitter import DetailSplitter
from ninja_desk.ui.widgets.flow_layout import flow_row
from ninja_desk.ui.widgets.keep_position import kept_scroll
from ninja_desk.ui.widgets.key_column import KeyColumn
from ninja_desk.ui.widgets.quiet_focus import enable_by_reason
from ninja_desk.ui.widgets.saved_filters import SavedFiltersButton, SavedFilterStore

NO_PSA = "PSA database not configured; set it up in Settings → Integrations."
NO_SERVICE = "Alert actions need the alert pipeline, which is not running in this session."
NO_RESET = "Resetting in NinjaOne needs a NinjaOne connection."


def alert_service(ctx: AppContext) -> Any:
    """The alert pipeline's service, once the app wires one into the context."""
    return getattr(ctx, "alerts", None)


OUTCOMES = {
    "ticket": "Ticket created",
    "suppressed": "Suppressed: no ticket",
    "dry_run": "Dry run: a ticket would have been made",
    "no_rule": "No rule matched: no ticket",
    "org_not_mapped": "Organization not mapped: no ticket",
    "maintenance": "In a maintenance window: no ticket",
    "duplicate": "Joined an existing ticket",
    "manual_ticket": "Ticket made by hand",
}


def decision_text(raw: str | None) -> str:
    """The pipeline's decision (core.alert_rules.Decision.as_json, or plain text) as sentences."""
    if not raw:
        return "No rule has looked at this alert yet."
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(value, dict):
        return str(value)
    outcome = str(value.get("outcome") or "")
    lines = [OUTCOMES.get(outcome, outcome.replace("_", " ").capitalize())] if outcome else []
    if value.get("reason"):
        lines.append(str(value["reason"]))
    details = []
    if value.get("rule"):
        details.append(f"Rule: {value['rule']}")
    if value.get("priority"):
        details.append(f"priority {value['priority']}")
    if value.get("window"):
        details.append(f"window {value['window']}")
    if value.get("dry_run") and outcome != "dry_run":
        details.append("dry run")
    if details:
        lines.append(" · ".join(details))
    return "\n".join(lines) or raw


class AlertsView(View):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = AlertTableModel(ctx.cache, self)
        self._current: dict[str, Any] | None = None
        self._busy = False
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self._filters_changed)
        self.store = SavedFilterStore(ui_state(ctx.data_dir), "alerts")
        self._build()
        self.refresh()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        # Two rows: severities, then the other filters; each wraps rather than widen the window.
        severity_row: list[QWidget] = []
        filters = QHBoxLayout()
        filters.setSpacing(6)
        self.severity_buttons: dict[str, QPushButton] = {}
        for name in ("CRITICAL", "MAJOR", "MODERATE", "MINOR", "NONE"):
            button = QPushButton(name.title())
            button.setCheckable(True)
            button.setMinimumWidth(70)
            button.setToolTip(f"Show {name.title()} alerts (none ticked = every severity)")
            button.setStyleSheet(
                f"QPushButton:checked {{ background: {SEVERITY_COLOURS[name]}; color: white; }}"
            )
            button.toggled.connect(self._filters_changed)
            self.severity_buttons[name] = button
            severity_row.append(button)
        self.status_combo = QComboBox()
        for key, label in STATUS_CHOICES:
            self.status_combo.addItem(label, key)
        self.status_combo.currentIndexChanged.connect(self._filters_changed)
        self.client_combo = QComboBox()
        for combo in (self.status_combo, self.client_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
        self.client_combo.currentIndexChanged.connect(self._filters_changed)
        self.device_edit = QLineEdit(placeholderText="Device name")
        self.device_edit.setClearButtonEnabled(True)
        self.device_edit.setMinimumWidth(110)
        self.device_edit.textChanged.connect(self._debounce.start)
        self.text_edit = QLineEdit(placeholderText="Message contains…")
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setMinimumWidth(140)
        self.text_edit.textChanged.connect(self._debounce.start)
        for label, widget in (
            ("Status", self.status_combo),
            ("Client", self.client_combo),
        ):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(self.device_edit, 1)
        filters.addWidget(self.text_edit, 2)

        self.table = data_table(
            self.model,
            widths=(86, 130, 110, 320, 128, 76, 84),
            sort=(4, Qt.SortOrder.DescendingOrder),
        )
        # The message takes the spare width; the severity word always shows whole (a colour
        # square alone says little, and not at all to the colour-blind). Device, client and
        # time may be cut to 88 px (the time then drops its year; tooltips have it all).
        # Narrower still (1024 px, beside the detail) the client, then the ticket, then the
        # status give way: the detail panel shows all three for the selected alert, and the
        # Client filter stays.
        self.key_column = KeyColumn(
            self.table, 3, share=0.28, fold=(2, 6, 5), elastic=(1, 2, 4), elastic_floor=88
        )
        # Narrow: the time without the year (its tooltip has it all).
        self.table.setItemDelegateForColumn(4, CompactDelegate(shorter_time, self.table))
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(self._open_device_clicked)
        self.count_label = QLabel()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)

        # The list gets what the window gains; the detail about a quarter, 380 px at most.
        self.splitter = splitter = DetailSplitter(share=0.28, widest=380)
        splitter.add_panes(left, self._build_detail())
        self.saved_button = SavedFiltersButton(
            self.store, self.filter_state, self.apply_filter, self, message=self.message.emit
        )
        severity_row.append(self.saved_button)
        layout = QVBoxLayout(self)
        layout.addWidget(flow_row(*severity_row, parent=self))
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)

    def _build_detail(self) -> QWidget:
        box = QWidget()
        box.setMinimumWidth(280)
        outer = QVBoxLayout(box)
        outer.setContentsMargins(6, 0, 0, 0)
        self.detail_title = QLabel("Select an alert")
        self.detail_title.setWordWrap(True)
        self.detail_title.setStyleSheet("font-weight: 600; font-size: 13pt;")
        outer.addWidget(self.detail_title)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.detail_fields: dict[str, QLabel] = {}
        for key, label in (
            ("severity", "Severity"),
            ("device", "Device"),
            ("client", "Client"),
            ("triggered", "Triggered"),
            ("status", "Status"),
            ("acknowledged", "Acknowledged"),
            ("source", "Source"),
            ("ticket", "Ticket"),
        ):
            value = QLabel("—")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.detail_fields[key] = value
            form.addRow(label, value)
        outer.addLayout(form)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.message_label)

        decision_box = QGroupBox("Why a ticket was or was not made")
        decision_layout = QVBoxLayout(decision_box)
        self.decision_label = QLabel("—")
        self.decision_label.setWordWrap(True)
        self.decision_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        decision_layout.addWidget(self.decision_label)
        outer.addWidget(decision_box)

        buttons = QVBoxLayout()
        self.ack_button = QPushButton("Acknowledge")
        self.resolve_button = QPushButton("Resolve")
        self.create_ticket_button = QPushButton("Create ticket")
        self.open_ticket_button = QPushButton("Open ticket")
        self.open_device_button = QPushButton("Open device")
        self.ack_button.clicked.connect(lambda: self._run_action("acknowledge"))
        self.resolve_button.clicked.connect(lambda: self._run_action("resolve"))
        self.create_ticket_button.clicked.connect(lambda: self._run_action("create_ticket"))
        self.open_ticket_button.clicked.connect(self._open_ticket_clicked)
        self.open_device_button.clicked.connect(self._open_device_clicked)
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        row1.addWidget(self.ack_button)
        row1.addWidget(self.resolve_button)
        row2.addWidget(self.create_ticket_button)
        row2.addWidget(self.open_ticket_button)
        buttons.addLayout(row1)
        buttons.addLayout(row2)
        buttons.addWidget(self.open_device_button)
        self.reset_check = QCheckBox("Resolving also resets the alert in NinjaOne")
        self.reset_check.setChecked(True)
        buttons.insertWidget(1, self.reset_check)
        outer.addLayout(buttons)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet("color: palette(placeholder-text);")
        outer.addWidget(self.reason_label)
        outer.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Never narrower than its content: the splitter gives the table less instead of
        # cutting the buttons off behind a sideways scroll bar (seen at 1024 px).
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(box.minimumWidth() + scroll.verticalScrollBar().sizeHint().width())
        return scroll

    # -- public API -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the cache (after a sync) keeping filters, sort and the selected alert."""
        keep = self._current["uid"] if self._current else None
        with kept_scroll(self.table):
            refill_clients(self.client_combo, self.ctx.cache)
            self.model.reload()
            self.count_label.setText(f"{self.model.count():,} alerts")
            if keep is None or not self._select_loaded(keep):
                self._show(None)

    def apply_filter(self, values: dict[str, Any]) -> None:
        """Set the filters, e.g. {"severity": ["CRITICAL"], "status": "open", "device_id": 7}."""
        wanted = AlertFilter.from_dict(values)
        self._setting_filters = True
        try:
            for name, button in self.severity_buttons.items():
                button.setChecked(name in wanted.severities)
            index = self.status_combo.findData(wanted.status)
            self.status_combo.setCurrentIndex(max(index, 0))
            org_index = self.client_combo.findData(wanted.organization_id)
            self.client_combo.setCurrentIndex(max(org_index, 0))
            self.device_edit.setText(wanted.device_text)
            self.text_edit.setText(wanted.text)
        finally:
            self._setting_filters = False
        self._device_id = wanted.device_id
        self._debounce.stop()
        self._filters_changed()

    def filter_state(self) -> dict[str, Any]:
        """The filters as `apply_filter` takes them (saved filters)."""
        state: dict[str, Any] = {
            "severity": sorted(n for n, b in self.severity_buttons.items() if b.isChecked()),
            "status": self.status_combo.currentData() or "open",
            "organization_id": self.client_combo.currentData(),
            "device": self.device_edit.text(),
            "text": self.text_edit.text(),
        }
        if self._device_id is not None:
            state["device_id"] = self._device_id
        return state

    def select_alert(self, uid: str) -> bool:
        """Show one alert; clears the filters when they hide it. False if it is not cached."""
        if self._select_loaded(uid):
            return True
        if not self.ctx.cache.scalar(ALERT_EXISTS_SQL, u=uid):
            return False
        self.apply_filter({"status": "all"})
        return self._select_loaded(uid)

    def current_alert(self) -> dict[str, Any] | None:
        return self._current

    # -- filters --------------------------------------------------------------------------

    _setting_filters = False
    _device_id: int | None = None

    def _filters_changed(self) -> None:
        if self._setting_filters:
            return
        self.model.filter = AlertFilter(
            severities=frozenset(n for n, b in self.severity_buttons.items() if b.isChecked()),
            status=self.status_combo.currentData() or "open",
            organization_id=self.client_combo.currentData(),
            device_id=self._device_id,
            device_text=self.device_edit.text(),
            text=self.text_edit.text(),
        )
        keep = self._current["uid"] if self._current else None
        self.model.reload()
        self.count_label.setText(f"{self.model.count():,} alerts")
        if keep is None or not self._select_loaded(keep, page_in=False):
            self._show(None)

    # -- selection and detail -------------------------------------------------------------

    def _select_loaded(self, uid: str, page_in: bool = True) -> bool:
        if page_in:
            row = self.model.fetch_all_until(lambda r: r["uid"] == uid)
        else:
            row = next(
                (
                    i
                    for i in range(self.model.rowCount())
                    if (r := self.model.row_at(i)) is not None and r["uid"] == uid
                ),
                -1,
            )
        if row < 0:
            return False
        select_row(self.table, row)
        self._show(self.model.row_at(row))
        return True

    def _row_changed(self, current: Any, _previous: Any) -> None:
        self._show(self.model.row_at(current.row()) if current.isValid() else None)

    def _show(self, alert: dict[str, Any] | None) -> None:
        self._current = alert
        if alert is None:
            self.detail_title.setText("Select an alert")
            for label in self.detail_fields.values():
                label.setText("—")
            self.message_label.setText("")
            self.decision_label.setText("—")
        else:
            self.detail_title.setText(" ".join(str(alert.get("message") or "Alert").split()))
            severity = alert.get("severity")
            colour = SEVERITY_COLOURS.get((severity or "NONE").upper(), "#9e9e9e")
            self.detail_fields["severity"].setText(
                f'<span style="color:{colour}">●</span> {severity_text(severity)}'
            )
            self.detail_fields["device"].setText(
                alert.get("device_name") or f"Device {alert.get('device_id')}"
            )
            self.detail_fields["client"].setText(alert.get("org_name") or "—")
            self.detail_fields["triggered"].setText(format_time(alert.get("create_time")) or "—")
            status = status_text(alert)
            if alert.get("status") == "RESET" and alert.get("resolved_at"):
                status += f" at {format_time(alert['resolved_at'])}"
            self.detail_fields["status"].setText(status)
            acked = alert.get("acknowledged_at")
            self.detail_fields["acknowledged"].setText(
                f"{format_time(acked)} by {alert.get('acknowledged_by') or 'someone'}"
                if acked
                else "No"
            )
            source = [alert.get("source_type"), alert.get("condition_name")]
            self.detail_fields["source"].setText(" · ".join(p for p in source if p) or "—")
            self.detail_fields["ticket"].setText(
                f"#{alert['ticket_number']}"
                if alert.get("ticket_number")
                else (alert.get("ticket_id") or "None")
            )
            message = alert.get("message") or ""
            # The title shows a one-line message; repeat it only when it had more lines.
            self.message_label.setText(message if "\n" in message.strip() else "")
            self.decision_label.setText(decision_text(alert.get("decision")))
        self._update_actions()

    # -- actions --------------------------------------------------------------------------

    def action_reason(self, action: str) -> str | None:
        """Why `action` is unavailable for the current alert; None when it can run."""
        alert = self._current
        if alert is None:
            return "Select an alert."
        if self._busy:
            return "Working…"
        if action in ("acknowledge", "resolve"):
            if alert_service(self.ctx) is None:
                return NO_PSA if self.ctx.psa is None else NO_SERVICE
            if ACT_ALERTS not in self.ctx.permissions:
                return denial_sentence(ACT_ALERTS)
            if alert.get("status") == "RESET":
                return "This alert is already reset."
            if action == "acknowledge" and alert.get("acknowledged_at"):
                return "This alert is already acknowledged."
            return None
        if action == "create_ticket":
            if alert_service(self.ctx) is None:
                return NO_PSA if self.ctx.psa is None else NO_SERVICE
            if CREATE_TICKETS not in self.ctx.permissions:
                return denial_sentence(CREATE_TICKETS)
            if alert.get("ticket_id"):
                return f"This alert already has ticket #{alert.get('ticket_number') or ''}."
            return None
        if action == "open_ticket":
            return None if alert.get("ticket_id") else "No ticket was made for this alert."
        if action == "open_device":
            return None if alert.get("device_id") else "This alert has no device."
        raise ValueError(action)

    def _update_actions(self) -> None:
        reasons = enable_by_reason(
            (
                ("acknowledge", self.ack_button),
                ("resolve", self.resolve_button),
                ("create_ticket", self.create_ticket_button),
                ("open_ticket", self.open_ticket_button),
                ("open_device", self.open_device_button),
            ),
            self.action_reason,
        )
        if self._current is None:
            reasons = []  # with no alert the tooltips say "Select an alert."; no reason line
        can_reset = self.resolve_button.isEnabled() and self.ctx.sync is not None
        self.reset_check.setEnabled(can_reset)
        self.reset_check.setToolTip("" if self.ctx.sync is not None else NO_RESET)
        self.reason_label.setText("\n".join(reasons))

    def _run_action(self, action: str) -> None:
        alert = self._current
        service = alert_service(self.ctx)
        if alert is None or service is None or self.action_reason(action) is not None:
            return
        uid = alert["uid"]
        method = getattr(service, action)
        args: tuple[Any, ...] = (uid,)
        if action == "resolve":
            args = (uid, self.reset_check.isChecked() and self.ctx.sync is not None)
        self._busy = True
        self._update_actions()

        def done(value: Any) -> None:
            self._busy = False
            self.refresh()
            if not self._select_loaded(uid):
                # Resolved alerts leave the "open" list; keep showing what was acted on.
                self.table.clearSelection()
                self._show(self.model.load_one(uid))
            default = {
                "acknowledge": "Alert acknowledged.",
                "resolve": "Alert resolved.",
                "create_ticket": "Ticket created.",
            }[action]
            # The service's ActionResult says what happened ("already acknowledged", ...).
            text = getattr(value, "message", None) or default
            self.reason_label.setText(text)
            self.message.emit(text)

        def failed(exc: BaseException) -> None:
            self._busy = False
            self._update_actions()
            self.reason_label.setText(error_sentence(exc))

        run_job(self, bind(method, *args), done, failed)

    def _open_ticket_clicked(self) -> None:
        if self._current and self._current.get("ticket_id"):
            ticket_id = str(self._current["ticket_id"])
            self.open_ticket_requested.emit(ticket_id)

    def _open_device_clicked(self, *_args: Any) -> None:
        if self._current and self._current.get("device_id"):
            self.open_device_requested.emit(int(self._current["device_id"]))
