# The two front-door commands (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster_home

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
	$(BIN)/sacnn-dagster demo

## Set up and run the whole test suite.
test: setup-test
	$(BIN)/python -m pytest

## The Dagster UI on the materialized demo instance.
ui: setup
	$(BIN)/dagster dev -w workspace.yaml
