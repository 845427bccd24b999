"""Entry point of the NinjaDesk desktop bundle (PyInstaller) and of `python packaging/...`.

    NinjaDesk [--data-dir DIR] [Qt options]      start the app (ninja_desk.ui.app.run_app)
    NinjaDesk --smoke-test --data-dir DIR        open the main window, process events ~1 s, exit

`--smoke-test` goes through the same `run_app` a technician starts, so it proves the bundle
holds everything start-up needs: Qt platform and image-format plugins (the icon is an SVG),
the ninja_desk modules the main window imports by name, SQLAlchemy's SQLite dialect for the
cache. It then migrates a throwaway SQLite PSA database (Alembic needs its scripts as files).
It exits 0 when the main window was shown and closed cleanly, 1 otherwise, and prints
one JSON line of what it saw (also written to DATA_DIR/smoke-test.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    from ninja_desk import __version__

    parser = argparse.ArgumentParser(prog="NinjaDesk", description="NinjaDesk desktop app")
    parser.add_argument("--version", action="version", version=f"NinjaDesk {__version__}")
    parser.add_argument("--data-dir", type=Path, help="where the cache and settings live")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the main window, process events for a moment, exit 0 if all went well",
    )
    parser.add_argument(
        "--smoke-seconds", type=float, default=1.0, help=argparse.SUPPRESS
    )  # how long --smoke-test lets events run
    return parser


def _psa_migrations_run() -> str | None:
    """Migrate a throwaway SQLite PSA database; the error text, or None when it worked.

    Alembic reads the migration scripts as files, which a frozen app only has if the bundle
    shipped them: the wizard's "create the PSA database" step depends on it.
    """
    import tempfile

    from ninja_desk.psa.migrator import head_revision, migrate

    with tempfile.TemporaryDirectory(prefix="ninja-desk-smoke-psa-") as tmp:
        try:
            migrate(f"sqlite:///{Path(tmp) / 'psa.sqlite3'}")
            head_revision()
        except Exception as exc:  # reported, not raised: the smoke test prints what broke
            return f"{type(exc).__name__}: {exc}"
    return None


def _smoke_test(qt_argv: list[str], data_dir: Path | None, seconds: float) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication, QMainWindow

    from ninja_desk.ui.app import run_app

    app = QApplication.instance() or QApplication(qt_argv)
    seen: dict[str, Any] = {}
    started = time.monotonic()

    def inspect_and_close() -> None:
        windows = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMainWindow) and w.isVisible()
        ]
        formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
        seen.update(
            main_window=bool(windows),
            title=windows[0].windowTitle() if windows else None,
            icon=not app.windowIcon().isNull(),
            svg="svg" in formats,
            platform=QApplication.platformName(),
        )
        # What a technician does: close the main window (the tray is absent offscreen, so the
        # app quits with its last window, through run_app's normal shutdown).
        for window in windows:
            window.close()
        QTimer.singleShot(0, app.quit)

    QTimer.singleShot(int(seconds * 1000), inspect_and_close)
    code = run_app(qt_argv, data_dir=data_dir)
    seen.update(exit_code=code, seconds=round(time.monotonic() - started, 2))
    psa_error = _psa_migrations_run()
    seen["psa_migrations"] = psa_error or "ok"
    ok = (
        code == 0
        and seen.get("main_window")
        and seen.get("icon")
        and seen.get("svg")
        and psa_error is None
    )
    report = json.dumps({"smoke_test": "ok" if ok else "failed", **seen})
    if data_dir is not None:
        # A windowed Windows build has no stdout at all; the report file is what it leaves.
        (data_dir / "smoke-test.json").write_text(report + "\n", encoding="utf-8")
    if sys.stdout is not None:
        print(report, flush=True)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv if argv is None else argv)
    # Unknown options (-platform, -style, ...) are Qt's; they pass through to QApplication.
    args, qt_args = _parser().parse_known_args(raw[1:])
    qt_argv = raw[:1] + qt_args
    if args.data_dir is not None:
        args.data_dir = args.data_dir.expanduser().resolve()
    if args.smoke_test:
        return _smoke_test(qt_argv, args.data_dir, args.smoke_seconds)
    from ninja_desk.ui.app import run_app

    return run_app(qt_argv, data_dir=args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
