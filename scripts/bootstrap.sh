#!/usr/bin/env bash
# Set up what `make demo` / `make test` need, in this order:
#   1. the system libraries Qt loads (scripts/qt_system_libs.py): installed with apt-get when we
#      are root on Debian/Ubuntu, otherwise we stop here - before any venv work - with the one
#      command to run;
#   2. .venv with a Python >= 3.12, filled from requirements.lock (exact versions, hashes
#      checked) and NinjaDesk itself (editable, no dependency resolution, no unhashed download).
# Step 2 is skipped while .venv is newer than the lock, pyproject.toml and this script.
# Python 3.11 is refused on purpose: PySide6 6.12 corrupts None's refcount there (design.md).
#
#   bash scripts/bootstrap.sh [VENV] [demo|test|none]
# NINJA_DESK_SKIP_QT_CHECK=1 skips step 1 (a machine without Qt that runs only headless parts).
set -euo pipefail
venv=${1:-.venv}
mode=${2:-test}
cd "$(dirname "$0")/.."
stamp="$venv/.installed"

pick_python() {
  for cand in "${NINJA_DESK_PYTHON:-}" python3.12 python3.13 python3; do
    [ -n "$cand" ] || continue
    if PYENV_VERSION=3.12.1 command -v "$cand" >/dev/null 2>&1; then
      if PYENV_VERSION=3.12.1 "$cand" -c 'import sys; raise SystemExit(sys.version_info < (3, 12))' 2>/dev/null; then
        echo "$cand"; return 0
      fi
    fi
  done
  return 1
}
py=$(pick_python) || { echo "NinjaDesk needs Python 3.12 or newer; set NINJA_DESK_PYTHON to one." >&2; exit 1; }
pyrun() { PYENV_VERSION=3.12.1 "$py" "$@"; }

# 1. Qt's system libraries.
if [ "$mode" != none ] && [ -z "${NINJA_DESK_SKIP_QT_CHECK:-}" ]; then
  if ! packages=$(pyrun scripts/qt_system_libs.py "$mode" --packages); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -n "$packages" ]; then
      echo "Installing the system libraries Qt needs: $packages"
      # shellcheck disable=SC2086  # a list of package names
      if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
             DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages; }; then
        echo "Installing them failed; run 'apt-get install -y $packages' and then make again." >&2
        exit 1
      fi
    else
      pyrun scripts/qt_system_libs.py "$mode" || exit 1  # prints what is missing and the command
    fi
  fi
fi

# 2. The virtual environment, from the lock.
fresh() { [ -f "$stamp" ] && [ "$stamp" -nt requirements.lock ] && [ "$stamp" -nt pyproject.toml ] &&
          [ "$stamp" -nt scripts/bootstrap.sh ]; }
if ! fresh; then
  if [ ! -x "$venv/bin/python" ]; then
    pyrun -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install -q --require-hashes -r requirements.lock
  # Everything it needs (setuptools included) came from the lock just now.
  "$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
  touch "$stamp"
fi

# Safety net for the window: the installed platform plugin itself, checked with ldd.
if [ "$mode" = demo ] && [ -z "${NINJA_DESK_SKIP_QT_CHECK:-}" ]; then
  pyrun scripts/qt_system_libs.py demo --venv "$venv" || exit 1
fi
