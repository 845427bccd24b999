"""The layer table of design.md §1 holds: the import-linter contracts in pyproject.toml.

`make test` runs `lint-imports` before pytest; this runs the same contracts inside the suite,
so a single `pytest` (or CI that calls only pytest) fails on an import that points the wrong
way: core importing a third-party package or another layer, Qt below ui/, a storage package
importing sync, the relay or the simulator importing the app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "0 broken" in report and "7 kept" in report
