"""Open a link in the system's browser or remote tool, and say whether that really happened.

`webbrowser.open` and `QDesktopServices.openUrl` report success as soon as `xdg-open` has
*started*; when `xdg-open` then fails (`gio: Operation not supported`, no browser configured)
nobody hears of it. On Linux the opener runs as an asyncio subprocess (never blocking the UI
thread) and its exit status decides: a non-zero exit is a failure with the opener's own last
line as the reason; an opener still running after `settle_s` has handed over to a browser
and counts as success. Elsewhere `QDesktopServices.openUrl`'s answer is what the OS reports.
"""

from __future__ import annotations

import asyncio
import inspect
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

SETTLE_SECONDS = 4.0


@dataclass(frozen=True, slots=True)
class OpenResult:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def opener_command() -> list[str] | None:
    """The command that opens links here, or None to use Qt's (Windows, macOS)."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd")):
        found = shutil.which("xdg-open")
        return [found] if found else None
    return None


_RUNNING: set[asyncio.Task[Any]] = set()  # openers still running after they settled


async def open_external(
    url: str, *, command: Sequence[str] | None = None, settle_s: float = SETTLE_SECONDS
) -> OpenResult:
    """Open `url`; the OpenResult says whether the system opener succeeded."""
    argv = list(command) if command is not None else opener_command()
    if argv is None:
        if QDesktopServices.openUrl(QUrl(url)):
            return OpenResult(True)
        return OpenResult(False, "the system has no handler for links")
    if not argv:
        return OpenResult(False, "no program to open links is installed")
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            url,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        return OpenResult(False, f"{argv[0]} could not be started ({exc.strerror or exc})")
    waiting = asyncio.ensure_future(proc.communicate())
    done, _ = await asyncio.wait({waiting}, timeout=settle_s)
    if not done:
        # Still running: it handed the link to a browser that stays in the foreground.
        _RUNNING.add(waiting)
        waiting.add_done_callback(_RUNNING.discard)
        return OpenResult(True)
    _out, err = waiting.result()
    if proc.returncode == 0:
        return OpenResult(True)
    text = (err or b"").decode("utf-8", "replace").strip()
    last = text.splitlines()[-1].strip() if text else ""
    return OpenResult(False, last or f"{argv[0]} exited with status {proc.returncode}")


def outcome(value: Any) -> OpenResult:
    """What an opener returned, as an OpenResult: None means it did not say (a test fake)."""
    if isinstance(value, OpenResult):
        return value
    if value is None or value is True:
        return OpenResult(True)
    if value is False:
        return OpenResult(False, "the system opener failed")
    ok = getattr(value, "ok", None)
    if isinstance(ok, bool):
        return OpenResult(ok, str(getattr(value, "reason", "") or ""))
    return OpenResult(bool(value))


async def open_and_wait(opener: Callable[[str], Any], url: str) -> OpenResult:
    try:
        value = opener(url)
        if inspect.isawaitable(value):
            value = await value
    except OSError as exc:
        return OpenResult(False, str(exc) or type(exc).__name__)
    return outcome(value)


def copy_to_clipboard(text: str) -> None:
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)


def failure_sentence(what: str, result: OpenResult) -> str:
    reason = f" ({result.reason})" if result.reason else ""
    return (
        f"Your system could not open the {what}{reason}. Copy the link and open it in your browser."
    )


def open_links(
    owner: Any,
    opener: Callable[[str], Any],
    links: Sequence[str],
    on_results: Callable[[list[OpenResult]], None],
) -> None:
    """Open each link now; `on_results` gets their outcomes on the Qt thread once known (at
    once for openers that answer synchronously, after the opener exits otherwise)."""
    from ninja_desk.ui.settings.background import run_job

    answers: list[Any] = []
    for link in links:
        try:
            answers.append(opener(link))
        except OSError as exc:
            answers.append(OpenResult(False, str(exc) or type(exc).__name__))
    if not any(inspect.isawaitable(a) for a in answers):
        on_results([outcome(a) for a in answers])
        return

    async def wait_all() -> list[OpenResult]:
        return [outcome(await a) if inspect.isawaitable(a) else outcome(a) for a in answers]

    run_job(owner, wait_all, on_results, lambda exc: on_results([OpenResult(False, str(exc))]))
