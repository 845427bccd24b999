"""Window geometry and view state in an INI file inside the data dir.

Never the platform's global location (registry, ~/.config): tests and several profiles each
keep their own, and deleting the data dir really resets the app.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

UI_STATE_FILE = "ui-state.ini"


def ui_state(data_dir: Path) -> QSettings:
    return QSettings(str(Path(data_dir) / UI_STATE_FILE), QSettings.Format.IniFormat)
