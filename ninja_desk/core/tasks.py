"""Stopping asyncio work: the one way every service here stops its tasks, and the signals
that stop a long-running command (the agent, the relay)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterable
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


def stop_on_signals(stop: Callable[[], object]) -> None:
    """Call `stop` on SIGINT (Ctrl+C) and SIGTERM (a service manager) instead of raising
    KeyboardInterrupt or dying mid-write, so the command shuts down through its `finally`s.
    Call from the running loop."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
