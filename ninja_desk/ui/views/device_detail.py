"""One device: RMM status, hardware/OS, network, alerts, patches, software, tickets, history,
and Remote Connect — the panel beside the device table.

Actions that need a service (acknowledge, create ticket, remote connect) stay disabled with
the reason written next to them when the service, the connection or the right is missing.
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries import device_detail as dq
from ninja_desk.cache.queries import tickets as tq
from ninja_desk.cache.queries.row_count import count_sql
from ninja_desk.psa.permissions import ACT_ALERTS, CREATE_TICKETS, denial_sentence
from ninja_desk.sync.remote_connect import RemoteConnect, launches_in_cache
from ninja_desk.sync.services import PsaService
from ninja_desk.ui.a11y import named
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.device_actions.wiring import DetailActions
from ninja_desk.ui.formatting import (
    ago,
    iso_when,
    node_class_text,
    size_text,
    status_text,
    when,
)
from ninja_desk.ui.models.device_detail_models import (
    DeviceAlertModel,
    DevicePatchModel,
    DeviceScopedModel,
    DeviceSoftwareModel,
    DeviceTicketModel,
)
from ninja_desk.ui.opener import copy_to_clipboard, failure_sentence, open_links
from ninja_desk.ui.settings.background import bind, error_sentence, run_job
from ninja_desk.ui.views.base import View
from ninja_desk.ui.widgets.badge import Badge
from ninja_desk.ui.widgets.data_table import data_table
from ninja_desk.ui.widgets.key_column import KeyColumn
from ninja_desk.ui.widgets.overflow_row import OverflowRow
from ninja_desk.ui.widgets.quiet_focus import set_enabled_quietly
from ninja_desk.ui.widgets.search_line import SearchLineEdit
from ninja_desk.ui.widgets.sql_table_model import ROW_ROLE

NO_ALERT_SERVICE = "Alert actions need the alert pipeline, which is not running in this session."
NO_PSA = "PSA not configured; set it up in Settings → Integrations."


def ninja_device_link(ctx: AppContext, device_id: int) -> str:
    """The NinjaOne web UI deep link (works without the API; reference §12.12)."""
    base = ctx.settings.custom_base_url or f"https://{ctx.settings.region}.ninjarmm.com"
    return f"{base.rstrip('/')}/#/deviceDashboard/{int(device_id)}/overview"


def remote_connect_for(ctx: AppContext) -> RemoteConnect:
    api = getattr(ctx.sync, "api", None) if ctx.sync is not None else None
    psa = ctx.psa
    return RemoteConnect(
        api,
        open_url=ctx.open_url,
        cache=ctx.cache,
        scopes=ctx.settings.scopes,
        permissions=ctx.permissions,
        user=str(getattr(psa, "user_name", None) or "local user"),
        record_launch=getattr(psa, "record_remote_launch", None),
    )


_UUID = re.compile(r"'?\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b'?", re.I)
_REPR_STRING = re.compile(r"'([^']*)'")


def ticket_numbers(cache: Any) -> dict[str, str]:
    """Ticket id -> its number (TIC000001), from the PSA mirror in the cache."""
    try:
        rows = cache.rows(tq.TICKET_NUMBERS_SQL)
    except Exception:  # no PSA mirror yet
        return {}
    return {str(r["id"]): str(r["number"]) for r in rows}


def _value_text(value: Any, numbers: dict[str, str]) -> str:
    if value is None or value == "":
        return "none"
    text = str(value)
    if _UUID.fullmatch(text):
        return numbers.get(text.strip("'"), "another record")
    return iso_when(text) or text


# Keys the sync writes with every update (where it came from, which records): not changes a
# technician reads.
_BOOKKEEPING = frozenset({"source", "device_id", "integration_id"})


_RESULT_WORDS = {
    "sent": "sent",
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "TIMED_OUT": "did not finish in time",
    "NOT_SENT": "was not sent",
    "REFUSED": "was refused",
}


def _action_sentence(kind: Any, changes: Any, numbers: dict[str, str]) -> str | None:
    """Device actions and remote sessions read as what a technician did and how it ended."""
    if not isinstance(changes, dict):
        return None
    ticket = changes.get("ticket")
    on_ticket = f", {numbers.get(str(ticket), ticket)}" if ticket else ""
    if kind == "rmm_action":
        result = changes.get("result")
        new = result.get("new") if isinstance(result, dict) else result
        what = str(changes.get("what") or changes.get("action") or "Device action")
        outcome = _RESULT_WORDS.get(str(new), str(new or "").lower() or "sent")
        message = f": {changes['message']}" if changes.get("message") else ""
        by = f" (by {changes['by']}{on_ticket})" if changes.get("by") else ""
        return f"{what} {outcome}{message}{by}"
    if kind == "remote_connect":
        who = changes.get("by") or changes.get("url") or "a technician"
        return f"Remote session opened by {str(who).removeprefix('remote session by ')}{on_ticket}"
    return None


def history_text(entry: Any, numbers: dict[str, str]) -> str:
    """One asset-history entry as a sentence: no Python reprs (None, quotes), ticket numbers
    instead of ticket ids. Uses the raw change when the PSA layer gives it."""
    if not isinstance(entry, dict):
        return html.escape(str(entry))
    changes = entry.get("changes")
    sentence = _action_sentence(entry.get("change_type"), changes, numbers)
    if sentence is not None:
        return html.escape(sentence)
    if isinstance(changes, dict) and changes:
        fields = []
        shown = [(k, c) for k, c in changes.items() if str(k) not in _BOOKKEEPING]
        for key, change in shown[:6]:
            label = str(key).replace("_", " ")
            if isinstance(change, dict) and ("old" in change or "new" in change):
                old = _value_text(change.get("old"), numbers)
                new = _value_text(change.get("new"), numbers)
                fields.append(f"{label}: {old} → {new}")
            else:
                fields.append(label)
        kind = str(entry.get("change_type") or "changed").replace("_", " ")
        who = entry.get("source") or entry.get("changed_by")
        what = f"{kind.capitalize()}: {'; '.join(fields)}" if fields else kind.capitalize()
        text = what + (f" (by {who})" if who else "")
        return html.escape(text)
    text = str(entry.get("summary") or entry.get("change") or entry.get("change_type") or "")
    text = _UUID.sub(lambda m: numbers.get(m.group(0).strip("'"), "another record"), text)
    text = re.sub(r"\bNone\b", "none", text)
    text = _REPR_STRING.sub(lambda m: m.group(1) or "empty", text)
    text = text.replace("_", " ")
    return html.escape(text[:1].upper() + text[1:])


def psa_history_html(psa: PsaService, device_id: int, numbers: dict[str, str]) -> str:
    """The device's PSA asset history as the History tab shows it. Blocking: a worker runs it."""
    entries = list(psa.asset_history(int(device_id)) or [])
    if not entries:
        return "<p>No asset history in the PSA for this device yet.</p>"
    parts = ["<p><b>Asset history (PSA)</b></p><ul>"]
    for e in entries[:50]:
        at = e.get("changed_at") or e.get("at") if isinstance(e, dict) else None
        stamp = (
            when(at) if isinstance(at, int | float) else html.escape(iso_when(at) or str(at or ""))
        )
        parts.append(f"<li>{stamp} — {history_text(e, numbers)}</li>")
    parts.append("</ul>")
    return "".join(parts)


