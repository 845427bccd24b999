"""A device's NinjaOne custom fields: shown to everyone, editable with the right.

Editing needs Alga's rmm:execute_command and the NinjaOne Management scope (the reason is
written under the table otherwise). Reads and writes run off the UI thread; a save sends only
the fields that changed and is recorded in the asset's history like any device action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ninja_desk.sync.device_action_service import Device, DeviceActionService
from ninja_desk.ui.a11y import named
from ninja_desk.ui.settings.background import bind, error_sentence, run_job


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _parse(text: str, before: Any) -> Any:
    """The typed value for what was typed, shaped like the field's current value."""
    if text == "":
        return None
    if isinstance(before, int) and not isinstance(before, bool):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(before, float):
        try:
            return float(text)
        except ValueError:
            return text
    return text


class CustomFieldsPanel(QWidget):
    def __init__(self, service_factory: Any, parent: QWidget | None = None) -> None:
        """`service_factory()` gives the current DeviceActionService (the connection and
        the PSA sign-in can change while the panel lives)."""
        super().__init__(parent)
        self.service_factory = service_factory
        self.device: Device | None = None
        self.values: dict[str, Any] = {}
        self._loaded_for: Device | None = None
        self._busy = False
        named(self, "Custom fields")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Field", "Value"])
        named(self.table, "Custom field values")
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 180)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.itemChanged.connect(self._changed)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        row.addWidget(named(self.status, "Custom fields status", tip=False), 1)
        self.reload_button = named(QPushButton("Reload"), "Reload custom fields")
        self.reload_button.clicked.connect(self.reload)
        self.save_button = named(QPushButton("Save"), "Save custom fields")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.reload_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self._update_actions()

    def service(self) -> DeviceActionService:
        return self.service_factory()

    def set_device(self, device: Device | None) -> None:
        """Show `device`'s fields; they are read from NinjaOne when the panel is on screen
        (clicking through the device list costs no call while another tab is open)."""
        if device == self.device:
            return
        self.device = device
        self.values = {}
        self._loaded_for = None
        self._fill({})
        self.status.setText("")
        if device is not None and self.isVisible():
            self.reload()
        self._update_actions()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.device is not None and self._loaded_for != self.device:
            self.reload()

    def reload(self) -> None:
        if self.device is None or self._busy:
            return
        self._exchange(
            self.device,
            "Loading custom fields…",
            bind(self.service().custom_fields, self.device.id),
            lambda values: "" if values else "This device has no custom fields.",
        )

    def _exchange(
        self,
        device: Device,
        working: str,
        call: Callable[[], Any],
        sentence: Callable[[dict[str, Any]], str],
    ) -> None:
        """Run `call` (a read or a save; both answer with the fields as NinjaOne has them)
        off the UI thread with the buttons off, then show its fields and `sentence` of them,
        unless another device was chosen meanwhile (its own reload is showing)."""
        self._busy = True
        self.status.setText(working)
        self._update_actions()

        def done(values: Any) -> None:
            self._busy = False
            if device != self.device:
                return
            self._loaded_for = device
            self.values = dict(values or {})
            self._fill(self.values)
            self.status.setText(sentence(self.values))
            self._update_actions()

        run_job(self, call, done, self._failed)

    def _fill(self, values: dict[str, Any]) -> None:
        editable, reason = self.service().can_edit_fields()
        self.table.blockSignals(True)
        self.table.setRowCount(len(values))
        for i, (name, value) in enumerate(sorted(values.items())):
            key = QTableWidgetItem(name)
            key.setFlags(key.flags() & ~Qt.ItemFlag.ItemIsEditable)
            item = QTableWidgetItem(_text(value))
            item.setData(Qt.ItemDataRole.UserRole, name)
            if not editable:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(i, 0, key)
            self.table.setItem(i, 1, item)
        self.table.blockSignals(False)
        self.read_only_reason = None if editable else reason

    def pending(self) -> dict[str, Any]:
        """The fields whose text differs from what NinjaOne has."""
        changes: dict[str, Any] = {}
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 1)
            if item is None:
                continue
            name = str(item.data(Qt.ItemDataRole.UserRole))
            before = self.values.get(name)
            if item.text() != _text(before):
                changes[name] = _parse(item.text(), before)
        return changes

    def _changed(self, _item: QTableWidgetItem) -> None:
        self._update_actions()

    def save(self) -> None:
        changes = self.pending()
        if self.device is None or not changes or self._busy:
            return
        self._exchange(
            self.device,
            "Saving…",
            bind(self.service().set_custom_fields, self.device, changes, dict(self.values)),
            lambda _values: f"Saved {', '.join(sorted(changes))}.",
        )

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.status.setText(error_sentence(exc))
        self._update_actions()

    def _update_actions(self) -> None:
        editable, reason = self.service().can_edit_fields()
        has_device = self.device is not None
        self.reload_button.setEnabled(has_device and not self._busy)
        self.save_button.setEnabled(
            editable
            and has_device
            and not self._busy
            and bool(self.values)
            and bool(self.pending())
        )
        if has_device and not editable and not self._busy and self.values:
            self.status.setText(f"Read-only: {reason}")
