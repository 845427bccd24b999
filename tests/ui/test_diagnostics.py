"""The desktop's diagnostics: an unexpected error is a dialog that says where the log is, its
"Copy details" carries traceback, versions and log path with secrets masked, the log file
holds the traceback (masked too), and Qt's own messages land in that log."""

from __future__ import annotations

import logging
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import qWarning
from PySide6.QtWidgets import QApplication, QWidget

from ninja_desk.ui.diagnostics import (
    COPY_DETAILS,
    ERROR_TITLE,
    Diagnostics,
    FaultDialogs,
    start_diagnostics,
)

SECRET = "eyJhbGciOiJSUzI1NiJ9.sEcReT-payload"


@pytest.fixture
def diagnostics(tmp_path: Path) -> Iterator[Diagnostics]:
    diag = start_diagnostics(tmp_path, console=False)
    try:
        yield diag
    finally:
        diag.close()


def _raise_with_a_token() -> None:
    raise RuntimeError(f"refresh failed: Authorization: Bearer {SECRET}")


def _caught() -> BaseException:
    try:
        _raise_with_a_token()
    except RuntimeError as exc:
        return exc
    raise AssertionError("unreachable")


def test_an_unexpected_error_is_a_dialog_naming_the_log_and_copy_details_is_masked(
    qtbot, diagnostics: Diagnostics
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    faults = FaultDialogs(parent, diagnostics.log_path).install()
    try:
        exc = _caught()
        sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        faults.uninstall()
    (box,) = faults.boxes.values()
    assert box.windowTitle() == ERROR_TITLE
    assert str(diagnostics.log_path) in box.text()
    assert "keeps running" in box.text()
    assert SECRET not in box.text()
    copy = next(b for b in box.buttons() if b.text() == COPY_DETAILS)
    copy.click()
    details = QApplication.clipboard().text()
    assert "_raise_with_a_token" in details  # the traceback
    assert "NinjaDesk " in details and "Python " in details  # the versions
    assert str(diagnostics.log_path) in details
    assert SECRET not in details and "Bearer ***" in details
    assert not box.isVisible()  # copying closes the box; the log keeps the details

    assert diagnostics.run_log is not None
    diagnostics.run_log.handler.flush()
    written = Path(diagnostics.log_path or "").read_text(encoding="utf-8")
    assert "_raise_with_a_token" in written and "Bearer ***" in written
    assert SECRET not in written


def test_the_same_error_twice_is_one_dialog(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    faults = FaultDialogs(parent, None)
    exc = _caught()
    first = faults.show_unexpected(exc)
    assert first is not None and "no log file" in first.text()
    assert faults.show_unexpected(exc) is None
    first.close()


def test_qt_messages_go_to_the_log_at_their_level(diagnostics: Diagnostics, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="ninja_desk.qt"):
        qWarning("QFont::setPointSize: Point size <= 0 (-1), must be greater than 0")
    records = [r for r in caplog.records if r.name == "ninja_desk.qt"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.WARNING, "QFont::setPointSize: Point size <= 0 (-1), must be greater than 0")
    ]
    assert diagnostics.run_log is not None
    diagnostics.run_log.handler.flush()
    assert "QFont::setPointSize" in Path(diagnostics.log_path or "").read_text(encoding="utf-8")


def test_the_log_file_is_private_and_holds_the_versions(diagnostics: Diagnostics) -> None:
    path = diagnostics.log_path
    assert path is not None and path.parent.name == "logs"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert "NinjaDesk " in first and "(desktop)" in first and "Python 3." in first
