"""What the desktop does when something goes wrong: a log, a dialog, never a bare traceback.

`start_diagnostics` runs first in `run_app`: this run's log file (run_log.py), redaction of
every log record, warnings on stderr for a terminal start, and Qt's own messages (a plugin
that failed to load, a stylesheet error) into the same log through qInstallMessageHandler,
so the log holds everything a bug report needs. `Diagnostics.attach` adds the dialogs once the
window and the loop exist:

- a data-folder fault (CacheReadOnly, CacheDiskFull, ...) shows its own sentence, once;
- any other exception that escapes a slot or a task is logged with its traceback and shown as
  one sentence saying where the log is, with "Copy details" (traceback, versions, log path,
  secrets masked) for the bug report. The app keeps running: the technician decides.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QMessageLogContext, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ninja_desk.ninjaone.redaction import RedactionFilter, install_redaction, redact
from ninja_desk.paths import DataDirUnavailable
from ninja_desk.run_log import RunLog, start_run_log, versions_line

log = logging.getLogger(__name__)
qt_log = logging.getLogger("ninja_desk.qt")

FATAL_TITLE = "NinjaDesk cannot start"
FAULT_TITLE = "NinjaDesk cannot use its data folder"
ERROR_TITLE = "NinjaDesk hit an unexpected error"
COPY_DETAILS = "Copy details"

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def qt_message_to_log(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's qDebug/qWarning/... as records of the `ninja_desk.qt` logger, at the same level."""
    qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def error_details(exc: BaseException, log_path: Path | None) -> str:
    """The text "Copy details" puts on the clipboard: versions, log file, traceback; redacted."""
    where = str(log_path) if log_path is not None else "none (the log folder is not writable)"
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return redact(f"{versions_line('desktop')}\nLog file: {where}\n\n{trace}")


def _one_sentence(exc: BaseException) -> str:
    """`Something went wrong (KeyError: 'x').`: the first line of the message, masked."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    what = f"{type(exc).__name__}: {redact(lines[0])}" if lines else type(exc).__name__
    return f"Something went wrong ({what})."


class FaultDialogs:
    """Exceptions that escape a slot or a task while the app runs, as dialogs (not modal).

    One box per sentence while it is open: a full disk fails every write, and the technician
    should read it once, free space, and carry on (reading the cache still works).
    """

    def __init__(self, window: QWidget | None, log_path: Path | None = None) -> None:
        self.window = window
        self.log_path = log_path
        self.boxes: dict[str, QMessageBox] = {}
        self._previous: Any = None

    def show(self, exc: BaseException) -> QMessageBox | None:
        """A data-folder fault: its own sentence says what to do."""
        text = str(exc)
        log.error("%s", text)
        return self._open(QMessageBox.Icon.Warning, FAULT_TITLE, text)

    def show_unexpected(self, exc: BaseException) -> QMessageBox | None:
        """Any other error: logged with its traceback, one sentence and "Copy details" shown."""
        log.error("Unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
        where = (
            f"The details are in the log file {self.log_path}."
            if self.log_path is not None
            else "This run has no log file; copy the details below for a bug report."
        )
        text = f"{_one_sentence(exc)} NinjaDesk keeps running. {where}"
        box = self._open(QMessageBox.Icon.Critical, ERROR_TITLE, text)
        if box is not None:
            details = error_details(exc, self.log_path)
            # Copies, then closes the box like any of its buttons: the log keeps the details.
            copy = box.addButton(COPY_DETAILS, QMessageBox.ButtonRole.ActionRole)
            copy.clicked.connect(lambda: _copy_to_clipboard(details))
            box.setDetailedText(details)
        return box

    def _open(self, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox | None:
        import shiboken6

        box = self.boxes.get(text)
        if box is not None and shiboken6.isValid(box) and box.isVisible():
            return None
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Close, self.window)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.boxes[text] = box
        box.open()  # never exec(): the loop keeps running (design.md §5)
        return box

    def _dispatch(self, exc: BaseException) -> None:
        if isinstance(exc, DataDirUnavailable):
            self.show(exc)
        else:
            self.show_unexpected(exc)

    def _excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            self._previous(kind, exc, tb)
            return
        try:
            self._dispatch(exc)
        except Exception:  # the dialog itself failed: never lose the original error
            self._previous(kind, exc, tb)

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, Exception):
            self._dispatch(exc)
        else:  # a message without an exception (an unclosed transport...): the log has it
            loop.default_exception_handler(context)

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> FaultDialogs:
        self._previous = sys.excepthook
        sys.excepthook = self._excepthook
        if loop is not None:
            loop.set_exception_handler(self._loop_handler)
        return self

    def uninstall(self) -> None:
        if self._previous is not None and sys.excepthook == self._excepthook:
            sys.excepthook = self._previous


def _copy_to_clipboard(text: str) -> None:
    clipboard = QApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)


def show_fatal(sentence: str, log_path: Path | None = None) -> None:
    """The reason NinjaDesk cannot go on, in a dialog (a desktop start shows no terminal).

    Modal on purpose: it runs before the window and the loop exist, and the app exits after.
    """
    if log_path is not None:
        sentence = f"{sentence}\n\nThe log of this start is {log_path}."
    box = QMessageBox(
        QMessageBox.Icon.Critical, FATAL_TITLE, sentence, QMessageBox.StandardButton.Close
    )
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # copy the path
    box.exec()


@dataclass
class Diagnostics:
    """This run's log, Qt message routing and (once attached) the error dialogs."""

    run_log: RunLog | None
    console: logging.Handler | None = None
    faults: FaultDialogs | None = None
    _routing_qt: bool = field(default=False, repr=False)
    _previous_qt: Any = field(default=None, repr=False)

    @property
    def log_path(self) -> Path | None:
        return self.run_log.path if self.run_log is not None else None

    def attach(self, window: QWidget, loop: asyncio.AbstractEventLoop) -> FaultDialogs:
        self.faults = FaultDialogs(window, self.log_path).install(loop)
        return self.faults

    def close(self) -> None:
        if self.faults is not None:
            self.faults.uninstall()
            self.faults = None
        if self._routing_qt:
            qInstallMessageHandler(self._previous_qt)  # None: Qt's default, stderr
            self._routing_qt = False
        if self.console is not None:
            logging.getLogger().removeHandler(self.console)
            self.console = None
        if self.run_log is not None:
            self.run_log.close()
            self.run_log = None


def start_diagnostics(
    data_dir: str | Path | None = None, *, console: bool = True, route_qt: bool = True
) -> Diagnostics:
    """Log file, redaction and Qt routing for a desktop run; call before QApplication exists."""
    install_redaction()  # every record, whoever logs it, before any handler formats it
    diagnostics = Diagnostics(run_log=start_run_log("desktop", data_dir=data_dir))
    root = logging.getLogger()
    has_console = any(type(h) is logging.StreamHandler for h in root.handlers)
    if console and not has_console:  # `ninja-desk demo` set one up already
        # What Python's last-resort handler printed before: warnings and errors, bare text,
        # for a technician who started the app from a terminal.
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
        handler.addFilter(RedactionFilter())
        root.addHandler(handler)
        diagnostics.console = handler
    if route_qt:
        diagnostics._previous_qt = qInstallMessageHandler(qt_message_to_log)
        diagnostics._routing_qt = True
    return diagnostics
