"""The bundle's entry script, run from source: it must keep working as the UI changes.

`make bundle-smoke` checks the frozen build, which `make test` does not build (a minute and
240 MB). This runs the same `--smoke-test` through the same entry script from the source
tree, with the same stderr allow list, so a change to `run_app` or the main window that would
break the bundle fails here first.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "packaging" / "ninja_desk_app.py"


def _smoke_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "ninja_desk_bundle_smoke", ROOT / "packaging" / "smoke_test.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NINJA_DESK_")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, str(ENTRY), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


def test_smoke_test_from_source(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    done = _run("--smoke-test", "--data-dir", str(data_dir), tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["smoke_test"] == "ok", report
    assert report["main_window"] and report["icon"] and report["svg"], report
    assert report["psa_migrations"] == "ok"
    assert json.loads((data_dir / "smoke-test.json").read_text()) == report
    assert (data_dir / "cache.sqlite3").exists()
    allowed = _smoke_module().ALLOWED_STDERR
    unexpected = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and not any(p.match(line) for p in allowed)
    ]
    assert not unexpected, unexpected


def test_version_and_unknown_options(tmp_path: Path) -> None:
    from ninja_desk import __version__

    done = _run("--version", tmp_path=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"NinjaDesk {__version__}"
    # Options the entry does not know are Qt's: they must reach QApplication, not argparse.
    entry_spec = importlib.util.spec_from_file_location("ninja_desk_bundle_entry2", ENTRY)
    assert entry_spec is not None and entry_spec.loader is not None
    entry = importlib.util.module_from_spec(entry_spec)
    entry_spec.loader.exec_module(entry)
    args, qt = entry._parser().parse_known_args(["-style", "Fusion", "--data-dir", "x"])
    assert qt == ["-style", "Fusion"] and str(args.data_dir) == "x"
