"""Run a slow call (database, network) off the UI thread and get the answer back on it.

Coroutine functions run as tasks on the running (qasync) loop; plain functions run on a
short-lived worker thread. Either way `on_done(value)` or `on_error(exc)` is called on the Qt
thread, so the caller may touch widgets there.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries a job's answer to the UI thread, then lets itself go.

    It has no parent: the owner (a card, a dialog) may be deleted while the job still runs, and
    a relay deleted with it while a worker thread was inside `emit` crashed in ~QObject. The
    relay stays alive in `_IN_FLIGHT` until its answer has been delivered; the callbacks run in
    its own slots (queued onto the UI thread from a worker) and only while the owner still
    exists, so a closed card is never called back.
    """

    done = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        owner: QObject,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        super().__init__()
        self.worker: threading.Thread | None = None
        self._owner = owner
        self._on_done = on_done
        self._on_error = on_error
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_failed)
        _IN_FLIGHT.add(self)

    @Slot(object)
    def _deliver_done(self, value: object) -> None:
        try:
            if shiboken6.isValid(self._owner):
                self._on_done(value)
        finally:
            self._release()

    @Slot(object)
    def _deliver_failed(self, exc: object) -> None:
        try:
            if shiboken6.isValid(self._owner):
                self._on_error(exc)  # type: ignore[arg-type]
        finally:
            self._release()

    def _release(self) -> None:
        # The worker has emitted; wait the microseconds until it has also dropped its own
        # reference, so the relay's last reference goes on this (its own) thread, never there.
        if self.worker is not None:
            self.worker.join(timeout=5)
        _IN_FLIGHT.discard(self)
        self.deleteLater()


_IN_FLIGHT: set[_Relay] = set()


def run_job(
    owner: QObject,
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
) -> None:
    relay = _Relay(owner, on_done, on_error)

    if inspect.iscoroutinefunction(fn):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            relay.failed.emit(RuntimeError("This action needs the app's event loop."))
            return

        def finished(task: asyncio.Future[Any]) -> None:
            if task.cancelled():
                relay.failed.emit(RuntimeError("The action was cancelled."))
            elif task.exception() is not None:
                relay.failed.emit(task.exception())
            else:
                relay.done.emit(task.result())

        loop.create_task(fn()).add_done_callback(finished)
        return

    def work() -> None:
        try:
            value = fn()
        except Exception as exc:  # reported to the user as a sentence by on_error
            log.debug("background job failed", exc_info=True)
            relay.failed.emit(exc)
        else:
            relay.done.emit(value)

    relay.worker = threading.Thread(target=work, name="ui-job", daemon=True)
    relay.worker.start()


def error_sentence(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else f"{type(exc).__name__} (no details)."


def bind(method: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """`method(*args)` as a zero-argument job for run_job, keeping it async if it is async."""
    if inspect.iscoroutinefunction(method):

        async def call_async() -> Any:
            return await method(*args)

        return call_async
    return lambda: method(*args)


class BusyPageMixin:
    """A settings page that runs one slow job at a time, with a status line and the actions
    disabled meanwhile. The page provides `status_label` and `_update_actions()`."""

    _busy: bool = False
    clear_status_when_done: bool = False

    def _run(self, label: str, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self._busy = True
        self.status_label.setText(label)  # type: ignore[attr-defined]
        self._update_actions()  # type: ignore[attr-defined]

        def finished(value: Any) -> None:
            self._busy = False
            if self.clear_status_when_done:
                self.status_label.setText("")  # type: ignore[attr-defined]
            done(value)
            self._update_actions()  # type: ignore[attr-defined]

        def failed(exc: BaseException) -> None:
            self._busy = False
            self.status_label.setText(error_sentence(exc))  # type: ignore[attr-defined]
            self._update_actions()  # type: ignore[attr-defined]

        run_job(self, fn, finished, failed)  # type: ignore[arg-type]
