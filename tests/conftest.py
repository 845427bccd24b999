"""Suite-wide guards: no test touches the real user data dir or the real keyring."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    # Anything that falls back to the platform data dir (lock files, settings) lands here.
    path = tmp_path_factory.mktemp("ninja-desk-data")
    monkeypatch.setenv("NINJA_DESK_DATA_DIR", str(path))
    return path
