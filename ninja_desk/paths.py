"""Every on-disk location NinjaDesk uses, in one place.

`--data-dir` or `NINJA_DESK_DATA_DIR` overrides the platform default so tests and several
profiles never touch the real user data. Folders are created private (0700).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "NinjaDesk"
ENV_DATA_DIR = "NINJA_DESK_DATA_DIR"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    raw = override or os.environ.get(ENV_DATA_DIR) or user_data_dir(APP_NAME, appauthor=False)
    path = Path(raw).expanduser()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def cache_file(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / "cache.sqlite3"


def config_file(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / "settings.json"


def log_dir(override: str | os.PathLike[str] | None = None) -> Path:
    path = data_dir(override) / "logs"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
