# Quick start: `make demo` and `make test`. Each creates .venv when missing and installs into it
# (a stamp file makes the second call instant when nothing changed).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA := $(CURDIR)/.data
export DAGSTER_HOME ?= $(DATA)/dagster

.PHONY: help setup demo dev sql test lint bench clean superset superset-test

help:
	@echo "make demo       set up, sync the sandbox into the embedded mart, print the dashboard, write the report"
	@echo "make test       set up, then the whole test suite"
	@echo "make dev        the Dagster UI on http://127.0.0.1:\$$PORT (default 3000), the sandbox beside it"
	@echo "make sql        SQL on the mart (make sql Q=\"SELECT ...\", or one statement per line)"
	@echo "make lint       ruff and mypy"
	@echo "make bench      the benchmarks (bench/RESULTS.md)"
	@echo "make superset   Superset with the dashboard, in its own virtual environment"
	@echo "make clean      remove .data (the mart, Dagster's home, the sandbox's world)"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@# The editable package's own modules are not compiled by pip, nor cached by Python where
	@# PYTHONDONTWRITEBYTECODE is set: every run would compile them again (~0.1 s of CPU).
	$(BIN)/python -m compileall -q qtickets_assets
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

# The web UI on the same embedded defaults, with the sandbox running beside it (`make dev PORT=3001`
# when 3000 is taken).
PORT ?= 3000
dev: $(STAMP) $(HOME_READY)
	$(BIN)/python -m qtickets_assets.demo dev --port $(PORT)

# SQL on the mart under the project's lock: one statement per line (or `make sql Q="SELECT ..."`).
sql: $(STAMP)
	$(BIN)/python -m qtickets_assets.sql $(if $(Q),"$(Q)")

# Two workers (pytest-xdist), each test module on one of them (its fixtures built once): the suite
# spends half its time waiting for the sandbox, dg and chDB, so on 2 cores two workers take ~2/3 of
# the time one does. `.venv/bin/python -m pytest` alone runs it in one process.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP) $(HOME_READY)
	$(BIN)/python -m bench.run

# Superset with the dashboard "Qtickets: sales" (dashboards/superset), in its own virtual environment
# from its own pinned constraints (Superset needs SQLAlchemy 1.4; the project's stays as it is).
SUPERSET_VENV := .venv-superset
SUPERSET_STAMP := $(SUPERSET_VENV)/.installed
SUPERSET_DIR := dashboards/superset

$(SUPERSET_STAMP): $(SUPERSET_DIR)/requirements.txt $(SUPERSET_DIR)/constraints.txt
	@test -x $(SUPERSET_VENV)/bin/python || $(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SUPERSET_VENV)/bin/python -m pip install --quiet -c $(SUPERSET_DIR)/constraints.txt -r $(SUPERSET_DIR)/requirements.txt
	@touch $(SUPERSET_STAMP)

# On 127.0.0.1:$(SUPERSET_PORT); reads a copy of the embedded mart taken now (rerun to refresh it),
# or, with CLICKHOUSE_URL on a server, the server as datalens_reader (CLICKHOUSE_READER_PASSWORD).
export SUPERSET_PORT ?= 8088
superset: $(STAMP) $(SUPERSET_STAMP)
	$(BIN)/python $(SUPERSET_DIR)/launch.py

# The browser test (opt-in: installing Superset alone takes longer than CI's budget): on the mart of
# `make demo`, headless Chromium opens the dashboard; run it before every change to the bundle.
# It also runs the deploy/ Superset image's start command without Docker (test_deploy_image.py).
$(SUPERSET_DIR)/browser/node_modules: $(SUPERSET_DIR)/browser/package.json
	cd $(SUPERSET_DIR)/browser && npm ci --no-audit --no-fund
	@touch $@

superset-test: $(STAMP) $(SUPERSET_STAMP) $(SUPERSET_DIR)/browser/node_modules
	QTICKETS_SUPERSET_TEST=1 SUPERSET_SCREENSHOT=$(CURDIR)/docs/superset-dashboard.png \
	  $(BIN)/python -m pytest qtickets_assets_tests/superset -q

clean:
	rm -rf $(DATA)
