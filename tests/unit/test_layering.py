"""The layer table of design.md §1 holds: the import-linter contracts in pyproject.toml.

`make test` runs `lint-imports` before pytest; this runs the same contracts inside the suite,
so a single `pytest` (or CI that calls only pytest) fails on an import that points the wrong
way: core importing a third-party package or another layer, Qt below ui/, a storage package
importing sync, the relay or the simulator importing the app. In a child process: import-linter
configures logging with dictConfig, which disables every logger this process already has.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout and "7 kept" in done.stdout
