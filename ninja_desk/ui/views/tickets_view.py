"""Tickets: the PSA tickets linked to devices and alerts, read from the cache mirror, and the
place to work one.

Opening a ticket shows its description and comment thread, its status, priority and assignee
as Alga offers them (ui/tickets/work_panel.py: a note, a change, the changes not in Alga yet
and conflicts), and its linked assets with their live state from the cache and linked alerts;
from an asset a technician opens the device or starts Remote Connect (sync/remote_connect.py,
the session recorded against this ticket).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries import tickets as tq
from ninja_desk.psa import ticket_edits as te
from ninja_desk.psa.tickets import TicketDetail
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.models.paged_sql import format_time
from ninja_desk.ui.models.ticket_table_model import TicketTableModel
from ninja_desk.ui.settings.background import error_sentence, run_job
from ninja_desk.ui.tickets.work_panel import TicketWork
from ninja_desk.ui.views.base import View
from ninja_desk.ui.views.device_detail import remote_connect_for
from ninja_desk.ui.widgets.compact_delegate import CompactDelegate, shorter_time
from ninja_desk.ui.widgets.data_table import data_table, select_row
from ninja_desk.ui.widgets.keep_position import kept_scroll
from ninja_desk.ui.widgets.key_column import KeyColumn
from ninja_desk.ui.widgets.quiet_focus import set_enabled_quietly

DEVICE_ROLE = Qt.ItemDataRole.UserRole


TABLE_MIN_WIDTH = 480  # number, title, status, priority and "Updated" whole at 1024 px
DETAIL_WIDTH = 330


def _shorter_priority(text: str) -> list[str]:
    """ "P1 - Critical" → "P1" (Alga's priority names start with their rank)."""
    head, sep, _rest = text.partition(" - ")
    return [head] if sep and head else []


def _shorter_updated(text: str) -> list[str]:
    """ "2026-12-03 14:45" → "12-03 14:45", else the day alone ("12-03")."""
    shorter = shorter_time(text)
    return [*shorter, shorter[0][:5]] if shorter else []


def _wrapping_list() -> QListWidget:
    """A list in the narrow detail pane: long rows wrap, it never scrolls sideways."""
    view = QListWidget()
    view.setWordWrap(True)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setResizeMode(QListWidget.ResizeMode.Adjust)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setHorizontalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
    return view


class TicketsView(View):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = TicketTableModel(ctx.cache, self)
        self._current: dict[str, Any] | None = None
        self._linked: dict[int, dict[str, Any]] = {}
        self._busy = False
        self.remote = remote_connect_for(ctx)
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self._filters_changed)
        self._build()
        self.refresh()

    def _build(self) -> None:
        filters = QHBoxLayout()
        self.status_combo = QComboBox()
        for key, label in tq.TICKET_STATUS_CHOICES:
            self.status_combo.addItem(label, key)
        self.status_combo.currentIndexChanged.connect(self._filters_changed)
        self.search_edit = QLineEdit(placeholderText="Ticket number, title or client")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._debounce.start)
        filters.addWidget(QLabel("Status"))
        filters.addWidget(self.status_combo)
        filters.addWidget(self.search_edit, 1)

        self.table = data_table(
            self.model,
            widths=(100, 250, 110, 100, 96, 60, 120),
            sort=(6, Qt.SortOrder.DescendingOrder),
        )
        # The title takes the spare width; the short columns stay whole in a narrow table.
        self.key_column = KeyColumn(self.table, 1, share=0.2)
        # At 1024 px "P1 - Critical" shows as "P1" and the time without its year rather than
        # "P1 - Criti…" and "2026-12-…" (the whole text in the tooltip).
        self.table.setItemDelegateForColumn(4, CompactDelegate(_shorter_priority, self.table))
        self.table.setItemDelegateForColumn(6, CompactDelegate(_shorter_updated, self.table))
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.count_label = QLabel()
        self.empty_label = QLabel(
            "No PSA tickets in the local cache. They appear here once the PSA database is "
            "configured and tickets are linked to NinjaOne devices or alerts."
        )
        self.empty_label.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty_label)
        left_layout.addWidget(self.count_label)

        # The table comes first: it takes most of the spare width, the detail pane keeps a
        # narrow minimum (its rows wrap) so number, title, priority and "Updated" stay whole.
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        splitter.setCollapsible(1, False)
        left.setMinimumWidth(TABLE_MIN_WIDTH)
        splitter.setSizes([1000, DETAIL_WIDTH])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _build_detail(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(6, 0, 6, 0)
        self.title_label = QLabel("Select a ticket")
        self.title_label.setWordWrap(True)
        self.title_label.setStyleSheet("font-weight: 600; font-size: 13pt;")
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title_label)
        self.work = TicketWork(self.ctx, box)
        self.work.message.connect(self.message)
        self.work.changed.connect(self.refresh)
        self.work.detail_loaded.connect(self._add_links)
        form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for key, label in (("client", "Client"), ("created", "Created"), ("updated", "Updated")):
            value = QLabel("—")
            value.setWordWrap(True)
            self.fields[key] = value
            form.addRow(label, value)
        # Status and priority: Alga's values, editable in the work panel when allowed.
        self.fields["status"] = self.work.value_labels[te.STATUS]
        self.fields["priority"] = self.work.value_labels[te.PRIORITY]
        layout.addLayout(form)
        layout.addWidget(self.work, 4)

        assets = QGroupBox("Linked assets")
        assets_layout = QVBoxLayout(assets)
        self.devices_list = _wrapping_list()
        self.devices_list.currentItemChanged.connect(lambda *_: self._update_actions())
        self.devices_list.itemDoubleClicked.connect(lambda *_: self._open_device_clicked())
        assets_layout.addWidget(self.devices_list)
        buttons = QHBoxLayout()
        self.open_device_button = QPushButton("Open device")
        self.remote_button = QPushButton("Remote Connect")
        self.open_device_button.clicked.connect(self._open_device_clicked)
        self.remote_button.clicked.connect(self._remote_clicked)
        buttons.addWidget(self.open_device_button)
        buttons.addWidget(self.remote_button)
        assets_layout.addLayout(buttons)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        assets_layout.addWidget(self.reason_label)
        layout.addWidget(assets, 1)

        alerts = QGroupBox("Linked alerts")
        alerts_layout = QVBoxLayout(alerts)
        self.alerts_list = _wrapping_list()
        self.alerts_list.itemDoubleClicked.connect(self._alert_activated)
        alerts_layout.addWidget(self.alerts_list)
        layout.addWidget(alerts, 1)
        self.devices_list.setMinimumHeight(64)
        self.alerts_list.setMinimumHeight(64)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(box)
        # Up and down only: the pane is as wide as its widest row (the note's options).
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = scroll.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        scroll.setMinimumWidth(box.minimumSizeHint().width() + bar + 4)
        return scroll

    # -- public API -----------------------------------------------------------------------

    def refresh(self) -> None:
        api = getattr(self.ctx.sync, "api", None) if self.ctx.sync is not None else None
        if api is not self.remote.api or self.ctx.permissions != self.remote.permissions:
            self.remote = remote_connect_for(self.ctx)  # connected or signed in since
        keep = self._current["id"] if self._current else None
        with kept_scroll(self.table):
            self._reload()
            if keep is None or not self.select_ticket(keep, clear_filters=False):
                self._show(None)

    def apply_filter(self, values: dict[str, Any]) -> None:
        """{"status": "open", "client": "Acme"} as a client's page asks: that status choice
        and the client's name in the search box (it matches number, title or client)."""
        index = self.status_combo.findData(values.get("status") or "open")
        for widget in (self.status_combo, self.search_edit):
            widget.blockSignals(True)
        self.status_combo.setCurrentIndex(max(index, 0))
        self.search_edit.setText(str(values.get("client") or ""))
        for widget in (self.status_combo, self.search_edit):
            widget.blockSignals(False)
        self._filters_changed()

    def select_ticket(self, ticket_id: str, clear_filters: bool = True) -> bool:
        ticket_id = str(ticket_id)
        row = self.model.fetch_all_until(lambda r: r["id"] == ticket_id)
        if row < 0 and clear_filters:
            exists = self.ctx.cache.scalar(tq.TICKET_EXISTS_SQL, t=ticket_id)
            if not exists:
                return False
            self.search_edit.blockSignals(True)
            self.search_edit.clear()
            self.search_edit.blockSignals(False)
            self.status_combo.setCurrentIndex(self.status_combo.findData("all"))
            row = self.model.fetch_all_until(lambda r: r["id"] == ticket_id)
        if row < 0:
            return False
        select_row(self.table, row)
        self._show(self.model.row_at(row))
        return True

    def current_ticket(self) -> dict[str, Any] | None:
        return self._current

    # -- internals ------------------------------------------------------------------------

    def _reload(self) -> None:
        self.model.filter.status = self.status_combo.currentData() or "open"
        self.model.filter.text = self.search_edit.text()
        self.model.reload()
        total = self.model.count()
        self.count_label.setText(f"{total:,} tickets")
        any_ticket = bool(self.ctx.cache.scalar(tq.ANY_TICKET_SQL))
        self.empty_label.setVisible(not any_ticket)

    def _filters_changed(self) -> None:
        keep = self._current["id"] if self._current else None
        with kept_scroll(self.table):
            self._reload()
            if keep is None or not self.select_ticket(keep, clear_filters=False):
                self._show(None)

    def _row_changed(self, current: Any, _previous: Any) -> None:
        self._show(self.model.row_at(current.row()) if current.isValid() else None)

    def _show(self, ticket: dict[str, Any] | None) -> None:
        self._current = ticket
        self.devices_list.clear()
        self.alerts_list.clear()
        self._linked = {}
        if ticket is None:
            self.title_label.setText("Select a ticket")
            for label in self.fields.values():
                label.setText("—")
            self.work.show_ticket(None)
            self._update_actions()
            return
        # Alga's numbers carry their own prefix (TIC000001): no "#" in front.
        number = f"{ticket['number']} · " if ticket.get("number") else ""
        self.title_label.setText(f"{number}{ticket.get('title') or ''}")
        self.fields["client"].setText(ticket.get("client_name") or "—")
        self.fields["created"].setText(format_time(ticket.get("created_at")) or "—")
        self.fields["updated"].setText(format_time(ticket.get("updated_at")) or "—")
        for device in tq.linked_devices(self.ctx.cache, ticket["id"]):
            self._add_device(device)
        for alert in tq.linked_alerts(self.ctx.cache, ticket["id"], ticket.get("alert_uid")):
            item = QListWidgetItem(
                f"{(alert.get('severity') or 'NONE').title()} · {alert.get('message') or ''}"
            )
            item.setToolTip(alert.get("message") or "")
            item.setData(DEVICE_ROLE, alert["uid"])
            self.alerts_list.addItem(item)
        self.work.show_ticket(ticket)
        self._update_actions()

    def _add_links(self, detail: TicketDetail) -> None:
        """Devices and alerts Alga links to the ticket that the cache's mirror has not yet."""
        if self._current is None or str(self._current["id"]) != detail.ticket_id:
            return
        for device_id in detail.device_ids:
            if device_id in self._linked:
                continue
            found = self.ctx.cache.rows(tq.DEVICE_SQL, d=device_id)
            device = found[0] if found else {"device_id": device_id, "name": None}
            self._add_device(device)
        listed = {
            str(self.alerts_list.item(i).data(DEVICE_ROLE)) for i in range(self.alerts_list.count())
        }
        for alert in detail.alerts:
            if alert.alert_uid in listed:
                continue
            item = QListWidgetItem(
                f"{(alert.severity or 'none').title()} · {alert.message or ''}"
                f"{' · ' + alert.status if alert.status else ''}"
            )
            item.setToolTip(alert.message or "")
            item.setData(DEVICE_ROLE, alert.alert_uid)
            self.alerts_list.addItem(item)
        self._update_actions()

    def _add_device(self, device: dict[str, Any]) -> None:
        name = device.get("name") or f"Device {device['device_id']} (not in the cache)"
        state = "offline" if device.get("offline") else "online"
        org = f" · {device['org_name']}" if device.get("org_name") else ""
        item = QListWidgetItem(f"{name}  ({state}{org})" if device.get("name") else name)
        item.setData(DEVICE_ROLE, int(device["device_id"]))
        self._linked[int(device["device_id"])] = device
        self.devices_list.addItem(item)
        if self.devices_list.count() == 1:
            self.devices_list.setCurrentRow(0)

    def _alert_activated(self, item: QListWidgetItem) -> None:
        uid = str(item.data(DEVICE_ROLE))
        self.open_alert_requested.emit(uid)

    def selected_device_id(self) -> int | None:
        item = self.devices_list.currentItem()
        return None if item is None else int(item.data(DEVICE_ROLE))

    def remote_reason(self) -> str | None:
        device_id = self.selected_device_id()
        if device_id is None:
            return "Pick a linked asset."
        if self._busy:
            return "Opening the remote session…"
        device = self._linked.get(device_id)
        if device is None or device.get("name") is None:
            return "This device is not in the local cache; sync and retry."
        verdict = self.remote.availability(device)
        return None if verdict.ok else verdict.reason

    def _update_actions(self) -> None:
        has_device = self.selected_device_id() is not None
        self.open_device_button.setEnabled(has_device)
        reason = self.remote_reason()
        set_enabled_quietly(self.remote_button, reason is None)
        self.remote_button.setToolTip(reason or "Open a remote session on this device")
        if self._current is None:
            self.reason_label.setText("")
        elif not self.devices_list.count():
            self.reason_label.setText("No assets are linked to this ticket.")
        else:
            self.reason_label.setText(reason if reason and has_device else "")

    def _open_device_clicked(self) -> None:
        device_id = self.selected_device_id()
        if device_id is not None:
            self.open_device_requested.emit(device_id)

    def _remote_clicked(self) -> None:
        device_id = self.selected_device_id()
        if device_id is None or self.remote_reason() is not None or self._current is None:
            return
        device, ticket_id = self._linked[device_id], str(self._current["id"])
        remote = self.remote
        self._busy = True
        self._update_actions()
        self.reason_label.setText("Opening the remote session…")

        async def go() -> str:
            return await remote.launch(device, ticket_id=ticket_id)

        def done(_url: Any) -> None:
            self._busy = False
            self._update_actions()
            note = "Remote session opened; it is recorded against this ticket."
            if remote.last_record_error:
                note += f" It was not recorded in the PSA: {remote.last_record_error}"
            self.reason_label.setText(note)
            self.message.emit(note)

        def failed(exc: BaseException) -> None:
            self._busy = False
            self._update_actions()
            self.reason_label.setText(f"Remote Connect failed: {error_sentence(exc)}")

        run_job(self, go, done, failed)
