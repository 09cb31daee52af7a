# jingzhi: two commands on a fresh machine (Python >= 3.11, Node.js, git).
#   make run   set up and run the platform with demo data on the embedded SQLite default
#   make test  run the whole test suite (DATABASE_URL=postgres://… to run it on PostgreSQL)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
VENDOR := src/jingzhi/core/static/vendor
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: run test assets lint typecheck migrations-check check clean

run: $(STAMP) assets
	$(BIN)/jingzhi up

test: $(TSTAMP) assets
	$(BIN)/python -m pytest

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP) $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js

lint: $(TSTAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(TSTAMP)
	$(BIN)/mypy

migrations-check: $(TSTAMP)
	$(BIN)/jingzhi makemigrations --check --dry-run

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
