"""Organization mapping: which PSA client each NinjaOne organization's devices belong to."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from ninja_desk.cache.queries.clients import ORGANIZATIONS_WITH_COUNTS_SQL
from ninja_desk.psa.permissions import CONFIGURE_ORG_MAPPING
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.background import BusyPageMixin
from ninja_desk.ui.settings.common import hint, page_column
from ninja_desk.ui.settings.org_mapping_service import org_mapping_service
from ninja_desk.ui.settings.services import permission_reason

Index = QModelIndex | QPersistentModelIndex
NOT_MAPPED = "(not mapped)"


class OrgMappingModel(QAbstractTableModel):
    """Rows are `psa.org_mapping.OrgMappingState`s; a few hundred at most, held in memory."""

    HEADERS = (
        "NinjaOne organization",
        "Devices",
        "PSA client",
        "Suggested client",
        "Auto-sync assets",
        "State",
    )
    auto_sync_toggled = Signal(int, bool)  # org id, enabled

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.states: list[Any] = []
        self.device_counts: dict[int, int] = {}
        self.editable = False

    def set_states(self, states: list[Any], device_counts: dict[int, int]) -> None:
        self.beginResetModel()
        self.states = list(states)
        self.device_counts = device_counts
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.states)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 4 and self.editable:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.states)):
            return None
        state = self.states[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return state.organization.name
            if column == 1:
                return str(self.device_counts.get(state.organization.id, 0))
            if column == 2:
                return state.client_name or NOT_MAPPED
            if column == 3:
                return ", ".join(c.name for c in state.suggestions)
            if column == 5:
                if state.vanished_at is not None:
                    return "Gone from NinjaOne"
                return "Mapped" if state.client_id else "Unmapped"
            return None
        if role == Qt.ItemDataRole.CheckStateRole and column == 4:
            return Qt.CheckState.Checked if state.auto_sync else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and not state.client_id:
            return QColor("#757575")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return state
        return None

    def setData(self, index: Index, value: Any, role: int = 0) -> bool:
        if (
            not index.isValid()
            or index.column() != 4
            or role != Qt.ItemDataRole.CheckStateRole
            or not self.editable
        ):
            return False
        enabled = Qt.CheckState(value) == Qt.CheckState.Checked
        self.auto_sync_toggled.emit(self.states[index.row()].organization.id, enabled)
        return True  # the page writes it to the PSA and reloads the row


class OrgMappingPage(BusyPageMixin, QWidget):
    title = "Organization mapping"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service: Any = None
        self._busy = False
        self._clients: list[Any] = []
        self.model = OrgMappingModel(self)
        self.model.auto_sync_toggled.connect(self._auto_sync_toggled)

        layout, self.note = page_column(
            self,
            "Each NinjaOne organization's devices are pushed into the PSA client it maps to. "
            "Unmapped organizations are listed but their devices are not pushed.",
        )
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for column, width in enumerate((220, 70, 200, 180, 120, 130)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._row_changed())
        layout.addWidget(self.table, 1)

        picker = QHBoxLayout()
        self.client_combo = QComboBox()
        self.client_combo.setMinimumWidth(220)
        self.map_button = QPushButton("Map")
        self.create_button = QPushButton("Create client from organization")
        self.bulk_button = QPushButton("Map all by suggested name")
        self.refresh_button = QPushButton("Refresh")
        self.map_button.clicked.connect(self._map_clicked)
        self.create_button.clicked.connect(self._create_clicked)
        self.bulk_button.clicked.connect(self._bulk_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        picker.addWidget(QLabel("PSA client"))
        picker.addWidget(self.client_combo)
        picker.addWidget(self.map_button)
        picker.addWidget(self.create_button)
        picker.addStretch(1)
        picker.addWidget(self.bulk_button)
        picker.addWidget(self.refresh_button)
        layout.addLayout(picker)
        self.status_label = hint("")
        layout.addWidget(self.status_label)
        self.refresh()

    # -- loading --------------------------------------------------------------------------

    def read_only_reason(self) -> str | None:
        if isinstance(self.service, str):
            return self.service
        return permission_reason(self.ctx, CONFIGURE_ORG_MAPPING)

    def refresh(self) -> None:
        self.service = org_mapping_service(self.ctx)
        reason = self.read_only_reason()
        self.note.set_reason(reason)
        self.model.editable = reason is None
        if isinstance(self.service, str):
            self._show_cache_only()
            self._update_actions()
            return
        service = self.service

        def load() -> tuple[list[Any], list[Any], dict[int, int]]:
            return service.states(), service.clients(), service.device_counts()

        self._run("Loading mappings…", load, self._loaded)

    def _show_cache_only(self) -> None:
        """Without a PSA there are no mappings, but the organizations are still worth seeing."""
        from types import SimpleNamespace

        from ninja_desk.core.organizations import Organization

        rows = self.ctx.cache.rows(ORGANIZATIONS_WITH_COUNTS_SQL)
        states = [
            SimpleNamespace(
                organization=Organization(id=r["id"], name=r["name"]),
                client_id=None,
                client_name=None,
                auto_sync=False,
                suggestions=(),
                vanished_at=None,
            )
            for r in rows
        ]
        self.model.set_states(states, {r["id"]: r["n"] for r in rows})
        self._clients = []
        self.client_combo.clear()
        self.status_label.setText(f"{len(states)} NinjaOne organizations in the local cache.")

    def _loaded(self, result: tuple[list[Any], list[Any], dict[int, int]]) -> None:
        states, clients, counts = result
        current = self.current_state()
        keep = current.organization.id if current else None
        self.model.set_states(states, counts)
        self._clients = sorted(clients, key=lambda c: c.name.lower())
        self.client_combo.clear()
        self.client_combo.addItem(NOT_MAPPED, None)
        for client in self._clients:
            # Strings, not UUIDs: QComboBox.findData cannot compare wrapped Python objects.
            self.client_combo.addItem(client.name, str(client.client_id))
        mapped = sum(1 for s in states if s.client_id)
        suggested = sum(1 for s in states if not s.client_id and len(s.suggestions) == 1)
        self.status_label.setText(
            f"{mapped} of {len(states)} organizations mapped; {suggested} can be mapped by "
            "suggested name."
        )
        if keep is not None:
            self.select_org(keep)
        self._update_actions()

    # -- selection ------------------------------------------------------------------------

    def current_state(self) -> Any:
        index = self.table.selectionModel().currentIndex()
        return self.model.states[index.row()] if index.isValid() else None

    def select_org(self, org_id: int) -> bool:
        for row, state in enumerate(self.model.states):
            if state.organization.id == org_id:
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                return True
        return False

    def _row_changed(self) -> None:
        state = self.current_state()
        if state is not None and self.client_combo.count():
            wanted = state.client_id or (
                state.suggestions[0].client_id if state.suggestions else None
            )
            index = self.client_combo.findData(str(wanted) if wanted else None)
            self.client_combo.setCurrentIndex(max(index, 0))
        self._update_actions()

    def _update_actions(self) -> None:
        reason = self.read_only_reason() or ("Working…" if self._busy else None)
        has_row = self.current_state() is not None
        self.client_combo.setEnabled(reason is None)
        for button in (self.map_button, self.create_button):
            button.setEnabled(reason is None and has_row)
            button.setToolTip(reason or ("" if has_row else "Pick an organization."))
        self.bulk_button.setEnabled(reason is None)
        self.bulk_button.setToolTip(
            reason or "Map every unmapped organization that has exactly one client of that name"
        )
        self.refresh_button.setEnabled(not self._busy)

    # -- actions --------------------------------------------------------------------------

    def _map_clicked(self) -> None:
        state = self.current_state()
        if state is None or self.read_only_reason():
            return
        service = self.service
        client_id = next(
            (
                c.client_id
                for c in self._clients
                if str(c.client_id) == self.client_combo.currentData()
            ),
            None,
        )
        org = state.organization
        name = self.client_combo.currentText()
        self._run(
            "Saving…",
            lambda: service.map(org.id, client_id, state.auto_sync),
            lambda _v: self._reload_with(
                f"{org.name} → {name}." if client_id else f"{org.name} left unmapped."
            ),
        )

    def _create_clicked(self) -> None:
        state = self.current_state()
        if state is None or self.read_only_reason():
            return
        service, org = self.service, state.organization
        self._run(
            "Creating the client…",
            lambda: service.create_client(org.id),
            lambda _v: self._reload_with(f"Created client {org.name} and mapped it."),
        )

    def _bulk_clicked(self) -> None:
        if self.read_only_reason():
            return
        service = self.service
        self._run(
            "Mapping by suggested name…",
            service.map_by_suggestion,
            lambda n: self._reload_with(f"Mapped {n} organizations by suggested name."),
        )

    def _auto_sync_toggled(self, org_id: int, enabled: bool) -> None:
        if self.read_only_reason():
            return
        service = self.service
        self._run(
            "Saving…",
            lambda: service.set_auto_sync(org_id, enabled),
            lambda _v: self._reload_with(
                "Assets will sync automatically." if enabled else "Automatic asset sync is off."
            ),
        )

    def _reload_with(self, message: str) -> None:
        service = self.service

        def load() -> tuple[list[Any], list[Any], dict[int, int]]:
            return service.states(), service.clients(), service.device_counts()

        def loaded(result: Any) -> None:
            self._loaded(result)
            self.status_label.setText(message)

        self._run("Reloading…", load, loaded)
