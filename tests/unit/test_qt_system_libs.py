"""The bootstrap's check for Qt's system libraries, with a fake `ldconfig` and a fake apt-get.

What is real: the detection script, scripts/bootstrap.sh and its decisions. What is faked: the
list of installed libraries (a fake `ldconfig` on PATH), `id -u` for the non-root case, and
apt-get (it records its arguments instead of installing). Nothing is installed or downloaded.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reason: the check is for Linux desktops"
)


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "qt_system_libs", ROOT / "scripts/qt_system_libs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


qt = _module()

_LDCONFIG_HEAD = "1234 libs found in cache `/etc/ld.so.cache'\n"


def _ldconfig_text(sonames: list[str]) -> str:
    lines = [f"\t{so} (libc6,x86-64) => /lib/x86_64-linux-gnu/{so}" for so in sonames]
    return _LDCONFIG_HEAD + "\n".join(lines) + "\n"


def _all_but(*absent: str) -> list[str]:
    return [so for so in qt.KNOWN if so not in absent] + ["libc.so.6"]


def test_parse_ldconfig_and_what_is_missing() -> None:
    present = qt.parse_ldconfig(_ldconfig_text(_all_but("libxcb-cursor.so.0")))
    assert "libxcb.so.1" in present and "libxcb-cursor.so.0" not in present
    assert qt.missing("demo", present) == {"libxcb-cursor.so.0": "libxcb-cursor0"}
    # `make test` runs the real demo under Xvfb too, so it needs the window's libraries.
    assert qt.missing("test", present) == {"libxcb-cursor.so.0": "libxcb-cursor0"}
    assert qt.missing("test", present - {"libEGL.so.1"}) == {
        "libEGL.so.1": "libegl1",
        "libxcb-cursor.so.0": "libxcb-cursor0",
    }


def test_make_test_also_needs_xvfb_and_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert qt.missing_programs("test") == {
        "Xvfb": "xvfb",
        "xdotool": "xdotool",
        "chromium": "chromium",
        "chromedriver": "chromium-driver",
    }
    assert qt.missing_programs("demo") == {}


def test_parse_ldd_not_found() -> None:
    text = (
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)\n"
        "\tlibxkbcommon-x11.so.0 => not found\n"
    )
    assert qt.parse_ldd_not_found(text) == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]


def test_the_report_names_the_libraries_and_the_one_command() -> None:
    absent = {"libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4"}
    text = qt.report(absent, debian=True)
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in text
    assert "apt-get install -y --no-install-recommends libxcb-cursor0 libxcb-icccm4" in text
    other = qt.report(absent, debian=False)
    assert "apt-get" not in other and "README.md" in other


def test_the_installed_plugin_is_checked_with_ldd(tmp_path: Path) -> None:
    """The safety net after the install, on this venv's real plugin (all libraries present)."""
    venv = Path(sys.prefix)
    plugins = list(venv.glob("lib/python3*/site-packages/PySide6/Qt/plugins/platforms"))
    if not plugins:
        pytest.skip("reason: PySide6 is not installed in this environment")
    assert qt.installed_plugin_missing(venv, "test") == {}
    assert qt.installed_plugin_missing(tmp_path, "demo") == {}  # no venv there: nothing to say


def _fake_bin(tmp_path: Path, present: list[str], *, uid: int) -> tuple[Path, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "ldconfig.txt").write_text(_ldconfig_text(present))
    calls = tmp_path / "apt-calls.txt"
    scripts = {
        "ldconfig": f'#!/bin/sh\ncat "{tmp_path}/ldconfig.txt"\n',
        "id": f'#!/bin/sh\n[ "$1" = "-u" ] && echo {uid} && exit 0\nexec /usr/bin/id "$@"\n',
        "apt-get": f'#!/bin/sh\necho "$@" >> "{calls}"\n',
        "dpkg": "#!/bin/sh\nexit 0\n",
    }
    for name, text in scripts.items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)
    return bin_dir, calls


def _bootstrap(venv: Path, mode: str, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NINJA_DESK_SKIP_QT_CHECK"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["bash", str(ROOT / "scripts/bootstrap.sh"), str(venv), mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_not_root_it_stops_before_the_venv_with_the_one_command(tmp_path: Path) -> None:
    bin_dir, calls = _fake_bin(tmp_path, _all_but("libxcb-cursor.so.0"), uid=1000)
    venv = tmp_path / "venv"
    started = time.perf_counter()
    result = _bootstrap(venv, "demo", bin_dir)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "libxcb-cursor.so.0" in result.stderr
    assert "apt-get install -y --no-install-recommends libxcb-cursor0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not venv.exists() and not calls.exists()
    assert time.perf_counter() - started < 30


def test_as_root_it_installs_the_missing_packages_with_apt(tmp_path: Path) -> None:
    bin_dir, calls = _fake_bin(
        tmp_path, _all_but("libxcb-cursor.so.0", "libxkbcommon-x11.so.0"), uid=0
    )
    venv = tmp_path / "venv"
    venv.mkdir()
    stamp = venv / ".installed"
    stamp.touch()
    future = time.time() + 3600  # an up-to-date venv: only the system step runs
    os.utime(stamp, (future, future))
    result = _bootstrap(venv, "demo", bin_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("update")
    assert lines[1] == ("install -y -qq --no-install-recommends libxcb-cursor0 libxkbcommon-x11-0")
    assert "Installing the system libraries Qt needs" in result.stdout
