# Two commands set up a fresh machine: `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FOIA_INSTANCE ?= instance
export FOIA_INSTANCE
# `make run PORT=5077` serves on another port (links made outside a web request use it too).
PORT ?= 5000

.PHONY: run test lint bench sysdeps install clean

# WeasyPrint needs Pango (usually present) and is ~5x slower without libharfbuzz-subset0;
# the browser tests need Chromium. Install them with apt-get when we are root and they are missing.
sysdeps:
	@bash .ci/sysdeps.sh

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@ $(VENV)/.installed-run

install: sysdeps $(VENV)/.installed-run

run: install
	@test -f "$(FOIA_INSTANCE)/foia.db" || $(BIN)/foia init --demo
	FOIA_PORT=$(PORT) $(BIN)/foia serve --host 127.0.0.1 --port $(PORT)

# The suite runs on TEST_WORKERS processes (pytest-xdist); TEST_WORKERS=0 runs it in this one.
TEST_WORKERS ?= 2

# axe-core (package.json, test only) for the browser tests' accessibility check.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: sysdeps $(VENV)/.installed-test node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/python -m pyflakes foia tests bench

bench: sysdeps $(VENV)/.installed-test
	for b in web deadlines letters documents load; do $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
