"""The relay's SQLite file holds every webhook body, so it is private whatever the umask: the
database and its -wal/-shm are 0600 and any directory the relay creates is 0700 (SQLite gives
-wal/-shm the database file's mode)."""

from __future__ import annotations

import logging
import os
import stat
from contextlib import suppress
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dirs(directory: Path | str) -> None:
    """Create missing directories 0700; existing ones are left alone (it may be /tmp)."""
    directory = Path(directory)
    missing: list[Path] = []
    while str(directory) not in ("", ".") and not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        with suppress(FileExistsError):
            path.mkdir(mode=DIR_MODE)
        # mkdir's mode passes through the umask; chmod does not.
        os.chmod(path, DIR_MODE)


def private_file(path: str, create: bool) -> None:
    if create:
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode != FILE_MODE:
        try:
            os.chmod(path, FILE_MODE)
        except OSError as exc:
            log.warning(
                "relay database file %s is mode %o and could not be made 0600 (%s)", path, mode, exc
            )
