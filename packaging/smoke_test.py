"""Smoke-test the built desktop bundle: `make bundle-smoke` (after `make bundle`).

Runs `<bundle>/NinjaDesk --smoke-test --data-dir <temp>` with QT_QPA_PLATFORM=offscreen, the
way qutebrowser tests its release builds: the binary must exit 0, report that it showed the
main window with its icon, and write nothing to stderr except the lines allowed below. It also
checks that nothing was written outside the temp data dir's tree. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# stderr lines that are expected; each says where it comes from.
ALLOWED_STDERR = [
    # Qt's offscreen platform plugin cannot resize windows to size hints; a real display
    # plugin (xcb, wayland, windows, cocoa) does not print it.
    re.compile(r"^This plugin does not support propagateSizeHints\(\)$"),
    # Offscreen has no system tray; PySide6 warns when a QSystemTrayIcon is shown anyway.
    re.compile(r"^QSystemTrayIcon::setVisible: No Icon set$"),
]
TIMEOUT = 60


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: smoke_test.py BUNDLE_DIR", file=sys.stderr)
        return 2
    bundle = Path(argv[1]).resolve()
    exe = bundle / ("NinjaDesk.exe" if os.name == "nt" else "NinjaDesk")
    if not exe.exists():
        print(f"bundle-smoke: {exe} does not exist; run `make bundle` first.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ninja-desk-smoke-") as tmp:
        data_dir = Path(tmp) / "data"
        home = Path(tmp) / "home"
        home.mkdir()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NINJA_DESK_", "PYTHON", "QT_")) and k != "VIRTUAL_ENV"
        }
        # A fresh HOME and XDG dirs: the bundle must not depend on (or write to) the user's.
        env.update(
            QT_QPA_PLATFORM="offscreen",
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_CACHE_HOME=str(home / ".cache"),
        )
        started = time.monotonic()
        try:
            done = subprocess.run(
                [str(exe), "--smoke-test", "--data-dir", str(data_dir)],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                env=env,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired:
            print(f"bundle-smoke: FAILED, no exit within {TIMEOUT} s", file=sys.stderr)
            return 1
        seconds = round(time.monotonic() - started, 2)
        unexpected = [
            line
            for line in done.stderr.splitlines()
            if line.strip() and not any(p.match(line) for p in ALLOWED_STDERR)
        ]
        # stdout on Linux and macOS; a windowed Windows build only leaves the file.
        report_file = data_dir / "smoke-test.json"
        raw = report_file.read_text(encoding="utf-8") if report_file.exists() else done.stdout
        try:
            report = json.loads(raw.strip().splitlines()[-1])
        except (IndexError, ValueError):
            report = {}
        created = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*"))
    problems = []
    if done.returncode != 0:
        problems.append(f"exit code {done.returncode}")
    if report.get("smoke_test") != "ok":
        problems.append(f"the app reported {report or done.stdout.strip()!r}")
    if unexpected:
        problems.append("unexpected stderr:\n  " + "\n  ".join(unexpected))
    if "cache.sqlite3" not in created:
        problems.append(f"no cache in --data-dir (it holds {created})")
    print(
        json.dumps(
            {
                "bundle_smoke": "failed" if problems else "ok",
                "seconds": seconds,
                "app": report,
                "data_dir_files": created,
            }
        )
    )
    if problems:
        print("bundle-smoke: FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
