"""Which system libraries Qt (PySide6) needs that this Linux machine lacks, and how to get them.

Run by scripts/bootstrap.sh with the system Python, before the venv exists (stdlib only):

    python3 scripts/qt_system_libs.py demo      # the window on X11: offscreen set + xcb set
    python3 scripts/qt_system_libs.py test      # offscreen Qt, as the tests run it
    python3 scripts/qt_system_libs.py demo --venv .venv   # also `ldd` the installed plugin

Prints nothing and exits 0 when all is there (or off Linux). Otherwise prints the missing
libraries and, on Debian/Ubuntu, the one apt-get command that installs them (`--packages` prints
only the package names, for the bootstrap to install when it runs as root) and exits 1.

The lists come from `objdump -p` of PySide6 6.12's libqxcb.so, libQt6XcbQpa, libQt6Gui,
libQt6Widgets, libQt6DBus and libqoffscreen.so: the libraries they load that a minimal Debian 12
image may lack (the C/C++ runtime and everything PySide6 bundles are left out).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# soname -> Debian/Ubuntu package (Ubuntu 24.04's t64 packages Provide these names).
OFFSCREEN: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11.so.6": "libx11-6",
}
XCB: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
KNOWN = {**OFFSCREEN, **XCB}
# `make test` also drives the real demo under Xvfb and a sign-in in headless Chromium
# (tests/e2e): program -> Debian package.
TEST_PROGRAMS: dict[str, str] = {
    "Xvfb": "xvfb",
    "xdotool": "xdotool",
    "chromium": "chromium",
    "chromedriver": "chromium-driver",
}


def needed(mode: str) -> dict[str, str]:
    """Both modes need the window's libraries: `make test` runs the real demo under Xvfb."""
    return {**OFFSCREEN, **XCB}


def missing_programs(mode: str) -> dict[str, str]:
    if mode != "test":
        return {}
    return {prog: pkg for prog, pkg in TEST_PROGRAMS.items() if shutil.which(prog) is None}


def parse_ldconfig(text: str) -> set[str]:
    """Sonames in `ldconfig -p` output (`\tlibxcb.so.1 (libc6,x86-64) => /lib/...`)."""
    return {m.group(1) for m in re.finditer(r"^\s+(\S+\.so[.\d]*)\s+\(", text, re.MULTILINE)}


def present_sonames() -> set[str] | None:
    """What the dynamic linker can find, or None when this cannot be told (no ldconfig)."""
    for ldconfig in (shutil.which("ldconfig"), "/sbin/ldconfig", "/usr/sbin/ldconfig"):
        if ldconfig and os.access(ldconfig, os.X_OK):
            result = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False)
            if result.returncode == 0:
                return parse_ldconfig(result.stdout)
    return None


def missing(mode: str, present: set[str]) -> dict[str, str]:
    return {so: pkg for so, pkg in needed(mode).items() if so not in present}


def parse_ldd_not_found(text: str) -> list[str]:
    """Sonames `ldd` could not resolve (`\tlibxcb-cursor.so.0 => not found`)."""
    return re.findall(r"^\s*(\S+)\s+=>\s+not found", text, re.MULTILINE)


def installed_plugin_missing(venv: Path, mode: str) -> dict[str, str]:
    """After the install: `ldd` the Qt platform plugin the app will load, as a safety net."""
    plugin = "libqxcb.so" if mode == "demo" else "libqoffscreen.so"
    found = sorted(venv.glob(f"lib/python3*/site-packages/PySide6/Qt/plugins/platforms/{plugin}"))
    if not found or shutil.which("ldd") is None:
        return {}
    result = subprocess.run(["ldd", str(found[0])], capture_output=True, text=True, check=False)
    return {so: KNOWN.get(so, "?") for so in parse_ldd_not_found(result.stdout)}


def is_debian_like() -> bool:
    return shutil.which("apt-get") is not None and shutil.which("dpkg") is not None


def apt_command(packages: list[str]) -> str:
    prefix = "" if os.geteuid() == 0 else "sudo "
    return f"{prefix}apt-get install -y --no-install-recommends {' '.join(packages)}"


def report(absent: dict[str, str], *, debian: bool) -> str:
    names = ", ".join(sorted(absent))
    if debian:
        packages = sorted({p for p in absent.values() if p != "?"})
        return (
            f"Qt needs system libraries this machine lacks ({names}); install them with:\n"
            f"  {apt_command(packages)}\n"
            "then run the same make command again."
        )
    return (
        f"Qt needs system libraries this machine lacks ({names}); install them with your "
        "package manager (README.md names the packages for Fedora and Arch), then run the same "
        "make command again."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["demo", "test"])
    parser.add_argument("--venv", type=Path, help="also ldd the installed Qt platform plugin")
    parser.add_argument(
        "--packages", action="store_true", help="print only the missing Debian package names"
    )
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        return 0
    if args.venv is not None:
        absent = installed_plugin_missing(args.venv, args.mode)
    else:
        present = present_sonames()
        if present is None:
            print("Could not list the system libraries (no ldconfig); not checking.")
            return 0
        absent = missing(args.mode, present) | missing_programs(args.mode)
    if not absent:
        return 0
    if args.packages:
        print(" ".join(sorted({p for p in absent.values() if p != "?"})))
    else:
        print(report(absent, debian=is_debian_like()), file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
