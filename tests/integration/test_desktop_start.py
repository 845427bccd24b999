"""The real desktop start (`ui.app.run_app`) in a child process, offscreen.

- A saved session resumes at start-up: the app points NinjaOne's webhook at the configured
  relay by itself (the simulator holds it afterwards), says so in a notice, and a settings key
  it had to ignore is a notice too.
- A data dir the app cannot write: the typed sentence in a dialog and exit code 1, no
  traceback, and the healthy cache is left exactly as it was. Root ignores permission bits, so
  as root the child runs with CAP_DAC_OVERRIDE dropped (`setpriv`), as tests/unit/
  test_cache_faults.py does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.webhooks import SECRET_HEADER, STATE_FILE
from ninja_desk.settings import Settings
from ninja_desk.simulator import SimControl

# Runs run_app and reports what the user saw: the notice banner's text, or a dialog's title and
# text (closing it as a user would). Quits the window once it has seen what it waits for.
_DRIVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication(sys.argv[:1])
    wanted, patience = sys.argv[2], float(sys.argv[3])

    def give_up():
        for widget in app.topLevelWidgets():
            banner = getattr(widget, "banner", None)
            if banner is not None:
                shown = banner.label.text() if banner.isVisible() else ""
                print("WAITED|" + shown, flush=True)
                widget.quit_app()

    def poll():
        for widget in app.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                print("DIALOG|" + widget.windowTitle() + "|" + widget.text(), flush=True)
                widget.done(0)
                return
            banner = getattr(widget, "banner", None)
            if banner is not None and banner.isVisible() and wanted in banner.label.text():
                print("NOTICE|" + banner.label.text(), flush=True)
                widget.quit_app()
                return
        QTimer.singleShot(50, poll)

    QTimer.singleShot(50, poll)
    QTimer.singleShot(int(patience * 1000), give_up)
    from ninja_desk.ui.app import run_app

    code = run_app(sys.argv[:1], data_dir=Path(sys.argv[1]))
    print("EXIT", code, flush=True)
    """
)


@pytest.fixture
def control(sim) -> Iterator[SimControl]:  # type: ignore[no-untyped-def]
    """The simulator's control API, closed afterwards (the shared `ctl` leaves a socket)."""
    with SimControl(sim.base_url) as ctl:
        yield ctl


def _env(data_dir: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NINJA_DESK_")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        NINJA_DESK_DATA_DIR=str(data_dir),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # never a real keyring
        XDG_RUNTIME_DIR=str(runtime),
    )
    env.update(extra)
    return env


def _start(
    data_dir: Path,
    wanted: str,
    env: dict[str, str],
    wrap: list[str] | None = None,
    patience: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Start the app; it quits once a notice holds `wanted`, or after `patience` seconds."""
    cmd = [*(wrap or []), sys.executable, "-c", _DRIVER, str(data_dir), wanted, str(patience)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=env)


def _qt_warnings(err: str) -> list[str]:
    """Qt's own complaints on stderr (QObject::, QWidget::, qt.*); the offscreen plugin's note
    that it has no window manager to pass size hints to is no finding."""
    return [
        line
        for line in err.splitlines()
        if (line.startswith(("Q", "qt.")) or "Qt" in line) and "propagateSizeHints" not in line
    ]


def _lines(out: str, prefix: str) -> list[str]:
    return [line.split("|", 1)[1] for line in out.splitlines() if line.startswith(prefix + "|")]


def test_a_resumed_session_registers_the_webhook_and_says_so(sim, control, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    settings = Settings(
        custom_base_url=sim.base_url,
        client_id="demo-client",
        relay_url="https://relay.example.com",
        auto_sync=False,
        first_run_done=True,
    )
    settings.save(data)
    raw = json.loads((data / "settings.json").read_text())
    raw["stale_after_days"] = "a month"  # hand-edited: the app must say it ignored this key
    (data / "settings.json").write_text(json.dumps(raw))
    assert control.webhook("demo-client") is None

    env = _env(
        data,
        tmp_path,
        NINJA_DESK_CLIENT_SECRET="demo-secret",
        NINJA_DESK_WEBHOOK_SECRET="ndr_whs_start",
    )
    done = _start(data, "webhooks to", env)

    assert "EXIT 0" in done.stdout, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert _qt_warnings(done.stderr) == []
    notices = _lines(done.stdout, "NOTICE")
    assert len(notices) == 1, done.stdout
    assert (
        "NinjaOne will send its webhooks to https://relay.example.com/hooks/ninjaone"
        in (notices[0])
    )
    assert "Setting 'stale_after_days'" in notices[0]  # shown with it, not replaced by it
    hook = control.webhook("demo-client")
    assert hook["url"] == "https://relay.example.com/hooks/ninjaone"
    assert {"name": SECRET_HEADER, "value": "ndr_whs_start"} in hook["headers"]
    assert Settings.load(data).webhook_registered is True
    assert (data / STATE_FILE).exists()
    # The run wrote its own log (ui/diagnostics.py), private, without the secret it sent.
    (run_log,) = (data / "logs").glob("desktop-*.log")
    assert run_log.stat().st_mode & 0o077 == 0
    assert "NinjaDesk" in run_log.read_text() and "ndr_whs_start" not in run_log.read_text()

    # The next start finds NinjaOne as the settings say: no second PUT, so no notice at all
    # (a PUT now would be refused, and that would be a notice). The Save above also wrote the
    # default for the bad key, so nothing else is left to say.
    control.configure_webhook(admin=False)
    again = _start(data, "webhook", env, patience=8.0)
    assert "EXIT 0" in again.stdout, (again.stdout, again.stderr)
    assert _lines(again.stdout, "NOTICE") == [] and _lines(again.stdout, "WAITED") == [""]
    assert control.webhook("demo-client")["url"] == "https://relay.example.com/hooks/ninjaone"


def _without_root_override() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("reason: root ignores permission bits and setpriv is not installed")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.mark.skipif(os.name != "posix", reason="reason: POSIX permission bits")
def test_a_read_only_data_dir_is_a_dialog_not_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    cache = LocalCache(data / "cache.sqlite3")
    cache.write_blocking(
        lambda c: c.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES (1, 'Contoso', 0)"
        )
    )
    cache.close()
    Settings(first_run_done=True, auto_sync=False).save(data)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    os.chmod(data, 0o500)
    try:
        done = _start(data, "never", _env(data, tmp_path), wrap=_without_root_override())
    finally:
        os.chmod(data, 0o700)

    assert "EXIT 1" in done.stdout, (done.stdout, done.stderr)
    dialogs = _lines(done.stdout, "DIALOG")
    assert len(dialogs) == 1, done.stdout
    title, text = dialogs[0].split("|", 1)
    assert title == "NinjaDesk cannot start"
    assert "read-only" in text and str(data / "cache.sqlite3") in text
    assert "Traceback" not in done.stderr, done.stderr
    assert _qt_warnings(done.stderr) == []
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before  # nothing moved aside


def test_a_data_dir_that_cannot_be_created_is_a_dialog(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    data = blocker / "NinjaDesk"
    done = _start(data, "never", _env(data, tmp_path))
    assert "EXIT 1" in done.stdout, (done.stdout, done.stderr)
    dialogs = _lines(done.stdout, "DIALOG")
    assert len(dialogs) == 1 and "cannot create its data folder" in dialogs[0], done.stdout
    assert "Traceback" not in done.stderr, done.stderr
