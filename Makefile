# Two commands a new user needs: `make demo` (run the app) and `make test` (run the tests).
# Each creates .venv with a Python >= 3.12 and installs what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench venv clean screenshots

$(STAMP): pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh $(VENV)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ninja-desk demo

test: $(STAMP)
	$(PY) -m ruff check ninja_desk tests bench scripts packaging
	$(PY) -m ruff format --check ninja_desk tests bench scripts packaging
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 --durations=15

lint: $(STAMP)
	$(PY) -m ruff check ninja_desk tests bench scripts packaging
	$(PY) -m ruff format --check ninja_desk tests bench scripts packaging

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info

# Desktop bundle (PyInstaller one-folder, packaging/README.md). Not part of `make test`.
.PHONY: bundle bundle-smoke

bundle: $(STAMP)
	$(PY) -m pip install -q -r packaging/requirements-bundle.txt
	$(PY) packaging/build_bundle.py

# Runs the built dist/NinjaDesk/NinjaDesk offscreen with --smoke-test on a temp data dir;
# fails on a non-zero exit or on stderr lines that are not on the smoke test's allow list.
bundle-smoke:
	$(PY) packaging/smoke_test.py dist/NinjaDesk
