"""Export a view's table to CSV: every row of its current query in its current order.

The rows come from SQLite again (the model's ORDER BY without LIMIT), not from the page the
table has fetched, and they are written on a worker thread with a progress dialog that can
cancel: 50k rows never touch the UI thread. The file is UTF-8 without a BOM, a header row,
`csv`'s minimal quoting (commas, quotes and line breaks quoted), written to a temporary file
beside the target and moved into place only when complete.

How the main window finds a view's table (the hook other views may implement):

- `view.export_spec()` -> `ExportSpec | None`: the view says exactly what to export; else
- `view.current_table()` -> `QTableView | None`: the table the view considers current; else
  the focused table inside the view, `view.table`, or the first visible table.

For a table, its model may implement `export_spec()`; a SQL-paged model
(`widgets/sql_table_model.SqlPagedTableModel`) needs nothing more: its `page_query(-1, 0)`
is the whole query (SQLite reads LIMIT -1 as no limit) and `display(row, column)` formats the
cells (it must stay plain Python: it runs on the worker). Any other model is small and in
memory, and is read as displayed.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QProgressDialog,
    QTableView,
    QWidget,
)
from sqlalchemy import text

from ninja_desk.cache.queries.row_count import count_sql
from ninja_desk.ui.widgets.key_column import folded_columns
from ninja_desk.ui.widgets.sql_table_model import SqlPagedTableModel

log = logging.getLogger(__name__)

Cell = Callable[[dict[str, Any], int], str]
CHUNK = 1000


@dataclass
class ExportSpec:
    """What to write: `headers`, and rows either from `sql` (formatted by `cell(row, i)`, with
    `columns` the model columns to write, in order) or already as text in `rows`."""

    title: str
    headers: list[str]
    sql: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    cell: Cell | None = None
    columns: list[int] = field(default_factory=list)
    rows: list[list[str]] | None = None


def safe_file_name(title: str) -> str:
    name = re.sub(r"[^\w.-]+", "-", title.strip().lower()).strip("-") or "table"
    return f"{name}-{time.strftime('%Y-%m-%d')}.csv"


# -- finding the table ---------------------------------------------------------------------


def _visible_columns(table: QTableView | None, count: int) -> list[int]:
    if table is None:
        return list(range(count))
    header = table.horizontalHeader()
    logical = [header.logicalIndex(v) for v in range(header.count())]
    # Columns hidden only because the window is narrow are still the table's: exported.
    folded = set(folded_columns(table))
    return [c for c in logical if 0 <= c < count and (c in folded or not header.isSectionHidden(c))]


def spec_for_model(model: Any, title: str, table: QTableView | None = None) -> ExportSpec | None:
    if model is None:
        return None
    custom = getattr(model, "export_spec", None)
    if callable(custom):
        return custom()
    columns = _visible_columns(table, model.columnCount())
    headers = [
        str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
        for c in columns
    ]
    if isinstance(model, SqlPagedTableModel):
        sql, params = model.page_query(-1, 0)
        return ExportSpec(title, headers, sql=sql, params=dict(params), cell=model.display,
                          columns=columns)  # fmt: skip
    while model.canFetchMore(QModelIndex()):  # an in-memory model: small by nature
        model.fetchMore(QModelIndex())
    rows = []
    for r in range(model.rowCount()):
        rows.append(
            [str(model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) or "") for c in columns]
        )
    return ExportSpec(title, headers, rows=rows, columns=columns)


def table_of(view: QWidget) -> QTableView | None:
    current = getattr(view, "current_table", None)
    if callable(current):
        return current()
    focused = QApplication.focusWidget()
    while focused is not None and not isinstance(focused, QTableView):
        focused = focused.parentWidget()
    if focused is not None and view.isAncestorOf(focused) and focused.isVisible():
        return focused
    table = getattr(view, "table", None)
    if isinstance(table, QTableView):
        return table
    return next((t for t in view.findChildren(QTableView) if t.isVisible()), None)


def export_spec_of(view: QWidget | None, title: str = "table") -> ExportSpec | None:
    """What "Export table to CSV" writes for `view`, or None when it shows no table."""
    if view is None:
        return None
    custom = getattr(view, "export_spec", None)
    if callable(custom):
        return custom()
    table = table_of(view)
    if table is None:
        return None
    name = table.accessibleName() or title
    return spec_for_model(table.model(), name, table)


# -- writing -------------------------------------------------------------------------------


class ExportCancelled(Exception):
    pass


def count_rows(cache: Any, spec: ExportSpec) -> int:
    if spec.rows is not None:
        return len(spec.rows)
    assert spec.sql is not None  # an ExportSpec has rows or sql (as _chunks says too)
    return int(cache.scalar(count_sql(spec.sql), **spec.params) or 0)


def write_csv(
    cache: Any,
    spec: ExportSpec,
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> int:
    """Write `spec` to `path` (complete or not at all); the number of data rows written.
    Blocking: run it on a worker thread."""
    path = Path(path)
    total = count_rows(cache, spec)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    written = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(spec.headers)
            for chunk in _chunks(cache, spec):
                if cancelled():
                    raise ExportCancelled
                writer.writerows(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written, max(total, written))
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return written


def _chunks(cache: Any, spec: ExportSpec) -> Any:
    if spec.rows is not None:
        for start in range(0, len(spec.rows), CHUNK):
            yield spec.rows[start : start + CHUNK]
        return
    assert spec.sql is not None and spec.cell is not None
    cell, columns = spec.cell, spec.columns
    with cache.engine.connect() as conn:
        result = conn.execution_options(yield_per=CHUNK).execute(text(spec.sql), spec.params)
        for part in result.mappings().partitions(CHUNK):
            yield [[_text(cell(dict(row), c)) for c in columns] for row in part]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# -- the Qt side ---------------------------------------------------------------------------


class _Carrier(QObject):
    """What the worker thread emits through. It lives on the UI thread, has no parent and stays
    in `_IN_FLIGHT` until the worker has ended and dropped its reference: a job (or its dialog)
    deleted mid-export never has a Qt object deleted under the worker, nor on the worker's
    thread (that crashed the UI thread in processEvents)."""

    progressed = Signal(int, int)
    finished = Signal(str, int)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.worker: threading.Thread | None = None
        for ended in (self.finished, self.failed, self.cancelled):
            ended.connect(self._ended)
        _IN_FLIGHT.add(self)

    @Slot()
    def _ended(self, *_args: object) -> None:
        if self.worker is not None:
            self.worker.join(timeout=5)  # it has emitted; only its return is left
        _IN_FLIGHT.discard(self)
        self.deleteLater()


_IN_FLIGHT: set[_Carrier] = set()


def _export(
    carrier: _Carrier, cache: Any, spec: ExportSpec, path: Path, stop: threading.Event
) -> None:
    last_emit = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last_emit[0] >= 0.1 or done >= total:
            last_emit[0] = now
            carrier.progressed.emit(done, total)

    try:
        rows = write_csv(cache, spec, path, progress=progress, cancelled=stop.is_set)
    except ExportCancelled:
        carrier.cancelled.emit()
    except Exception as exc:
        log.warning("CSV export to %s failed", path, exc_info=True)
        carrier.failed.emit(f"The table could not be written to {path}: {exc}.")
    else:
        carrier.finished.emit(str(path), rows)


class CsvExportJob(QObject):
    """One export on a worker thread; signals arrive on the UI thread."""

    progressed = Signal(int, int)  # rows written, rows in all
    finished = Signal(str, int)  # path, rows
    failed = Signal(str)  # a sentence
    cancelled = Signal()

    def __init__(self, cache: Any, spec: ExportSpec, path: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.cache = cache
        self.spec = spec
        self.path = Path(path)
        self._stop = threading.Event()
        self.worker: threading.Thread | None = None

    def start(self) -> None:
        carrier = _Carrier()
        # Queued onto this job's thread; Qt drops them if the job is gone by then.
        carrier.progressed.connect(self.progressed)
        carrier.finished.connect(self.finished)
        carrier.failed.connect(self.failed)
        carrier.cancelled.connect(self.cancelled)
        self.worker = threading.Thread(
            target=_export,
            args=(carrier, self.cache, self.spec, self.path, self._stop),
            name="csv-export",
            daemon=True,
        )
        carrier.worker = self.worker
        self.worker.start()

    def cancel(self) -> None:
        self._stop.set()


class CsvExportFlow(QObject):
    """File dialog, then progress dialog, then a message: all opened with open(), never exec().

    `message(text)` says how it ended (the main window shows it in the status bar)."""

    message = Signal(str)
    done = Signal(str, int)

    def __init__(
        self,
        parent: QWidget,
        cache: Any,
        spec: ExportSpec,
        *,
        directory: str | Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.cache = cache
        self.spec = spec
        self.directory = Path(directory) if directory else Path.home()
        self.dialog: QFileDialog | None = None
        self.progress: QProgressDialog | None = None
        self.job: CsvExportJob | None = None

    def ask(self) -> QFileDialog:
        dialog = QFileDialog(
            self.parent_widget,
            f"Export “{self.spec.title}” to CSV",
            str(self.directory / safe_file_name(self.spec.title)),
            "CSV files (*.csv);;All files (*)",
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix("csv")
        dialog.setAccessibleName("Export table to CSV")
        dialog.fileSelected.connect(lambda path: self.start(Path(path)))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, path: Path) -> CsvExportJob:
        progress = QProgressDialog(
            f"Writing {self.spec.title} to {path.name}…", "Cancel", 0, 0, self.parent_widget
        )
        progress.setWindowTitle("Export table to CSV")
        progress.setAccessibleName("CSV export progress")
        progress.setMinimumDuration(300)  # a small table finishes before it shows
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        self.progress = progress
        job = CsvExportJob(self.cache, self.spec, path, self)
        self.job = job
        progress.canceled.connect(job.cancel)
        job.progressed.connect(self._progressed)
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        job.cancelled.connect(self._cancelled)
        job.start()
        return job

    def _progressed(self, done: int, total: int) -> None:
        if self.progress is None:
            return
        if self.progress.maximum() != total:
            self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setLabelText(f"Writing {self.spec.title}: {done:,} of {total:,} rows…")

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect()
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _finished(self, path: str, rows: int) -> None:
        self._close_progress()
        self.message.emit(f"Exported {rows:,} rows to {path}.")
        self.done.emit(path, rows)

    def _failed(self, sentence: str) -> None:
        self._close_progress()
        self.message.emit(sentence)

    def _cancelled(self) -> None:
        self._close_progress()
        self.message.emit("CSV export cancelled; no file was written.")


def export_view(
    parent: QWidget,
    cache: Any,
    view: QWidget | None,
    title: str,
    *,
    directory: str | Path | None = None,
) -> CsvExportFlow | None:
    """Start exporting `view`'s table (file dialog first); None when it has no table."""
    spec = export_spec_of(view, title)
    if spec is None:
        return None
    flow = CsvExportFlow(parent, cache, spec, directory=directory)
    flow.ask()
    return flow
