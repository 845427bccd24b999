"""Devices: the fleet table (SQL-sorted, filtered and paged) with the detail panel beside it.

Filters and the debounced search turn into a `DeviceFilter`, which `cache.queries.devices`
turns into WHERE clauses; the model pages 300 rows at a time. The "N devices" count runs on a
worker so a keystroke costs one page query on the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries import devices as q
from ninja_desk.ui.a11y import named
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.device_actions.wiring import TableActions
from ninja_desk.ui.formatting import node_class_text
from ninja_desk.ui.models.device_table_model import DeviceTableModel
from ninja_desk.ui.opener import copy_to_clipboard, open_links
from ninja_desk.ui.settings.background import run_job
from ninja_desk.ui.views.base import View
from ninja_desk.ui.views.device_detail import DeviceDetail, ninja_device_link
from ninja_desk.ui.widgets.choices import refill, refill_clients, select_data
from ninja_desk.ui.widgets.detail_splitter import DetailSplitter
from ninja_desk.ui.widgets.flow_layout import flow_row
from ninja_desk.ui.widgets.keep_position import kept_scroll
from ninja_desk.ui.widgets.key_column import KeyColumn
from ninja_desk.ui.widgets.quiet_focus import set_enabled_quietly
from ninja_desk.ui.widgets.search_line import SearchLineEdit

MAX_OPEN_TABS = 10


class _NameColumn(KeyColumn):
    """The device name keeps its whole width (up to half the table) before the other columns
    share the rest: a fixed share cut "ADVENTUR-WS0125" at 1280 px and left the client and OS
    cut beside a wide name at 1920."""

    def fit(self) -> None:
        available = self.table.viewport().width()
        if available > 0:
            self.share = min(0.5, max(0.2, (self.need(self.column) + 16) / available))
        super().fit()


COLUMN_WIDTHS = (170, 64, 100, 140, 80, 62, 56, 80, 140, 170)
_KEY = {c.key: n for n, c in enumerate(q.COLUMNS)}
FOLD_ORDER = tuple(_KEY[k] for k in ("os_name", "node_class", "pending", "failed", "av"))
ELASTIC_COLUMNS = tuple(_KEY[k] for k in ("org_name", "node_class", "os_name"))

_CHOICES: dict[str, list[tuple[str, Any]]] = {
    "status": [("Any status", None), ("Online", "online"), ("Offline", "offline"),
               ("Unknown", "unknown")],
    "rmm_managed": [("Any management", None), ("RMM-managed", True),
                    ("Not RMM-managed", False)],
    "has_alerts": [("Any alerts", None), ("With active alerts", True), ("No active alerts", False)],
    "patch": [("Any patch state", None), ("Patch compliant", "compliant"),
              ("Patches pending", "pending"), ("Patches failed", "failed"),
              ("OS patches pending", "os_pending"), ("OS patches failed", "os_failed"),
              ("Software patches pending", "sw_pending"),
              ("Software patches failed", "sw_failed")],
    "av": [("Any antivirus", None), ("Antivirus issue", "issue"), ("Protection off", "off"),
           ("Definitions outdated", "outdated"), ("No antivirus", "missing")],
}  # fmt: skip
_NAMES = {"status": "Agent status filter", "rmm_managed": "RMM-managed filter",
          "has_alerts": "Active alerts filter", "patch": "Patch compliance filter",
          "av": "Antivirus filter"}  # fmt: skip


class DevicesView(View):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.filter = q.DeviceFilter()
        self._generation = 0
        self.total: int | None = None
        # The count waits until typing pauses so it never competes with a keystroke's query.
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(300)
        self._count_timer.timeout.connect(self._start_count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)

        row1 = QHBoxLayout()
        self.search = SearchLineEdit("Filter devices by name, user, serial, IP or client…", self)
        row1.addWidget(self.search, 3)
        self.client_combo = named(QComboBox(self), "Client filter")
        self.class_combo = named(QComboBox(self), "Device class filter")
        for combo in (self.client_combo, self.class_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(10)
        row1.addWidget(self.client_combo, 1)
        row1.addWidget(self.class_combo, 1)
        layout.addLayout(row1)
        row2: list[QWidget] = []  # wraps at narrow widths (a FlowLayout) instead of widening
        self.combos: dict[str, QComboBox] = {}
        for key, choices in _CHOICES.items():
            combo = named(QComboBox(self), _NAMES[key])
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(13)
            for text, value in choices:
                combo.addItem(text, value)
            combo.currentIndexChanged.connect(self._filters_changed)
            self.combos[key] = combo
            row2.append(combo)
        self.deleted_check = named(QCheckBox("Show deleted", self), "Show deleted devices")
        self.deleted_check.toggled.connect(self._filters_changed)
        row2.append(self.deleted_check)
        self.clear_button = named(QPushButton("Clear filters", self), "Clear filters")
        self.clear_button.clicked.connect(lambda: self.apply_filter({}))
        row2.append(self.clear_button)
        layout.addWidget(flow_row(*row2, parent=self))

        # The table gets what the window gains; the panel starts at about a third (saved
        # and restored), so at 1280 px the table's key columns read whole.
        self.splitter = DetailSplitter(self, share=0.36, widest=540)
        left = QWidget(self.splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.model = DeviceTableModel(ctx.cache, self)
        self.table = QTableView(left)
        named(self.table, "Devices", "Device list; Enter or double-click opens the detail panel")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setAccessibleName("Device columns; click to sort")
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # never to contents
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        # Header clicks call model.sort(): ORDER BY in SQLite, never a proxy (design.md §5).
        self.table.setSortingEnabled(True)
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        # The name takes the spare width, the other columns their content's (no sideways scroll).
        # Client, class and OS may be cut (tooltips, the panel); the short columns never are.
        # Narrow (the panel beside it at 1024 px): OS and class first, then the patch and
        # antivirus columns give way to name, status, alerts, client and last seen; the panel
        # shows them for the selected device and the filters still apply.
        self.key_column = _NameColumn(
            self.table, 0, share=0.3, fold=FOLD_ORDER, elastic=ELASTIC_COLUMNS
        )
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        left_layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        self.count_label = QLabel("", left)
        self.count_label.setAccessibleName("Device count")
        self.sync_selected_button = named(
            QPushButton("Sync selected", left),
            "Sync selected",
            "Incremental sync of the selected devices",
        )
        self.open_selected_button = named(
            QPushButton("Open in NinjaOne", left),
            "Open selected in NinjaOne",
            f"Open up to {MAX_OPEN_TABS} selected devices",
        )
        self.sync_selected_button.clicked.connect(self.sync_selected)
        self.open_selected_button.clicked.connect(self.open_selected_in_ninja)
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.sync_selected_button)
        bottom.addWidget(self.open_selected_button)
        # Reboot, scripts, patches… on the selection: context menu, Actions, Ctrl+Shift+A/R.
        self.device_actions = TableActions(self, self.table, row1)
        left_layout.addLayout(bottom)
        self.detail = DeviceDetail(ctx, self.splitter)
        self.forward_navigation(self.detail)
        self.splitter.add_panes(left, self.detail)
        layout.addWidget(self.splitter, 1)

        self.search.search_changed.connect(self._filters_changed)
        self.client_combo.currentIndexChanged.connect(self._filters_changed)
        self.class_combo.currentIndexChanged.connect(self._filters_changed)
        self.table.activated.connect(lambda index: self._open_row(index.row()))
        self._fill_choice_combos()
        self._update_count()
        self._selection_changed()

    # -- filters ---------------------------------------------------------------------------

    def _fill_choice_combos(self) -> None:
        self._filling = True
        refill_clients(self.client_combo, self.ctx.cache)
        classes = (r["node_class"] for r in self.ctx.cache.rows(q.NODE_CLASSES_SQL))
        refill(self.class_combo, "All classes", ((node_class_text(c), c) for c in classes))
        self._filling = False

    def current_filter(self) -> q.DeviceFilter:
        return q.DeviceFilter(
            status=self.combos["status"].currentData(),
            rmm_managed=self.combos["rmm_managed"].currentData(),
            org_id=self.client_combo.currentData(),
            node_class=self.class_combo.currentData(),
            has_alerts=self.combos["has_alerts"].currentData(),
            patch=self.combos["patch"].currentData(),
            av=self.combos["av"].currentData(),
            show_deleted=self.deleted_check.isChecked(),
            search=self.search.text(),
            not_seen_days=self.filter.not_seen_days,
            min_severity=self.filter.min_severity,
            ids=self.filter.ids,
        )

    def _filters_changed(self, *_args: Any) -> None:
        if getattr(self, "_filling", False):
            return
        self._set_filter(self.current_filter())

    def _set_filter(self, device_filter: q.DeviceFilter) -> None:
        self.filter = device_filter
        self.model.set_filter(device_filter)
        self._update_count()
        extra = []
        if device_filter.not_seen_days:
            extra.append(f"not seen for {device_filter.not_seen_days}+ days")
        if device_filter.ids is not None:
            extra.append("one device opened directly")
        if device_filter.min_severity:
            extra.append("with alerts of the chosen severity")
        self.clear_button.setText("Clear filters" + (f" ({', '.join(extra)})" if extra else ""))
        self._selection_changed()

    def apply_filter(self, values: dict[str, Any]) -> None:
        """Show exactly the devices `values` selects (keys of DeviceFilter); the shell's
        `show_devices(filter)` lands here."""
        wanted = q.DeviceFilter.from_dict(values)
        self._filling = True
        for key, combo in self.combos.items():
            select_data(combo, getattr(wanted, key))
        select_data(self.client_combo, wanted.org_id)
        select_data(self.class_combo, wanted.node_class)
        self.deleted_check.setChecked(wanted.show_deleted)
        self.search.blockSignals(True)
        self.search.setText(wanted.search)
        self.search.blockSignals(False)
        self._filling = False
        self.filter = wanted
        self._set_filter(self.current_filter())

    # -- count (off the GUI thread) --------------------------------------------------------

    def _update_count(self) -> None:
        self._generation += 1
        if self.total is None:
            self.count_label.setText("Counting…")  # later counts replace the old text in place
            self._start_count()
        else:
            self._count_timer.start()

    def _start_count(self) -> None:
        generation = self._generation
        sql, params = self.model.count_query()
        cache = self.ctx.cache

        def count() -> int:
            return int(cache.scalar(sql, **params) or 0)

        # run_job answers on the UI thread and never calls back a view that is gone.
        run_job(
            self,
            count,
            lambda n: self._show_count(generation, n),
            lambda _exc: self._show_count(generation, -1),
        )

    def _show_count(self, generation: int, count: int) -> None:
        if generation != self._generation:
            return  # a newer filter is on screen
        self.total = count
        noun = "device" if count == 1 else "devices"
        self.count_label.setText(f"{count:,} {noun}" if count >= 0 else "")
        self._update_selection_label()

    # -- selection and actions -------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [int(self.model.key_at(r)) for r in rows if self.model.key_at(r) is not None]

    def _selection_changed(self, *_args: Any) -> None:
        ids = self.selected_ids()
        set_enabled_quietly(self.sync_selected_button, bool(ids) and self.ctx.sync is not None)
        self.sync_selected_button.setToolTip(
            "Incremental sync of the selected devices"
            if self.ctx.sync is not None
            else "Connect NinjaOne in Settings to sync."
        )
        self.open_selected_button.setEnabled(bool(ids))
        self._update_selection_label()

    def _update_selection_label(self) -> None:
        ids = self.selected_ids() if hasattr(self, "table") else []
        if len(ids) > 1 and self.total is not None:
            self.count_label.setText(f"{len(ids)} selected of {self.total:,} devices")
        elif self.total is not None and self.total >= 0:
            self.count_label.setText(f"{self.total:,} device{'s' if self.total != 1 else ''}")

    def _current_changed(self, current: Any, _previous: Any) -> None:
        if current.isValid():
            self._open_row(current.row())

    def _open_row(self, row: int) -> None:
        key = self.model.key_at(row)
        if key is not None and (self.detail.device is None or self.detail.device["id"] != key):
            self.detail.show_device(int(key))

    def open_device(self, device_id: int) -> None:
        """Show `device_id` in the detail panel, and select it if the table has it."""
        row = self.model.row_of_key(int(device_id))
        while row < 0 and self.model.canFetchMore() and self.model.loaded < 3000:
            self.model.fetchMore()
            row = self.model.row_of_key(int(device_id))
        if row < 0:
            # Filtered out: show just that device (deleted too, if it is) until filters change.
            deleted = bool(self.ctx.cache.scalar(q.IS_DELETED_SQL, i=int(device_id)))
            self.apply_filter({"ids": [int(device_id)], "show_deleted": deleted})
            row = self.model.row_of_key(int(device_id))
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        self.detail.show_device(int(device_id))

    def sync_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.sync_requested.emit(ids)

    def open_selected_in_ninja(self) -> None:
        ids = self.selected_ids()
        links = [ninja_device_link(self.ctx, device_id) for device_id in ids[:MAX_OPEN_TABS]]

        def done(results: list[Any]) -> None:
            failed = [link for link, r in zip(links, results, strict=False) if not r.ok]
            if failed:
                copy_to_clipboard("\n".join(failed))
                reason = next(r.reason for r in results if not r.ok)
                self.message.emit(
                    f"Your system could not open {len(failed)} NinjaOne page(s)"
                    f"{f' ({reason})' if reason else ''}; the links were copied to the clipboard."
                )
            elif len(ids) > MAX_OPEN_TABS:
                self.message.emit(f"Opened the first {MAX_OPEN_TABS} of {len(ids)} devices.")

        open_links(self, self.ctx.open_url, links, done)

    # -- shell hooks -----------------------------------------------------------------------

    def refresh(self) -> None:
        selected = self.selected_ids()
        with kept_scroll(self.table):
            self._fill_choice_combos()
            self.model.reload()
            self._update_count()
            for device_id in selected[:1]:
                row = self.model.row_of_key(device_id)
                if row >= 0:
                    self.table.selectRow(row)
        self.detail.refresh()

    def save_state(self, state: QSettings) -> None:
        state.setValue("devices/header", self.table.horizontalHeader().saveState())
        # Only a split the user chose is kept; otherwise the panel keeps following the width.
        if self.splitter.user_split:
            state.setValue("devices/splitter", self.splitter.saveState())
        else:
            state.remove("devices/splitter")

    def restore_state(self, state: QSettings) -> None:
        header = state.value("devices/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)
            # A state saved before the name took the spare width had it Interactive.
            self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            self.key_column.remeasure()
        self.splitter.restore(state.value("devices/splitter"))
