# The two front-door commands (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The demo's Dagster instance lives in the project folder, so `make ui` shows what `make demo` did.
DEMO_HOME := $(CURDIR)/.dagster_home
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: demo test ui setup setup-test

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

## Set up and run the whole test suite.
test: setup-test $(CHROMIUM) $(CHROMEDRIVER)
	$(BIN)/python -m pytest

# The browser test (tests/test_ui_browser.py) drives Debian's headless Chromium through its chromedriver:
# installed here when missing (CI runs as root on a fresh machine; elsewhere through sudo).
$(CHROMIUM) $(CHROMEDRIVER) &:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver

## The Dagster UI on the materialized demo instance.
ui: setup
	mkdir -p $(DEMO_HOME)
	DAGSTER_HOME=$(DEMO_HOME) $(BIN)/dagster dev -w workspace.yaml
