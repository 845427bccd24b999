#!/usr/bin/env bash
# Create the virtual environment with a Python >= 3.12 and install NinjaDesk with its dev extras.
# Python 3.11 is refused on purpose: PySide6 6.12 corrupts None's refcount there (docs/design notes).
set -euo pipefail
venv=${1:-.venv}
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
if [ ! -x "$venv/bin/python" ]; then
  PYENV_VERSION=3.12.1 "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e ".[dev]"
