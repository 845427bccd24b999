"""Patches: pending and failed patches across the fleet, by patch (KB) or by client.

The top table groups the patches the filters keep; the lower one lists the device x patch
rows of the selected groups (or of the whole filter when none is selected). "Apply patches"
and "Scan" act on the devices of the selected patch rows, else of the selected groups, through
the device action service (confirmation naming the devices, progress, a result per device).
NinjaOne's API cannot approve a single patch (approval is a policy setting) and "apply"
installs every approved patch on a device; the view says so rather than offer a fake button.
All queries run on worker threads (models/async_paged.py).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.cache.queries import patches as pq
from ninja_desk.ui.a11y import named
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.models.patch_models import PatchesByClientModel, PatchesByKbModel, PatchRowsModel
from ninja_desk.ui.settings.background import error_sentence, run_job
from ninja_desk.ui.ui_state import ui_state
from ninja_desk.ui.views.base import View
from ninja_desk.ui.widgets.choices import refill_clients, select_data
from ninja_desk.ui.widgets.data_table import keyed_table, open_on_activate
from ninja_desk.ui.widgets.flow_layout import flow_row
from ninja_desk.ui.widgets.quiet_focus import set_enabled_quietly
from ninja_desk.ui.widgets.saved_filters import SavedFiltersButton, SavedFilterStore
from ninja_desk.ui.widgets.search_line import SearchLineEdit

try:  # the shared device action dialogs (ninja_desk/ui/device_actions)
    from ninja_desk.sync.device_action_service import ActionRequest, Device
    from ninja_desk.ui import device_actions
except ImportError:  # a build without them: the buttons stay disabled and say why
    device_actions = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

MODES = ("kb", "client")
NO_ACTIONS = (
    "Patch actions need the device actions of this build (ninja_desk.ui.device_actions), "
    "which are not installed."
)
APPROVAL_NOTE = (
    "NinjaOne approves patches in the policy, not through its API: “Apply” installs every "
    "approved patch on the chosen devices, and “Awaiting approval” patches wait for the policy."
)
FAMILY_WORDS = {"os": "OS", "software": "software"}


def _patch_table(model: Any, name: str, widths: tuple[int, ...], key: int) -> QTableView:
    # Several rows at once: an action applies to every selected patch or device.
    return keyed_table(model, name, widths, key, multi_select=True)


def _combo(name: str, choices: list[tuple[str, Any]], length: int = 12) -> QComboBox:
    combo = named(QComboBox(), name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(length)
    for text, value in choices:
        combo.addItem(text, value)
    return combo


class PatchesView(View):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.mode = "kb"
        self.by_kb = PatchesByKbModel(ctx.cache, self)
        self.by_client = PatchesByClientModel(ctx.cache, self)
        self.rows = PatchRowsModel(ctx.cache, self)
        self.targets: dict[str, list[pq.Target]] = {}
        self._targets_generation = 0
        self._setting = False
        self._selection_timer = QTimer(self, singleShot=True, interval=150)
        self._selection_timer.timeout.connect(self._groups_changed)
        self._targets_timer = QTimer(self, singleShot=True, interval=150)
        self._targets_timer.timeout.connect(self._compute_targets)
        self.store = SavedFilterStore(ui_state(ctx.data_dir), "patches")
        self._build()
        for model in (self.by_kb, self.by_client, self.rows):
            model.failed.connect(self._show_error)
        self.by_kb.reloaded.connect(lambda: self._group_loaded(self.by_kb))
        self.by_client.reloaded.connect(lambda: self._group_loaded(self.by_client))
        self.rows.reloaded.connect(self._rows_loaded)
        self.refresh()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.kb_button = named(QPushButton("By patch"), "Group by patch",
                               "One row per patch (KB), with the devices that need it")  # fmt: skip
        self.client_button = named(QPushButton("By client"), "Group by client",
                                   "One row per client, with its patch compliance")  # fmt: skip
        self.mode_group = QButtonGroup(self)
        for button in (self.kb_button, self.client_button):
            button.setCheckable(True)
            # Which grouping is on must show in both themes (the style's checked look is faint).
            button.setStyleSheet(
                "QPushButton:checked { background: palette(highlight);"
                " color: palette(highlighted-text); }"
            )
            self.mode_group.addButton(button)
        self.kb_button.setChecked(True)
        self.kb_button.toggled.connect(lambda on: self._mode_toggled("kb", on))
        self.client_button.toggled.connect(lambda on: self._mode_toggled("client", on))
        self.status_combo = _combo(
            "Patch status filter", [(label, key) for key, label, _s in pq.STATUS_CHOICES], 16
        )
        self.family_combo = _combo(
            "Patch type filter", [("OS and software", None), ("OS patches", "os"),
                                  ("Software patches", "software")], 13,
        )  # fmt: skip
        self.severity_combo = _combo(
            "Severity filter",
            [("Any severity", None)] + [(s.title(), s) for s in pq.SEVERITY_CHOICES],
            11,
        )
        self.client_combo = _combo("Client filter", [("All clients", None)], 12)
        for combo in (self.status_combo, self.family_combo, self.severity_combo, self.client_combo):
            combo.currentIndexChanged.connect(self._filters_changed)
        self.search = SearchLineEdit("Patch title or KB…", self, delay_ms=250)
        self.search.setMinimumWidth(150)
        self.search.search_changed.connect(lambda _t: self._filters_changed())
        self.saved_button = SavedFiltersButton(
            self.store, self.filter_state, self.apply_filter, self, message=self.message.emit
        )
        bar = flow_row(
            self.kb_button, self.client_button, self.status_combo, self.family_combo,
            self.severity_combo, self.client_combo, self.search, self.saved_button, parent=self,
        )  # fmt: skip

        self.kb_table = _patch_table(
            self.by_kb, "Patches by KB", (300, 80, 70, 76, 70, 64, 70, 64), 0
        )
        self.client_table = _patch_table(
            self.by_client, "Patches by client", (220, 70, 86, 110, 100, 110, 100), 0
        )
        self.groups = QStackedWidget()
        self.groups.addWidget(self.kb_table)
        self.groups.addWidget(self.client_table)
        for table in (self.kb_table, self.client_table):
            table.selectionModel().selectionChanged.connect(
                lambda *_a: self._selection_timer.start()
            )
        open_on_activate(self.client_table, "org_id", int, self.open_client_requested.emit)
        self.group_count = QLabel()
        self.group_count.setAccessibleName("Groups shown")

        self.rows_heading = QLabel()
        self.rows_heading.setStyleSheet("font-weight: 600;")
        self.rows_heading.setAccessibleName("Patch rows heading")
        self.rows_table = _patch_table(
            self.rows, "Patch rows", (150, 130, 240, 76, 120, 76, 66, 86), 2
        )
        self.rows_table.selectionModel().selectionChanged.connect(
            lambda *_a: self._targets_timer.start()
        )
        open_on_activate(self.rows_table, "device_id", int, self.open_device_requested.emit)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.groups, 1)
        top_layout.addWidget(self.group_count)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.rows_heading)
        bottom_layout.addWidget(self.rows_table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setSizes([300, 300])

        self.scan_button = named(QPushButton("Scan"), "Scan for patches",
                                 "Ask NinjaOne to scan the chosen devices for patches")  # fmt: skip
        self.apply_button = named(QPushButton("Apply patches"), "Apply patches",
                                  "Install the approved patches on the chosen devices")  # fmt: skip
        self.scan_button.clicked.connect(lambda: self._act("scan", self.scan_button))
        self.apply_button.clicked.connect(lambda: self._act("apply", self.apply_button))
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setAccessibleName("Why patch actions are unavailable")
        self.reason_label.setStyleSheet("color: palette(placeholder-text);")
        self.note_label = QLabel(APPROVAL_NOTE)
        self.note_label.setWordWrap(True)
        self.note_label.setAccessibleName("About patch approval")
        self.note_label.setStyleSheet("color: palette(placeholder-text);")
        actions = QHBoxLayout()
        actions.addWidget(self.reason_label, 1)
        actions.addWidget(self.scan_button)
        actions.addWidget(self.apply_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(bar)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(actions)
        layout.addWidget(self.note_label)

    # -- public API -----------------------------------------------------------------------

    @property
    def filter(self) -> pq.PatchFilter:
        return pq.PatchFilter(
            status=self.status_combo.currentData() or "open",
            family=self.family_combo.currentData(),
            severity=self.severity_combo.currentData(),
            org_id=self.client_combo.currentData(),
            text=self.search.text(),
        )

    @property
    def group_model(self) -> PatchesByKbModel | PatchesByClientModel:
        return self.by_kb if self.mode == "kb" else self.by_client

    @property
    def group_table(self) -> QTableView:
        return self.kb_table if self.mode == "kb" else self.client_table

    def refresh(self) -> None:
        """Re-read the cache (after a sync), keeping the filters and the mode."""
        refill_clients(self.client_combo, self.ctx.cache)
        self._reload_all()

    def filter_state(self) -> dict[str, Any]:
        return {"mode": self.mode, **self.filter.as_dict()}

    def apply_filter(self, values: dict[str, Any]) -> None:
        """E.g. {"mode": "client", "status": "failed", "org_id": 3, "severity": "CRITICAL"}."""
        wanted = pq.PatchFilter.from_dict(values)
        mode = values.get("mode") if values.get("mode") in MODES else self.mode
        self._setting = True
        try:
            select_data(self.status_combo, wanted.status)
            select_data(self.family_combo, wanted.family)
            select_data(self.severity_combo, wanted.severity)
            select_data(self.client_combo, wanted.org_id)
            self.search.blockSignals(True)
            self.search.setText(wanted.text)
            self.search.blockSignals(False)
            (self.kb_button if mode == "kb" else self.client_button).setChecked(True)
            self.mode = str(mode)
            self.groups.setCurrentWidget(self.group_table)
        finally:
            self._setting = False
        self._reload_all()

    def _mode_toggled(self, mode: str, on: bool) -> None:
        if on:  # the button switched on (its partner's "off" needs nothing)
            self.set_mode(mode)

    def set_mode(self, mode: str) -> None:
        if self._setting or mode == self.mode or mode not in MODES:
            return
        self.mode = mode
        self.groups.setCurrentWidget(self.group_table)
        self._reload_all()

    def current_table(self) -> QTableView:
        """The table "Export table to CSV" writes: the patch rows when they have the focus."""
        return self.rows_table if self.rows_table.hasFocus() else self.group_table

    def save_state(self, state: QSettings) -> None:
        state.setValue("patches/splitter", self.splitter.saveState())

    def restore_state(self, state: QSettings) -> None:
        splitter = state.value("patches/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    # -- loading --------------------------------------------------------------------------

    def _filters_changed(self) -> None:
        if not self._setting:
            self._reload_all()

    def _reload_all(self) -> None:
        f = self.filter
        model = self.group_model
        model.filter = f
        self.group_count.setText("Loading…")
        model.reload_async()
        self.rows.filter = f
        self.rows.set_groups()
        self._reload_rows()

    def _reload_rows(self) -> None:
        self.rows_heading.setText(self._rows_title() + " — loading…")
        self.rows.reload_async()
        self._targets_timer.start()

    def _group_loaded(self, model: PatchesByKbModel | PatchesByClientModel) -> None:
        if model is not self.group_model:
            return
        total = model.total or 0
        what = "patch" if self.mode == "kb" else "client"
        self.group_count.setText(
            f"{total:,} {what}{'' if total == 1 else 'es' if what == 'patch' else 's'}"
            " — select some to narrow the rows below"
        )

    def _rows_loaded(self) -> None:
        total = self.rows.total or 0
        self.rows_heading.setText(f"{self._rows_title()} — {total:,} patch rows")

    def _rows_title(self) -> str:
        selected = self._selected_group_rows()
        if not selected:
            return "All devices matching the filters"
        if len(selected) == 1:
            row = selected[0]
            name = row.get("org_name") if self.mode == "client" else row.get("kb") or row["title"]
            return f"Devices: {name}"
        what = "clients" if self.mode == "client" else "patches"
        return f"Devices in {len(selected)} selected {what}"

    def _selected_group_rows(self) -> list[dict[str, Any]]:
        table, model = self.group_table, self.group_model
        rows = sorted({i.row() for i in table.selectionModel().selectedRows()})
        return [r for r in (model.row_at(i) for i in rows) if r is not None]

    def _groups_changed(self) -> None:
        selected = self._selected_group_rows()
        if self.mode == "kb":
            self.rows.set_groups(patch_keys=[r["key"] for r in selected])
        else:
            self.rows.set_groups(org_ids=[int(r["org_id"]) for r in selected])
        self._reload_rows()

    def _show_error(self, sentence: str) -> None:
        self.reason_label.setText(sentence)

    # -- actions --------------------------------------------------------------------------

    def _service(self) -> Any:
        # Imported with the module: importing it here cost 0.9 s on the UI thread at first use.
        if device_actions is None:
            return None
        return device_actions.service_for(self.ctx)

    def action_reason(self) -> str | None:
        """Why Apply/Scan cannot run now (a sentence), or None."""
        service = self._service()
        if service is None:
            return NO_ACTIONS
        ok, reason = service.availability(ActionRequest("os_apply"))
        if not ok:
            return reason
        if not any(self.targets.values()):
            return "Select patches, clients or patch rows to act on their devices."
        return None

    def _compute_targets(self) -> None:
        self._targets_generation += 1
        generation = self._targets_generation
        f, cache = self.rows.filter, self.ctx.cache
        picked = sorted({i.row() for i in self.rows_table.selectionModel().selectedRows()})
        pairs = [
            (r["family"], int(r["device_id"]))
            for r in (self.rows.row_at(i) for i in picked)
            if r is not None
        ]
        keys, orgs = self.rows.patch_keys, self.rows.org_ids
        if not (keys or orgs or pairs):
            # Nothing chosen: never "the whole fleet" by default.
            self.targets = {}
            self._update_actions()
            return

        def work() -> dict[str, list[pq.Target]]:
            return pq.targets(cache, f, patch_keys=keys, org_ids=orgs, device_ids=pairs)

        def done(found: dict[str, list[pq.Target]]) -> None:
            if generation == self._targets_generation:
                self.targets = found
                self._update_actions()

        def failed(exc: BaseException) -> None:
            if generation == self._targets_generation:
                self.targets = {}
                self._update_actions()
                self.reason_label.setText(error_sentence(exc))

        run_job(self, work, done, failed)

    def device_count(self) -> int:
        return len({t.device_id for targets in self.targets.values() for t in targets})

    def _update_actions(self) -> None:
        n = self.device_count()
        devices = f"{n:,} device{'' if n == 1 else 's'}"
        self.apply_button.setText(f"Apply patches on {devices}" if n else "Apply patches")
        self.scan_button.setText(f"Scan {devices}" if n else "Scan")
        reason = self.action_reason()
        for button in (self.apply_button, self.scan_button):
            set_enabled_quietly(button, reason is None)
            button.setToolTip(reason or button.accessibleDescription())
        self.reason_label.setText(reason or "")

    def _act(self, op: str, button: QPushButton) -> None:
        if self.action_reason() is not None:
            return
        families = [f for f in pq.FAMILIES if self.targets.get(f)]
        if len(families) == 1:
            self.start_action(families[0], op)
            return
        menu = QMenu(self)
        menu.setAccessibleName("Which patches")
        verb = "Apply" if op == "apply" else "Scan for"
        for family in families:
            n = len(self.targets[family])
            action = menu.addAction(
                f"{verb} {FAMILY_WORDS[family]} patches on {n:,} device{'' if n == 1 else 's'}"
            )
            action.triggered.connect(lambda _=False, fam=family: self.start_action(fam, op))
        menu.popup(button.mapToGlobal(QPoint(0, button.height())))
        self._family_menu = menu

    def start_action(self, family: str, op: str) -> Any:
        """Confirm, then run `{family}_{op}` on the chosen devices (the shared dialogs)."""
        if device_actions is None:
            self.reason_label.setText(NO_ACTIONS)
            return None
        targets = self.targets.get(family) or []
        if not targets:
            return None
        devices = [Device(t.device_id, t.name) for t in targets]
        ids = [t.device_id for t in targets]

        def finished(outcome: Any) -> None:
            summary = getattr(outcome, "summary", None)
            self.message.emit(summary() if callable(summary) else "Patch action finished.")
            self.sync_requested.emit(ids)  # read the devices' patches again

        return device_actions.start_device_action(
            self, device_actions.service_for(self.ctx), ActionRequest(f"{family}_{op}"), devices,
            on_outcome=finished,
        )  # fmt: skip
