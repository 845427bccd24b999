#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml (run `make lock`, then commit them).
#   requirements.lock                    the app + [ui] + [dev] + the build backend, every
#                                        platform (universal markers), Python 3.12+
#   packaging/requirements-bundle.lock   PyInstaller and its helpers, within requirements.lock
# uv resolves (seconds, universal markers); installs use plain pip --require-hashes, so a user
# never needs uv. `make audit` checks the same files with pip-audit.
set -euo pipefail
tools=${1:-.venv/.tools}
UV_VERSION=0.13.8
if [ ! -x "$tools/bin/uv" ] || [ "$("$tools/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  PYENV_VERSION=3.12.1 python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q "uv==$UV_VERSION"
fi
uv=("$tools/bin/uv" pip compile --universal --python-version 3.12 --generate-hashes
    --custom-compile-command "make lock" --quiet)
# The build backend from [build-system] is locked too: bootstrap installs the project with
# --no-build-isolation, so nothing unhashed is fetched for the build either.
build_requires=$("$tools/bin/python" - <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["build-system"]["requires"]))
PY
)
printf '%s\n' "$build_requires" | "${uv[@]}" pyproject.toml --extra dev - -o requirements.lock
"${uv[@]}" packaging/requirements-bundle.txt -c requirements.lock \
  -o packaging/requirements-bundle.lock
