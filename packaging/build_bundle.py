"""Build the desktop bundle with PyInstaller: `make bundle` runs this in the project venv.

Reproducible inputs: PyInstaller is pinned (packaging/requirements-bundle.txt), the hash seed
is fixed, timestamps come from the last commit (SOURCE_DATE_EPOCH), and the exact versions of
everything inside are written to dist/NinjaDesk/BUILD-INFO.txt. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
BUNDLE = DIST / "NinjaDesk"


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main() -> int:
    started = time.monotonic()
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("SOURCE_DATE_EPOCH", _git("log", "-1", "--format=%ct") or "0")
    # The build imports Qt (PyInstaller's hooks inspect it); it needs no display.
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    shutil.rmtree(BUNDLE, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level=WARN",
            f"--distpath={DIST}",
            f"--workpath={WORK}",
            str(ROOT / "packaging" / "ninja-desk.spec"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    from ninja_desk import __version__

    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True, text=True
    ).stdout
    commit = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    (BUNDLE / "BUILD-INFO.txt").write_text(
        f"NinjaDesk {__version__}\n"
        f"commit {commit}{' (working tree had local changes)' if dirty else ''}\n"
        f"python {platform.python_version()} on {platform.platform()}\n"
        f"SOURCE_DATE_EPOCH {env['SOURCE_DATE_EPOCH']}\n\n"
        f"{freeze}",
        encoding="utf-8",
    )
    print(
        json.dumps(
            {
                "bundle": str(BUNDLE.relative_to(ROOT)),
                "executable": str((BUNDLE / "NinjaDesk").relative_to(ROOT)),
                "size_mb": round(_size(BUNDLE) / 1e6, 1),
                "build_seconds": round(time.monotonic() - started, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
