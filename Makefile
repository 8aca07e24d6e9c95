# The two front-door commands (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The demo's Dagster instance lives in the project folder, so `make ui` shows what `make demo` did.
DEMO_HOME := $(CURDIR)/.dagster_home
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
# The test servers' binaries (tests/servers/): Redis, the Celery broker of tests/executors/; PostgreSQL, the
# instance's database of tests/instance/ and tests/executors/ (Debian keeps its binaries under
# /usr/lib/postgresql/<version>/bin, so its `initdb` is looked for there, not on PATH).
REDIS := /usr/bin/redis-server
POSTGRES_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) /usr/lib/postgresql/bin/initdb)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: demo test lint ui setup setup-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

## Set up, build the demo region and run every demo month through Dagster.
demo: setup
	mkdir -p $(DEMO_HOME)
	DAGSTER_HOME=$(DEMO_HOME) $(BIN)/sacnn-dagster demo

## Set up, check the layering and the style, and run the whole test suite.
test: setup-test lint $(CHROMIUM) $(CHROMEDRIVER) $(REDIS) $(POSTGRES_INITDB)
	$(BIN)/python -m pytest

## The layering contracts (pyproject's [tool.importlinter]) and ruff's lint and format rules.
lint: setup-test
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser test (tests/test_ui_browser.py) drives Debian's headless Chromium through its chromedriver; the
# Celery and Postgres tests start Debian's redis-server and PostgreSQL: all installed here when missing, in one
# apt-get (CI runs as root on a fresh machine; elsewhere through sudo).
$(CHROMIUM) $(CHROMEDRIVER) $(REDIS) $(POSTGRES_INITDB) &:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver redis-server postgresql

## The Dagster UI on the materialized demo instance.
ui: setup
	mkdir -p $(DEMO_HOME)
	DAGSTER_HOME=$(DEMO_HOME) $(BIN)/dagster dev -w workspace.yaml
