"""CSV export: every row of the view's current query in its current order (not the fetched
page), a header row, csv quoting, UTF-8 without a BOM, written on a worker thread with
progress, all or nothing; the shell's Ctrl+Shift+E finds each view's table."""

from __future__ import annotations

import csv
import io
import itertools
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from ninja_desk.ui.main_window import MainWindow
from ninja_desk.ui.widgets.csv_export import (
    CsvExportJob,
    ExportCancelled,
    ExportSpec,
    export_spec_of,
    write_csv,
)


def _read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


def _export(qtbot, window: MainWindow, path: Path) -> list[list[str]]:
    flow = window.export_current_table()
    assert flow is not None and flow.dialog is not None and flow.dialog.isVisible()
    flow.dialog.reject()  # the test picks the file itself
    with qtbot.waitSignal(flow.done, timeout=20000) as done:
        flow.start(path)
    assert done.args[0] == str(path)
    return _read(path)


def test_quoting_unicode_and_header(tmp_path: Path, ctx) -> None:
    rows = [
        ["Acme, Inc.", 'say "hi"', "two\nlines"],
        ["Zoë Ørsted", "", "=1+1"],
    ]
    spec = ExportSpec("Quoting", ["Name", "Quote", "Note"], rows=rows)
    path = tmp_path / "q.csv"
    assert write_csv(ctx.cache, spec, path) == 2
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("Name,Quote,Note\r\n")
    assert '"Acme, Inc.","say ""hi""","two\nlines"\r\n' in text
    assert _read(path) == [["Name", "Quote", "Note"], *rows]


def test_devices_export_has_every_row_in_the_table_order(
    qtbot, window: MainWindow, ctx, tmp_path: Path
) -> None:
    devices = window.show_view("devices")
    devices.model.page_size = 50  # the table holds one page of 50
    devices.model.sort(0, Qt.SortOrder.DescendingOrder)
    assert devices.model.rowCount() == 50
    got = _export(qtbot, window, tmp_path / "devices.csv")
    model = devices.model
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert got[0] == header
    expected = ctx.cache.rows("SELECT name FROM devices WHERE deleted = 0")
    assert len(got) - 1 == len(expected) > model.rowCount()
    names = [row[0] for row in got[1:]]
    assert names == sorted(names, reverse=True)
    shown = [model.display(model.row_at(i), c) for i, c in ((0, 0), (0, 1), (0, 3))]
    assert [got[1][0], got[1][1], got[1][3]] == shown


def test_each_view_hands_over_its_table(qtbot, window: MainWindow, tmp_path: Path) -> None:
    alerts = window.show_view("alerts")
    alerts.apply_filter({"severity": ["CRITICAL"]})
    got = _export(qtbot, window, tmp_path / "alerts.csv")
    assert got[0][:2] == ["Severity", "Device"]
    assert {row[0] for row in got[1:]} == {"Critical"}
    assert len(got) - 1 == alerts.model.count()

    patches = window.show_patches({"mode": "client"})
    qtbot.waitUntil(lambda: patches.by_client.total is not None, timeout=5000)
    got = _export(qtbot, window, tmp_path / "patch-clients.csv")
    assert got[0][:3] == ["Client", "Devices", "Compliant"]
    assert len(got) - 1 == patches.by_client.total

    window.show_view("dashboard")
    assert window.export_current_table() is None
    assert "no table" in window.statusBar().currentMessage()


def test_cancel_leaves_no_file(tmp_path: Path, ctx) -> None:
    spec = ExportSpec("Big", ["n"], rows=[[str(i)] for i in range(5000)])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ExportCancelled):
        write_csv(ctx.cache, spec, out / "big.csv", cancelled=lambda: True)
    assert list(out.iterdir()) == []  # neither the file nor its temporary


SERIES_SQL = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) "
    "SELECT i, 'row, ' || i AS label FROM n ORDER BY i"
)


def test_fifty_thousand_rows_off_the_ui_thread(qtbot, ctx, tmp_path: Path) -> None:
    threads: set[int] = set()

    def cell(row: dict, column: int) -> str:
        threads.add(threading.get_ident())
        return str(row["i"] if column == 0 else row["label"])

    spec = ExportSpec("Series", ["i", "label"], sql=SERIES_SQL, cell=cell, columns=[0, 1])
    job = CsvExportJob(ctx.cache, spec, tmp_path / "series.csv")
    progress: list[tuple[int, int]] = []
    job.progressed.connect(lambda done, total: progress.append((done, total)))
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    with qtbot.waitSignal(job.finished, timeout=60000) as finished:
        job.start()
    timer.stop()
    assert finished.args[1] == 50000
    assert threads and threading.get_ident() not in threads
    assert progress[-1] == (50000, 50000) and len(progress) > 1
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert ticks and max(gaps, default=0) < 0.5, "the UI thread kept turning"
    got = _read(tmp_path / "series.csv")
    assert len(got) == 50001 and got[1] == ["1", "row, 1"] and got[-1] == ["50000", "row, 50000"]


def test_spec_prefers_the_views_own_hook(qtbot, window: MainWindow) -> None:
    clients = window.show_view("clients")
    qtbot.waitUntil(lambda: clients.model.total is not None, timeout=5000)
    spec = export_spec_of(clients)
    assert spec is not None and spec.headers[0] in ("Device", "Ticket")  # the page's tab
    clients.table.setFocus()
    qtbot.waitUntil(clients.table.hasFocus, timeout=2000)
    spec = export_spec_of(clients)
    assert spec is not None and spec.headers == ["Client", "Devices", "Offline", "Alerts"]


def test_a_job_deleted_mid_export_never_crashes_or_calls_back(qtbot, ctx, tmp_path: Path) -> None:
    """The window (and the job with it) may go while the worker writes: the worker emits
    through a carrier that outlives both and is let go on the UI thread once the worker ended."""
    from PySide6.QtWidgets import QWidget

    from ninja_desk.ui.widgets import csv_export

    spec = ExportSpec("Series", ["i", "label"], sql=SERIES_SQL, cell=lambda r, c: r["i"],
                      columns=[0, 1])  # fmt: skip
    heard: list[object] = []
    for n in range(5):
        owner = QWidget()
        job = CsvExportJob(ctx.cache, spec, tmp_path / f"s{n}.csv", owner)
        job.finished.connect(lambda *a: heard.append(a))
        job.start()
        owner.deleteLater()  # the job goes with its owner at once
    qtbot.waitUntil(lambda: not csv_export._IN_FLIGHT, timeout=60000)
    assert heard == []
    assert all((tmp_path / f"s{n}.csv").exists() for n in range(5))  # the work itself finished
