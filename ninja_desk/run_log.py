"""One log file per run of the desktop, the agent or a CLI command, for the bug report.

Each run writes `<program>-<YYYYmmdd-HHMMSS-micros>-<pid>.log` in the log folder (paths.log_dir) and
the oldest runs beyond `KEEP_RUNS` are removed, so the folder never grows without bound. A run
that logs a lot (an agent up for weeks) rolls over inside its own file at `MAX_BYTES`. A crash
that Python cannot catch (a segfault in Qt, a deadlock killed by a signal) is written by
`faulthandler` to `<same name>.faults` beside it; an empty one is removed at a clean exit.

Every record passes the redaction filter of ninjaone/redaction.py (the one that knows OAuth
tokens, relay secrets and authorization codes) before it reaches the file, and the files are
0600: the log of a technician's fleet is nobody else's to read. No Qt here: the agent and the
CLI run on servers without a display.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import logging
import logging.handlers
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ninja_desk import __version__, paths
from ninja_desk.ninjaone.redaction import RedactionFilter

log = logging.getLogger(__name__)

KEEP_RUNS = 10
MAX_BYTES = 5 * 1024 * 1024
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files are created 0600, whatever the umask says."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        paths.make_private(Path(self.baseFilename))  # an older file made wider by hand
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


@dataclass
class RunLog:
    """The files of this run; `close()` detaches the handler and stops the fault writer."""

    path: Path
    fault_path: Path
    handler: logging.Handler
    logger: logging.Logger
    _fault_file: IO[str] | None = None
    _fault_was_enabled: bool = False
    _previous_level: int | None = None

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.handler.close()
        if self._previous_level is not None:  # a host that runs us in-process keeps its level
            self.logger.setLevel(self._previous_level)
            self._previous_level = None
        if self._fault_file is not None:
            faulthandler.disable()
            if self._fault_was_enabled and sys.__stderr__ is not None:
                # Give the host (pytest, an embedding app) its crash dumps on stderr back.
                with contextlib.suppress(ValueError, OSError):
                    faulthandler.enable(file=sys.__stderr__, all_threads=True)
            self._fault_file.close()
            self._fault_file = None
            with contextlib.suppress(OSError):
                if self.fault_path.stat().st_size == 0:
                    self.fault_path.unlink()


def start_run_log(
    program: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    level: int = logging.INFO,
    keep: int = KEEP_RUNS,
    faults: bool = True,
    logger: logging.Logger | None = None,
) -> RunLog | None:
    """Log this run of `program` ("desktop", "agent", "cli") to a new private file.

    The handler goes on `logger` (the root logger by default, so httpx and SQLAlchemy are
    in the file too); the logger's level is lowered to `level` if it was higher, which does
    not make a console handler with its own level any chattier. None when the log folder is
    unusable (read-only, full disk): the run goes on without a file, the reason logged.
    """
    target = logger if logger is not None else logging.getLogger()
    now = time.time()  # microseconds too: two runs of one process never share a file
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now % 1 * 1e6):06d}"
    try:
        folder = paths.log_dir(data_dir)
        path = folder / f"{program}-{stamp}-{os.getpid()}.log"
        handler = PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=1, encoding="utf-8"
        )
    except (OSError, paths.DataDirUnavailable) as exc:
        log.info("This run has no log file: %s", exc)
        return None
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactionFilter())
    target.addHandler(handler)
    run = RunLog(path=path, fault_path=path.with_suffix(".faults"), handler=handler, logger=target)
    if target.getEffectiveLevel() > level:
        run._previous_level = target.level
        target.setLevel(level)
    if faults:
        _write_faults_beside(run)
    _prune(folder, program, keep, current=path)
    target.log(max(level, logging.INFO), "%s", versions_line(program))
    return run


def versions_line(program: str) -> str:
    """What a bug report needs first: which build, on which Python and system."""
    parts = [
        f"NinjaDesk {__version__} ({program})",
        f"Python {platform.python_version()}",
        platform.platform(terse=True),
    ]
    qt = sys.modules.get("PySide6")
    if qt is not None:  # only when the desktop loaded it; never imported from here
        parts.append(f"PySide6 {getattr(qt, '__version__', '?')}")
    return ", ".join(parts)


def _write_faults_beside(run: RunLog) -> None:
    try:
        fd = os.open(run.fault_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        log.info("Crashes of this run are not written to a file: %s", exc)
        return
    run._fault_was_enabled = faulthandler.is_enabled()
    run._fault_file = open(fd, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
    faulthandler.enable(file=run._fault_file, all_threads=True)


def _prune(folder: Path, program: str, keep: int, *, current: Path) -> None:
    """Remove the runs of `program` older than the newest `keep` (with their side files)."""
    runs = sorted(p for p in folder.glob(f"{program}-*.log") if p != current)
    for old in runs[: max(0, len(runs) - (keep - 1))]:
        for side in (old, Path(f"{old}.1"), old.with_suffix(".faults")):
            with contextlib.suppress(OSError):
                side.unlink(missing_ok=True)
