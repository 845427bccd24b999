"""Stopping asyncio tasks the one way every service here stops its own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any] | None]) -> None:
    """Cancel every task (None: a task never started), then wait until each has unwound.

    The waiting lets a task's `finally` blocks run before its owner closes what they use; the
    CancelledError each ends with is the expected end and not raised, any other error is.
    """
    started = [t for t in tasks if t is not None]  # one snapshot: finished tasks may leave a set
    for task in started:
        task.cancel()
    for task in started:
        with contextlib.suppress(asyncio.CancelledError):
            await task