def _table(model: Any, name: str, key: int = 1, fold: tuple[int, ...] = ()) -> QTableView:
    """A panel's small table: the `key` column (what people read: the alert, the patch, the
    software's name) takes the spare width, the others the width their text needs. In a
    narrow panel the `fold` columns go first (last named last) instead of the key column
    shrinking to nothing behind a sideways scroll bar."""
    view = data_table(model, name)
    view.horizontalHeader().setAccessibleName(f"{name} columns")
    # Kept on the table: the key column lives as long as the table it sizes.
    view.key_column = KeyColumn(view, key, share=0.45, fold=fold)  # type: ignore[attr-defined]
    return view


class _ReflowScroll(QScrollArea):
    """The overview's two columns of boxes, one column when the panel is narrow (the boxes of
    the right column move under the left ones) instead of two squeezed columns or a sideways
    scroll bar."""

    TWO_COLUMNS_FROM = 540

    def __init__(self, grid: QHBoxLayout, left: QVBoxLayout, right: QVBoxLayout) -> None:
        super().__init__()
        self.grid = grid
        self.left = left
        self.right = right
        self.moved: list[QWidget] = []
        self.two_columns = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        two = event.size().width() >= self.TWO_COLUMNS_FROM
        if two == self.two_columns:
            return
        self.two_columns = two
        if two:
            for box in self.moved:
                self.left.removeWidget(box)
                self.right.insertWidget(self.right.count() - 1, box)
            self.moved = []
            self.grid.setStretch(1, 1)
        else:
            self.grid.setStretch(1, 0)  # the empty right column takes no width
            items = (self.right.itemAt(i) for i in range(self.right.count()))
            self.moved = [w for item in items if item and (w := item.widget()) is not None]
            for box in self.moved:
                self.right.removeWidget(box)
                self.left.insertWidget(self.left.count() - 1, box)


