# Quick start: `make demo` and `make test`. Each creates .venv when missing and installs into it
# (a stamp file makes the second call instant when nothing changed).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA := $(CURDIR)/.data
export DAGSTER_HOME ?= $(DATA)/dagster

.PHONY: setup demo dev sql test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $@

# Dagster's own storage, created once before any run: runs started together on a fresh home would
# race to create it (see qtickets_assets/home.py).
HOME_READY := $(DAGSTER_HOME)/history/runs.db
$(HOME_READY): $(DAGSTER_HOME)/dagster.yaml | $(STAMP)
	$(BIN)/python -m qtickets_assets.home
	@touch $@

# A full sync of the embedded defaults (sandbox API, chDB under .data/clickhouse), then the dashboard.
demo: $(STAMP) $(HOME_READY)
	$(BIN)/python -m qtickets_assets.demo run

# The web UI on the same embedded defaults, with the sandbox running beside it.
dev: $(STAMP) $(HOME_READY)
	$(BIN)/python -m qtickets_assets.demo dev

# SQL on the mart under the project's lock: one statement per line (or `make sql Q="SELECT ..."`).
sql: $(STAMP)
	$(BIN)/python -m qtickets_assets.sql $(if $(Q),"$(Q)")

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP) $(HOME_READY)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(DATA)
