# Two commands a new user needs: `make demo` (run the app) and `make test` (run the tests).
# Each runs scripts/bootstrap.sh: Qt's system libraries first (for `make test` also Xvfb,
# xdotool and Chromium, which tests/e2e drive) (installed when root on
# Debian/Ubuntu, else the one command to run), then .venv with a Python >= 3.12 from the hashed
# requirements.lock (skipped while .venv is up to date).
VENV ?= .venv
PY := $(VENV)/bin/python
TOOLS ?= $(VENV)/.tools
PIP_AUDIT_VERSION := 2.10.1

.PHONY: demo test lint bench venv clean screenshots lock audit

venv:
	bash scripts/bootstrap.sh $(VENV) test

demo:
	bash scripts/bootstrap.sh $(VENV) demo
	$(VENV)/bin/ninja-desk demo

# After ruff: the layer table of design.md §1 ([tool.importlinter] in pyproject.toml), so an
# import that points the wrong way fails in half a second, then types ([tool.mypy], ~20 s),
# then the tests (strict: any warning or Qt warning fails, [tool.pytest.ini_options]).
test: venv
	$(PY) -m ruff check ninja_desk tests bench scripts packaging
	$(PY) -m ruff format --check ninja_desk tests bench scripts packaging
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 --durations=15

lint: venv
	$(PY) -m ruff check ninja_desk tests bench scripts packaging
	$(PY) -m ruff format --check ninja_desk tests bench scripts packaging

screenshots: venv
	QT_QPA_PLATFORM=offscreen $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info

# Regenerate requirements.lock and packaging/requirements-bundle.lock after changing a
# dependency in pyproject.toml (uv in $(TOOLS), universal markers, sha256 hashes); commit both.
lock:
	bash scripts/lock.sh $(TOOLS)

# Known vulnerabilities in the locked versions (PyPI's advisory data, so it needs the network;
# not part of `make test`). pip-audit lives in $(TOOLS), away from the app's own packages.
audit:
	@[ -x $(TOOLS)/bin/pip-audit ] || { PYENV_VERSION=3.12.1 python3 -m venv $(TOOLS) && \
		$(TOOLS)/bin/python -m pip install -q pip-audit==$(PIP_AUDIT_VERSION); }
	$(TOOLS)/bin/pip-audit --strict --disable-pip --require-hashes -r requirements.lock
	$(TOOLS)/bin/pip-audit --strict --disable-pip --require-hashes -r packaging/requirements-bundle.lock

# Desktop bundle (PyInstaller one-folder, packaging/README.md). Not part of `make test`.
.PHONY: bundle bundle-smoke

bundle: venv
	$(PY) -m pip install -q --require-hashes -r packaging/requirements-bundle.lock
	$(PY) packaging/build_bundle.py

# Runs the built dist/NinjaDesk/NinjaDesk offscreen with --smoke-test on a temp data dir;
# fails on a non-zero exit or on stderr lines that are not on the smoke test's allow list.
bundle-smoke:
	$(PY) packaging/smoke_test.py dist/NinjaDesk
