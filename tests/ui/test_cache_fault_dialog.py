"""A cache fault while the app runs (here a full disk: SQLite's own SQLITE_FULL provoked with
`PRAGMA max_page_count`, the real write path and its typed CacheDiskFull) reaches the user as
its sentence in a dialog, not as a traceback, and the window keeps running. Other errors:
tests/ui/test_diagnostics.py."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import event

from ninja_desk.cache.errors import CacheDiskFull
from ninja_desk.ui.diagnostics import FAULT_TITLE, FaultDialogs

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


def _fill_the_disk(cache) -> None:  # type: ignore[no-untyped-def]
    pages = cache.scalar("PRAGMA page_count")
    cache.engine.dispose()

    def cap(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + 2}")

    event.listen(cache.engine, "connect", cap)


def _write_a_lot(conn) -> None:  # type: ignore[no-untyped-def]
    conn.exec_driver_sql(
        "INSERT INTO organizations (id, name, deleted) VALUES (9001, ?, 0)", ("x" * 400_000,)
    )


def test_a_full_disk_in_a_slot_is_a_dialog_once(window, qtbot, capsys) -> None:
    cache = window.ctx.cache
    _fill_the_disk(cache)
    faults = FaultDialogs(window).install()
    try:
        for _ in range(2):  # every write fails the same way: one dialog, not a pile
            QTimer.singleShot(0, lambda: cache.write_blocking(_write_a_lot))
            qtbot.waitUntil(lambda: bool(faults.boxes))
            QApplication.processEvents()
    finally:
        faults.uninstall()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    box = boxes[0]
    assert box.windowTitle() == FAULT_TITLE
    assert "is full" in box.text() and "free some space" in box.text()
    assert "Traceback" not in capsys.readouterr().err
    assert window.isVisible()
    box.button(QMessageBox.StandardButton.Close).click()


def test_a_fault_in_a_task_is_a_dialog_and_a_bare_loop_message_keeps_its_handler(window) -> None:
    seen: list[object] = []

    class Loop:
        def default_exception_handler(self, context) -> None:  # type: ignore[no-untyped-def]
            seen.append(context["message"])

    faults = FaultDialogs(window)
    faults._loop_handler(Loop(), {"exception": CacheDiskFull("The disk is full; free space.")})  # type: ignore[arg-type]
    faults._loop_handler(Loop(), {"message": "Unclosed transport"})  # type: ignore[arg-type]
    assert seen == ["Unclosed transport"]
    assert list(faults.boxes) == ["The disk is full; free space."]
    assert faults.boxes["The disk is full; free space."].windowTitle() == FAULT_TITLE
    faults.boxes["The disk is full; free space."].close()
