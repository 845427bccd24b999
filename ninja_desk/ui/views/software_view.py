"""Software: which devices have title X (version Y)? Grouped and searched in SQL."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.ui.context import AppContext
from ninja_desk.ui.models.software_models import (
    ALL_VERSIONS,
    SoftwareDeviceModel,
    SoftwareTitleModel,
    SoftwareVersionModel,
)
from ninja_desk.ui.ui_state import ui_state
from ninja_desk.ui.views.base import View
from ninja_desk.ui.widgets.data_table import keyed_table
from ninja_desk.ui.widgets.elided_label import ElidedLabel
from ninja_desk.ui.widgets.saved_filters import SavedFiltersButton, SavedFilterStore


def _heading(text: str) -> QLabel:
    # Elides (full text in the tooltip): a long title in "Versions of …" must not set the
    # pane's (and the window's) minimum width, nor wrap and push one table below the others.
    label = ElidedLabel(text)
    label.setStyleSheet("font-weight: 600;")
    return label


class SoftwareView(View):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.titles = SoftwareTitleModel(ctx.cache, self)
        self.versions = SoftwareVersionModel(ctx.cache, self)
        self.devices = SoftwareDeviceModel(ctx.cache, self)
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self._search_changed)
        self.store = SavedFilterStore(ui_state(ctx.data_dir), "software")
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.search_edit = QLineEdit(placeholderText="Search software titles across all devices")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._debounce.start)
        self.summary_label = QLabel()
        self.saved_button = SavedFiltersButton(
            self.store, self.filter_state, self.apply_filter, self, message=self.message.emit
        )
        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.summary_label)
        top.addWidget(self.saved_button)

        self.titles_table = keyed_table(self.titles, None, (200, 110, 58, 62), 0)
        self.titles_table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.titles_table.selectionModel().currentRowChanged.connect(self._title_changed)
        self.versions_table = keyed_table(self.versions, None, (160, 70), 0)
        self.versions_table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        self.versions_table.selectionModel().currentRowChanged.connect(self._version_changed)
        self.devices_table = keyed_table(self.devices, None, (170, 140, 80, 90, 120), 0)
        self.devices_table.horizontalHeader().setMinimumSectionSize(60)
        self.devices_table.doubleClicked.connect(self._device_activated)
        self.devices_table.activated.connect(self._device_activated)

        self.versions_heading = _heading("Versions — pick a title")
        self.devices_heading = _heading("Devices")
        self.empty_label = QLabel()
        self.empty_label.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(_heading("Titles"))
        left_layout.addWidget(self.titles_table, 1)
        left_layout.addWidget(self.empty_label)

        middle = QWidget()
        middle.setMinimumWidth(160)  # "Version" and "Devices" whole at 1024 px
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(self.versions_heading)
        middle_layout.addWidget(self.versions_table, 1)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.devices_heading)
        right_layout.addWidget(self.devices_table, 1)
        hint = QLabel("Double-click a device to open it.")
        hint.setStyleSheet("color: palette(placeholder-text);")  # Mid is unreadable in dark
        right_layout.addWidget(hint)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        for pane in (left, middle, right):
            splitter.addWidget(pane)
        splitter.setSizes([560, 170, 550])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # -- public API -----------------------------------------------------------------------

    def refresh(self) -> None:
        title, version = self.versions.title, self.devices.version
        self.titles.search = self.search_edit.text()
        self.titles.reload()
        self._update_summary()
        if title is None or not self.select_title(title, version):
            self._show_title(None)

    def search(self, text: str) -> None:
        self.search_edit.setText(text)
        self._debounce.stop()
        self._search_changed()

    def filter_state(self) -> dict[str, Any]:
        """The search and the chosen title/version, as `apply_filter` takes them."""
        state: dict[str, Any] = {"search": self.search_edit.text()}
        if self.versions.title is not None:
            state["title"] = self.versions.title
            state["version"] = self.devices.version
        return state

    def apply_filter(self, values: dict[str, Any]) -> None:
        """{"search": text, "title": name, "version": v}; a missing title clears the choice."""
        self.search(str(values.get("search") or ""))
        title = values.get("title")
        if title:
            self.select_title(str(title), values.get("version"))

    def select_title(self, name: str, version: str | None = ALL_VERSIONS) -> bool:
        row = self.titles.fetch_all_until(lambda r: r["name"] == name)
        if row < 0:
            return False
        self._set_current(self.titles_table, row)
        if version is not None:
            vrow = self.versions.fetch_all_until(lambda r: r["version"] == version)
            if vrow < 0:
                return False
            self._set_current(self.versions_table, vrow)
        return True

    # -- internals ------------------------------------------------------------------------

    @staticmethod
    def _set_current(table: QTableView, row: int) -> None:
        index = table.model().index(row, 0)
        table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        table.scrollTo(index)

    def _update_summary(self) -> None:
        titles = self.titles.count()
        self.summary_label.setText(f"{titles:,} title{'' if titles == 1 else 's'}")
        if titles:
            self.empty_label.hide()
            return
        if self.search_edit.text().strip():
            self.empty_label.setText(f"No software title contains “{self.search_edit.text()}”.")
        else:
            self.empty_label.setText(
                "No software inventory in the local cache yet; it arrives with the next sync."
            )
        self.empty_label.show()

    def _search_changed(self) -> None:
        self.titles.search = self.search_edit.text()
        self.titles.reload()
        self._update_summary()
        if self.titles.rowCount() == 1:
            self._set_current(self.titles_table, 0)
        else:
            self._show_title(None)

    def _title_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.titles.row_at(current.row()) if current.isValid() else None
        self._show_title(row["name"] if row else None)

    def _show_title(self, name: str | None) -> None:
        self.versions.title = name
        self.versions.reload()
        self.devices.title = name
        self.devices.version = ALL_VERSIONS
        self.devices.reload()
        self.versions_heading.setText(f"Versions of {name}" if name else "Versions — pick a title")
        self._update_devices_heading()

    def _version_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.versions.row_at(current.row()) if current.isValid() else None
        self.devices.version = row["version"] if row else ALL_VERSIONS
        self.devices.reload()
        self._update_devices_heading()

    def _update_devices_heading(self) -> None:
        title = self.devices.title
        if title is None:
            self.devices_heading.setText("Devices — pick a title")
            return
        count = self.devices.count()
        which = title if self.devices.version is None else f"{title} {self.devices.version}"
        self.devices_heading.setText(f"{count:,} devices with {which}")

    def _device_activated(self, index: QModelIndex) -> None:
        row = self.devices.row_at(index.row())
        if row is not None:
            self.open_device_requested.emit(int(row["device_id"]))
