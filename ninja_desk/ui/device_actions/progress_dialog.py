"""A device action under way: each device's job followed to its end, one row per device.

The service runs on the qasync loop (run_job); its per-device updates mark rows dirty and a
short timer repaints them in one `dataChanged`, so 200 devices updating at once cost one
repaint per tick, not 200. Closing the dialog does not stop the action: NinjaOne already has
it, and the service still records every outcome in Alga.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableView,
)

from ninja_desk.sync.device_action_service import (
    NOT_SENT,
    REFUSED,
    SENT,
    BulkOutcome,
    Device,
    DeviceResult,
)
from ninja_desk.ui.a11y import named
from ninja_desk.ui.device_actions.action_dialog import DeviceActionDialog
from ninja_desk.ui.settings.background import error_sentence, run_job

_WORDS = {
    "waiting": "Waiting",
    SENT: "Sent",
    "REQUESTED": "Requested",
    "STARTED": "Started",
    "IN_PROCESS": "Running",
    "SUCCESS": "Succeeded",
    "FAILURE": "Failed",
    "UNSUPPORTED": "Not supported",
    "UNCOMPLETED": "Not completed",
    "TIMED_OUT": "No answer in time",
    NOT_SENT: "Not sent",
    REFUSED: "Refused",
}
_RED = QColor("#b3261e")
_GREEN = QColor("#1e7b34")


def status_words() -> dict[str, str]:
    """Status and result codes in words (Succeeded, Not sent, ...)."""
    return dict(_WORDS)


def status_word(row: DeviceResult) -> str:
    key = row.result or row.status
    return _WORDS.get(key, key.replace("_", " ").capitalize())


class ResultModel(QAbstractTableModel):
    """Device, status, message: one row per device of the action."""

    HEADERS = ("Device", "Status", "Message")

    def __init__(self, devices: Sequence[Device], parent: Any = None) -> None:
        super().__init__(parent)
        self.rows = [DeviceResult(d.id, d.name) for d in devices]
        self._index = {r.device_id: i for i, r in enumerate(self.rows)}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 0:
                tip = role == Qt.ItemDataRole.ToolTipRole
                return f"{row.name} (device {row.device_id})" if tip else row.name
            if column == 1:
                return status_word(row)
            if column == 2:
                return row.message or None
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and row.ended:
            return QBrush(_GREEN if row.ok else _RED)
        return None

    def update(self, result: DeviceResult) -> int | None:
        """Take a device's new state; returns its row (the caller repaints)."""
        i = self._index.get(result.device_id)
        if i is None:
            return None
        row = self.rows[i]
        row.status, row.result = result.status, result.result
        row.message, row.job_uid = result.message, result.job_uid
        return i

    def repaint(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.HEADERS) - 1))

    def counts(self) -> tuple[int, int, int]:
        """(succeeded, failed, still running)."""
        ok = sum(1 for r in self.rows if r.ok)
        ended = sum(1 for r in self.rows if r.ended)
        return ok, ended - ok, len(self.rows) - ended


class ActionProgressDialog(DeviceActionDialog):
    """Runs the action as soon as it is shown (`start()`), then reports each device."""

    finished_outcome = Signal(object)  # the BulkOutcome
    device_updated = Signal(int, str)  # device id, its status in words

    dialog_name = "Device action progress"
    minimum = (560, 320)

    def _build(self, ticket: str | None) -> None:
        self.request = self.requested
        self.ticket = ticket
        self.outcome: BulkOutcome | None = None
        self.error: str | None = None
        self.running = False
        self.resize(720, 460)

        layout = self.body
        self.headline = QLabel(self.service.confirmation(self.request, self.devices))
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(named(self.headline, "Action", tip=False))
        self.bar = QProgressBar()
        self.bar.setRange(0, len(self.devices))
        self.bar.setValue(0)
        layout.addWidget(named(self.bar, "Devices done"))
        self.counts = QLabel()
        layout.addWidget(named(self.counts, "Counts", tip=False))

        self.model = ResultModel(self.devices, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        named(self.table, "Result per device")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(0, 220)
        self.table.setColumnWidth(1, 130)
        layout.addWidget(self.table)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(named(self.summary, "Summary", tip=False))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._dirty: set[int] = set()
        self._tick = QTimer(self)
        self._tick.setInterval(100)
        self._tick.timeout.connect(self._flush)
        self._show_counts()

    def start(self) -> None:
        """Send and follow; call once (the dialog is usually `open()`ed first)."""
        if self.running or self.outcome is not None:
            return
        self.running = True
        self.summary.setText("Sending…")
        self._tick.start()

        async def work() -> BulkOutcome:
            return await self.service.run(
                self.request, self.devices, ticket=self.ticket, on_update=self._on_update
            )

        run_job(self, work, self._done, self._failed)

    def _on_update(self, result: DeviceResult) -> None:
        # Called on the loop (the UI thread with qasync); the dialog may be gone by now.
        if not shiboken6.isValid(self):
            return
        i = self.model.update(result)
        if i is not None:
            self._dirty.add(i)

    def _flush(self) -> None:
        if not self._dirty:
            return
        rows = sorted(self._dirty)
        self._dirty.clear()
        self.model.repaint(rows[0], rows[-1])
        for i in rows:
            row = self.model.rows[i]
            self.device_updated.emit(row.device_id, status_word(row))
        self._show_counts()

    def _show_counts(self) -> None:
        ok, failed, running = self.model.counts()
        self.bar.setValue(ok + failed)
        self.counts.setText(f"{ok} succeeded · {failed} failed or not sent · {running} to go")

    def _done(self, outcome: BulkOutcome) -> None:
        self.running = False
        self.outcome = outcome
        for row in outcome.results:
            i = self.model.update(row)
            if i is not None:
                self._dirty.add(i)
        self._flush()
        self._tick.stop()
        text = outcome.summary()
        if outcome.ticket:
            text += f" The outcome is on {outcome.ticket} as an internal note."
        if outcome.record_errors:
            text += " Not everything could be recorded in Alga: " + outcome.record_errors[0]
        self.summary.setText(text)
        self.finished_outcome.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self._tick.stop()
        self.error = error_sentence(exc)
        self.summary.setText(self.error)
        self.finished_outcome.emit(None)
