"""Every on-disk location NinjaDesk uses, in one place.

`--data-dir` or `NINJA_DESK_DATA_DIR` overrides the platform default so tests and several
profiles never touch the real user data. Folders are private (0700): created so, and tightened
when they already existed wider (an 0755 folder made by hand or by an older version would
otherwise let other local users read the cache of the whole fleet).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from platformdirs import user_data_dir, user_log_dir

from ninja_desk.environment import environment, variable

APP_NAME = "NinjaDesk"
ENV_DATA_DIR = variable("data_dir")
ENV_LOG_DIR = variable("log_dir")


class DataDirUnavailable(Exception):
    """The data folder (or a file NinjaDesk keeps in it) cannot be used; the message says why."""


def private_dir(path: Path) -> Path:
    """Create `path` 0700, or take group and other access away from an existing folder."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DataDirUnavailable(
            f"NinjaDesk cannot create its data folder {path} ({exc.strerror or exc}); "
            f"choose a folder you can write to with --data-dir or {ENV_DATA_DIR}."
        ) from None
    make_private(path)
    return path


def make_private(path: Path) -> None:
    """Drop group/other permission bits of a file or folder we own (never adds any)."""
    if os.name != "posix":  # Windows: the profile folder's ACL already keeps others out
        return
    # A read-only filesystem or someone else's folder: opening files there says what is wrong.
    with contextlib.suppress(OSError):
        info = path.stat()
        if info.st_mode & 0o077 and info.st_uid == os.geteuid():
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    raw = override or environment().data_dir or user_data_dir(APP_NAME, appauthor=False)
    return private_dir(Path(raw).expanduser())


def cache_file(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / "cache.sqlite3"


def config_file(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / "settings.json"


def log_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The platform's log folder; `<data dir>/logs` when the data dir is chosen explicitly.

    A profile or a test run with its own data dir keeps its logs beside its data, so they never
    mix with (or prune) the logs of the technician's everyday runs.
    """
    env = environment()
    if override or env.data_dir:
        return private_dir(data_dir(override) / "logs")
    raw = env.log_dir or user_log_dir(APP_NAME, appauthor=False)
    return private_dir(Path(raw).expanduser())