class DeviceDetail(View):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.device: dict[str, Any] | None = None
        self.remote = remote_connect_for(ctx)
        self._busy = False
        self._history_device: int | None = None
        self._history_reading = False
        self.setAccessibleName("Device detail")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)

        header = QHBoxLayout()
        self.title = QLabel("Select a device", self)
        self.title.setAccessibleName("Device name")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.status_badge = Badge("", parent=self)
        self.subtitle = QLabel("", self)
        self.subtitle.setAccessibleName("Device client and class")
        self.subtitle.setWordWrap(True)
        header.addWidget(self.title)
        header.addWidget(self.status_badge)
        header.addStretch(1)
        layout.addLayout(header)
        layout.addWidget(self.subtitle)

        actions = QHBoxLayout()
        self.connect_button = named(
            QPushButton("Remote Connect", self),
            "Remote Connect",
            "Open a remote session on this device in NinjaOne",
        )
        self.connect_button.setDefault(True)
        self.ticket_combo = named(
            QComboBox(self),
            "Ticket for this session",
            "The ticket the remote session is recorded against",
        )
        self.ticket_combo.setMinimumContentsLength(10)  # "No ticket"; longer ones elide
        self.ticket_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.open_button = named(QPushButton("Open in NinjaOne", self), "Open in NinjaOne")
        self.sync_button = named(QPushButton("Sync device", self), "Sync this device")
        self.connect_button.clicked.connect(self.launch_remote)
        self.open_button.clicked.connect(self._open_in_ninja)
        self.sync_button.clicked.connect(
            lambda: self.device and self.sync_requested.emit([self.device["id"]])
        )
        # Remote Connect and its ticket always show; the other two go to "More" when the panel
        # is narrow, so the row no longer sets the panel's minimum width (it was ~510 px and
        # left the device table half the window at 1280 px).
        self.action_row = OverflowRow(self)
        self.action_row.add_always(self.connect_button)
        self.action_row.add_always(self.ticket_combo)
        self.action_row.add_optional(self.open_button)
        self.action_row.add_optional(self.sync_button)
        actions.addWidget(self.action_row, 1)
        layout.addLayout(actions)
        self.connect_reason = QLabel("", self)
        self.connect_reason.setWordWrap(True)
        self.connect_reason.setAccessibleName("Why Remote Connect is unavailable")
        self.connect_reason.setStyleSheet("color: #b45309;")
        self.connect_reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_link_button = named(
            QPushButton("Copy link", self),
            "Copy link",
            "Copy the link the system could not open, to paste into your browser",
        )
        self.copy_link_button.hide()
        self.copy_link_button.clicked.connect(self._copy_link)
        self.failed_link: str | None = None
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.connect_reason, 1)
        reason_row.addWidget(self.copy_link_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(reason_row)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Device sections")
        self.tabs.setDocumentMode(True)
        # Seven sections do not fit a narrow panel: the tab bar scrolls (arrows at its end)
        # rather than eliding "Overview" to "Ov…" or widening the panel.
        self.tabs.setUsesScrollButtons(True)
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideNone)
        layout.addWidget(self.tabs, 1)
        self._build_overview()
        self._build_alerts()
        self._build_patches()
        self._build_software()
        self._build_tickets()
        self._build_history()
        # Device actions and the last outcome under the action row; a Fields tab (custom fields).
        self.device_actions = DetailActions(self, actions, self.tabs)
        # A section's table is read when its tab is shown, not on every device click: reading
        # all four (and fitting their columns) was most of a click's time on the UI thread.
        sections: tuple[tuple[QTableView, DeviceScopedModel], ...] = (
            (self.alert_table, self.alert_model),
            (self.patch_table, self.patch_model),
            (self.software_table, self.software_model),
            (self.ticket_table, self.ticket_model),
        )
        pages = [page for i in range(self.tabs.count()) if (page := self.tabs.widget(i))]
        self._section_models: dict[QWidget, DeviceScopedModel] = {
            page: model for page in pages for table, model in sections if page.isAncestorOf(table)
        }
        self._stale_sections: set[DeviceScopedModel] = set()
        self.tabs.currentChanged.connect(self._read_shown_section)
        self.show_device(None)

    # -- tabs ------------------------------------------------------------------------------

    def _form_group(self, title: str, rows: list[tuple[str, str]]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label in rows:
            value = QLabel("—")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(label)
            self.fields[key] = value
            form.addRow(f"{label}:", value)
        return box

    def _build_overview(self) -> None:
        self.fields: dict[str, QLabel] = {}
        page = QWidget()
        grid = QHBoxLayout(page)
        left = QVBoxLayout()
        right = QVBoxLayout()
        left.addWidget(
            self._form_group(
                "RMM status",
                [
                    ("agent", "Agent"),
                    ("last_contact", "Last contact"),
                    ("sync", "Synced"),
                    ("maintenance", "Maintenance"),
                    ("reboot", "Reboot needed"),
                    ("av", "Antivirus"),
                    ("av_defs", "AV definitions"),
                ],
            )
        )
        left.addWidget(
            self._form_group(
                "Network",
                [
                    ("ips", "IP addresses"),
                    ("public_ip", "Public IP"),
                    ("macs", "MAC addresses"),
                    ("dns", "DNS name"),
                    ("domain", "Domain"),
                    ("user", "Last user"),
                ],
            )
        )
        right.addWidget(
            self._form_group(
                "Hardware and OS",
                [
                    ("os", "OS"),
                    ("build", "Build"),
                    ("model", "Model"),
                    ("serial", "Serial"),
                    ("cpu", "CPU"),
                    ("memory", "Memory"),
                    ("volumes", "Volumes"),
                    ("boot", "Last boot"),
                ],
            )
        )
        left.addStretch(1)
        right.addStretch(1)
        grid.addLayout(left, 1)
        grid.addLayout(right, 1)
        scroll = _ReflowScroll(grid, left, right)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        scroll.setAccessibleName("Overview")
        self.tabs.addTab(scroll, "Overview")

    def _build_alerts(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.alert_model = DeviceAlertModel(self.ctx.cache, self)
        self.alert_table = _table(self.alert_model, "Active alerts on this device", fold=(4, 3))
        self.alert_table.doubleClicked.connect(self._alert_double_clicked)
        self.alert_table.selectionModel().selectionChanged.connect(self._update_alert_actions)
        buttons = QHBoxLayout()
        self.ack_button = named(QPushButton("Acknowledge", page), "Acknowledge alert")
        self.ticket_button = named(QPushButton("Create ticket", page), "Create ticket from alert")
        self.open_alert_button = named(QPushButton("Open in Alerts", page), "Open alert")
        self.ack_button.clicked.connect(lambda: self._alert_action("acknowledge"))
        self.ticket_button.clicked.connect(lambda: self._alert_action("create_ticket"))
        self.open_alert_button.clicked.connect(self._open_selected_alert)
        for b in (self.ack_button, self.ticket_button, self.open_alert_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.alert_reason = QLabel("", page)
        self.alert_reason.setWordWrap(True)
        self.alert_reason.setAccessibleName("Why alert actions are unavailable")
        layout.addWidget(self.alert_table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.alert_reason)
        self.tabs.addTab(page, "Alerts")

    def _build_patches(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.patch_summary = QLabel("", page)
        self.patch_summary.setAccessibleName("Patch summary")
        self.patch_summary.setWordWrap(True)  # one long line set the panel's minimum width
        self.patch_model = DevicePatchModel(self.ctx.cache, self)
        self.patch_table = _table(self.patch_model, "Pending and failed patches", fold=(4, 0))
        layout.addWidget(self.patch_summary)
        layout.addWidget(self.patch_table, 1)
        self.tabs.addTab(page, "Patches")

    def _build_software(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.software_search = SearchLineEdit("Search software…", page)
        self.software_model = DeviceSoftwareModel(self.ctx.cache, self)
        self.software_table = _table(
            self.software_model, "Installed software", key=0, fold=(4, 3, 1)
        )
        self.software_search.search_changed.connect(self._software_search)
        self.software_summary = QLabel("", page)
        self.software_summary.setAccessibleName("Software count")
        layout.addWidget(self.software_search)
        layout.addWidget(self.software_table, 1)
        layout.addWidget(self.software_summary)
        self.tabs.addTab(page, "Software")

    def _software_search(self, text: str) -> None:
        self.software_model.set_search(text)
        total = self.device["software_count"] if self.device else 0
        shown = self.software_model.count()
        self.software_summary.setText(
            f"{shown} of {total} installed applications match"
            if text.strip()
            else f"{total} installed applications"
        )

    def _build_tickets(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.ticket_model = DeviceTicketModel(self.ctx.cache, self)
        self.ticket_table = _table(self.ticket_model, "Linked PSA tickets", fold=(4, 3))
        self.ticket_table.doubleClicked.connect(self._ticket_double_clicked)
        self.tickets_note = QLabel("Double-click a ticket to open it.", page)
        self.tickets_note.setAccessibleName("Tickets hint")
        layout.addWidget(self.ticket_table, 1)
        layout.addWidget(self.tickets_note)
        self.tabs.addTab(page, "Tickets")

    def _build_history(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.history_label = QLabel("", page)
        self.history_label.setWordWrap(True)
        self.history_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.history_label.setAccessibleName("Asset history")
        self.history_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.history_label, 1)
        self.tabs.addTab(page, "History")

    # -- showing a device ------------------------------------------------------------------

    def load_device(self, device_id: int) -> dict[str, Any] | None:
        rows = self.ctx.cache.rows(dq.DEVICE_SQL, id=int(device_id))
        return rows[0] if rows else None

    def show_device(self, device_id: int | None) -> None:
        self.device = self.load_device(device_id) if device_id is not None else None
        d = self.device
        self.device_actions.set_device(d)
        self._stale_sections = set(self._section_models.values())
        self._read_shown_section()
        if d is None:
            self._history_device = None
            self.history_label.setText("")
            self.title.setText("Select a device")
            self.subtitle.setText("Pick a device in the list to see its details.")
            self.status_badge.set("")
            for label in self.fields.values():
                label.setText("—")
            self.tabs.setEnabled(False)
            self._update_actions()
            return
        self.tabs.setEnabled(True)
        state = "Deleted" if d["deleted"] else status_text(d["offline"])
        self.title.setText(d["name"])
        self.status_badge.set(
            state,
            {"Online": "#16a34a", "Offline": "#64748b", "Unknown": "#a16207", "Deleted": "#7f1d1d"}[
                state
            ],
        )
        self.subtitle.setText(
            f"{d['org_name'] or '#' + str(d['organization_id'])} · "
            f"{node_class_text(d['node_class'])} · id {d['id']}"
        )
        self._fill_overview(d)
        self._fill_tickets_combo()
        self.tabs.setTabText(
            1, f"Alerts ({d['active_alerts']})" if d["active_alerts"] else "Alerts"
        )
        pending = d["pending_os_patches"] + d["pending_software_patches"]
        failed = d["failed_os_patches"] + d["failed_software_patches"]
        scan = self.ctx.cache.scalar(dq.LAST_PATCH_SCAN_SQL, id=d["id"])
        self.patch_summary.setText(
            f"{pending} pending ({d['pending_os_patches']} OS, {d['pending_software_patches']} "
            f"software) · {failed} failed ({d['failed_os_patches']} OS, "
            f"{d['failed_software_patches']} software) · last scan {when(scan)}"
        )
        self.tabs.setTabText(2, f"Patches ({pending + failed})" if pending + failed else "Patches")
        self.software_summary.setText(f"{d['software_count']} installed applications")
        tickets = self.ctx.cache.scalar(count_sql(tq.DEVICE_TICKETS_SQL), device_id=d["id"])
        self.tabs.setTabText(4, f"Tickets ({tickets})")
        self._fill_history(d)
        self._update_actions()

    def _read_shown_section(self, _index: int = -1) -> None:
        """Read the shown section's table for the shown device if it has not been yet."""
        model = self._section_models.get(self.tabs.currentWidget())
        if model is not None and model in self._stale_sections:
            self._stale_sections.discard(model)
            model.set_device(self.device["id"] if self.device else None)

    def _fill_overview(self, d: dict[str, Any]) -> None:
        f = self.fields
        f["agent"].setText(
            ("Deleted from NinjaOne " + ago(d["deleted_at"]))
            if d["deleted"]
            else status_text(d["offline"])
        )
        for key, column in (("last_contact", "last_contact"), ("sync", "synced_at")):
            f[key].setText(ago(d[column]))
            f[key].setToolTip(when(d[column]))
        f["maintenance"].setText(d["maintenance_status"] or "None")
        f["reboot"].setText("Yes" if d["needs_reboot"] else "No")
        if d["av_product"]:
            f["av"].setText(f"{d['av_product']} ({(d['av_state'] or 'unknown').lower()})")
            f["av_defs"].setText(
                (d["av_definition_status"] or "unknown").replace("_", " ").capitalize()
            )
        else:
            f["av"].setText("None reported")
            f["av_defs"].setText("—")
        f["ips"].setText(", ".join(json.loads(d["ip_addresses"] or "[]")) or "—")
        f["public_ip"].setText(d["public_ip"] or "—")
        f["macs"].setText(", ".join(json.loads(d["mac_addresses"] or "[]")) or "—")
        f["dns"].setText(d["dns_name"] or "—")
        f["domain"].setText(d["domain"] or "—")
        f["user"].setText(d["last_logged_in_user"] or "—")
        f["os"].setText(" ".join(x for x in (d["os_name"], d["os_architecture"]) if x) or "—")
        f["build"].setText(" ".join(x for x in (d["os_build"], d["os_release_id"]) if x) or "—")
        f["model"].setText(" ".join(x for x in (d["manufacturer"], d["model"]) if x) or "—")
        f["serial"].setText(d["serial_number"] or d["bios_serial_number"] or "—")
        cores = f" ({d['cpu_cores']} cores)" if d["cpu_cores"] else ""
        f["cpu"].setText((d["cpu_name"] or "—") + cores)
        f["memory"].setText(size_text(d["total_memory"]))
        volumes = json.loads(d["volumes"] or "[]")
        f["volumes"].setText(
            "\n".join(
                f"{v.get('name') or '?'} {size_text(v.get('free_space'))} free"
                f" / {size_text(v.get('capacity'))}"
                for v in volumes
            )
            or "—"
        )
        f["boot"].setText(when(d["last_boot_time"]))

    def _fill_tickets_combo(self) -> None:
        self.ticket_combo.clear()
        self.ticket_combo.addItem("No ticket", None)
        if self.device is None:
            return
        open_tickets = self.ctx.cache.rows(tq.DEVICE_OPEN_TICKETS_SQL, id=self.device["id"])
        for t in open_tickets:
            self.ticket_combo.addItem(f"Ticket {t['number'] or t['id']}", t["id"])
            self.ticket_combo.setItemData(
                self.ticket_combo.count() - 1, t["title"] or "", Qt.ItemDataRole.ToolTipRole
            )
        if open_tickets:
            self.ticket_combo.setCurrentIndex(1)

    def _fill_history(self, d: dict[str, Any]) -> None:
        """The local remote sessions at once; the PSA's asset history when it answers.

        Reading the PSA is a network round trip (seconds against a slow or dead server), so
        it runs on a worker; at most one read is in flight and clicking through devices
        reads only the one shown when the previous read ends.
        """
        self._history_device = int(d["id"])
        if self.ctx.psa is None:
            self._show_history(f"<p><b>Asset history:</b> {NO_PSA}</p>")
            return
        self._show_history("<p>Reading the asset history from the PSA…</p>")
        if not self._history_reading:
            self._read_history(self._history_device)

    def _read_history(self, device_id: int) -> None:
        psa = self.ctx.psa
        if psa is None:
            return
        self._history_reading = True

        def answered(html_part: str) -> None:
            self._history_reading = False
            shown = self._history_device
            if shown == device_id:
                self._show_history(html_part)
            elif shown is not None and self.ctx.psa is not None:
                self._read_history(shown)  # the technician moved on meanwhile

        def failed(exc: BaseException) -> None:
            answered(f"<p>Asset history could not be read: {html.escape(error_sentence(exc))}</p>")

        numbers = ticket_numbers(self.ctx.cache)
        run_job(self, lambda: psa_history_html(psa, device_id, numbers), answered, failed)

    def _show_history(self, psa_part: str) -> None:
        parts = [psa_part]
        device_id = self._history_device
        launches = launches_in_cache(self.ctx.cache, device_id) if device_id is not None else []
        if launches:
            numbers = ticket_numbers(self.ctx.cache)
            parts.append("<p><b>Remote sessions from this desktop</b></p><ul>")
            for launch in launches[:20]:
                tid = launch["ticket_id"]
                ticket = f" (ticket {html.escape(numbers.get(str(tid), str(tid)))})" if tid else ""
                parts.append(f"<li>{when(launch['at'])} — {launch['who']}{ticket}</li>")
            parts.append("</ul>")
        self.history_label.setText("".join(parts))

    # -- actions ---------------------------------------------------------------------------

    def _update_actions(self) -> None:
        verdict = self.remote.availability(self.device)
        set_enabled_quietly(self.connect_button, verdict.ok and not self._busy)
        self.connect_button.setToolTip(verdict.reason or "Open a remote session in NinjaOne")
        self.connect_reason.setText("" if verdict.ok or self.device is None else verdict.reason)
        self.connect_reason.setVisible(bool(self.connect_reason.text()))
        self.ticket_combo.setEnabled(verdict.ok)
        self.open_button.setEnabled(self.device is not None and not self.device["deleted"])
        set_enabled_quietly(self.sync_button, self.device is not None and self.ctx.sync is not None)
        self.sync_button.setToolTip(
            "" if self.ctx.sync is not None else "Connect NinjaOne in Settings to sync."
        )
        self._update_alert_actions()

    def _selected_alert(self) -> dict[str, Any] | None:
        rows = self.alert_table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def alert_action_reason(self, action: str) -> str | None:
        alert = self._selected_alert()
        if alert is None:
            return "Select an alert."
        service = getattr(self.ctx, "alerts", None)
        if action == "acknowledge":
            if self.ctx.sync is None:
                return "Connect to NinjaOne first (Settings → Integrations)."
            if service is None:
                return NO_ALERT_SERVICE
            if ACT_ALERTS not in self.ctx.permissions:
                return denial_sentence(ACT_ALERTS)
            if alert["acknowledged_at"]:
                return "This alert is already acknowledged."
            return None
        if self.ctx.psa is None:
            return NO_PSA
        if service is None:
            return NO_ALERT_SERVICE
        if CREATE_TICKETS not in self.ctx.permissions:
            return denial_sentence(CREATE_TICKETS)
        if alert["ticket_id"]:
            return f"This alert already has ticket {alert['ticket_number'] or alert['ticket_id']}."
        return None

    def _update_alert_actions(self, *_args: Any) -> None:
        reasons = []
        for action, button in (
            ("acknowledge", self.ack_button),
            ("create_ticket", self.ticket_button),
        ):
            reason = None if self._busy is False else "Working…"
            reason = reason or self.alert_action_reason(action)
            set_enabled_quietly(button, reason is None)
            button.setToolTip(reason or "")
            if reason and reason != "Select an alert." and reason not in reasons:
                reasons.append(reason)
        self.open_alert_button.setEnabled(self._selected_alert() is not None)
        self.alert_reason.setText("\n".join(reasons))

    def _alert_action(self, action: str) -> None:
        alert = self._selected_alert()
        service = getattr(self.ctx, "alerts", None)
        if alert is None or service is None or self.alert_action_reason(action) is not None:
            return
        self._busy = True
        self._update_alert_actions()

        def done(_value: Any) -> None:
            self._busy = False
            self.refresh()
            self.alert_reason.setText(
                {"acknowledge": "Alert acknowledged.", "create_ticket": "Ticket created."}[action]
            )

        def failed(exc: BaseException) -> None:
            self._busy = False
            self._update_alert_actions()
            self.alert_reason.setText(error_sentence(exc))

        run_job(self, bind(getattr(service, action), alert["uid"]), done, failed)

    def _open_selected_alert(self) -> None:
        alert = self._selected_alert()
        if alert is not None:
            self.open_alert_requested.emit(alert["uid"])

    def _alert_double_clicked(self, index: Any) -> None:
        row = index.data(ROW_ROLE)
        if row:
            self.open_alert_requested.emit(row["uid"])

    def _ticket_double_clicked(self, index: Any) -> None:
        row = index.data(ROW_ROLE)
        if row:
            self.open_ticket_requested.emit(str(row["id"]))

    def _show_link_failure(self, text: str, link: str | None) -> None:
        self.failed_link = link
        self.connect_reason.setText(text)
        self.connect_reason.setVisible(True)
        self.copy_link_button.setVisible(bool(link))
        self.copy_link_button.setToolTip(link or "")

    def _copy_link(self) -> None:
        if self.failed_link:
            copy_to_clipboard(self.failed_link)
            self.message.emit("Link copied; paste it into your browser.")

    def _open_in_ninja(self) -> None:
        if self.device is None:
            return
        link = ninja_device_link(self.ctx, self.device["id"])

        def done(results: list[Any]) -> None:
            if results and not results[0].ok:
                self._show_link_failure(failure_sentence("NinjaOne page", results[0]), link)

        open_links(self, self.ctx.open_url, [link], done)

    def launch_remote(self) -> None:
        """Fetch the session URL and open it (async on the app loop)."""
        device = self.device
        if device is None or not self.remote.availability(device).ok:
            return
        ticket = self.ticket_combo.currentData()
        self._busy = True
        self._update_actions()
        self.connect_reason.setText("Opening the remote session…")
        self.connect_reason.setVisible(True)
        self.copy_link_button.hide()
        self.failed_link = None

        async def go() -> str:
            return await self.remote.launch(device, ticket_id=ticket)

        def done(_url: Any) -> None:
            self._busy = False
            self._update_actions()
            note = f"Remote session opened at {time.strftime('%H:%M')}."
            if self.remote.last_record_error:
                note += f" It was not recorded in the PSA: {self.remote.last_record_error}"
            self.connect_reason.setText(note)
            self.connect_reason.setVisible(True)
            self._fill_history(device)
            self.message.emit(note)

        def failed(exc: BaseException) -> None:
            self._busy = False
            self._update_actions()
            self._show_link_failure(
                f"Remote Connect failed: {error_sentence(exc)}", getattr(exc, "link", None)
            )

        run_job(self, go, done, failed)

    def refresh(self) -> None:
        api = getattr(self.ctx.sync, "api", None) if self.ctx.sync is not None else None
        if api is not self.remote.api or self.ctx.permissions != self.remote.permissions:
            self.remote = remote_connect_for(self.ctx)  # connected or signed in since
        self.show_device(self.device["id"] if self.device else None)
