"""Running a coroutine on a qasync loop inside a Qt test, and waiting on a condition there."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication


def run_on_qasync(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    """`coro_fn()` to completion on a fresh qasync loop (Qt events keep flowing), then closed."""
    loop = qasync.QEventLoop(QApplication.instance(), already_running=False)
    try:
        return loop.run_until_complete(coro_fn())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


async def until(check: Callable[[], object], timeout: float = 10.0) -> None:
    """Yield to the loop until `check()` is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)
