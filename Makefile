# Network-apps. Both quick-start targets create .venv themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: migrate run test lint install clean docs

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## Bring every app's database to head (dev: SQLite files, no server needed).
migrate: $(VENV)/.installed
	$(PY) run_all_migrations.py

## Migrate every database, then serve SAP_clone (4798), the integration platform (4797) and
## ServiceNow (4780); prints their URLs and the dev login. Ctrl-C stops all.
run: $(VENV)/.installed
	$(PY) -m servicekit.devrun

## The whole test suite (SQLite always; PostgreSQL on 127.0.0.1:5432, or a throwaway one).
test: $(VENV)/.installed
	$(PY) -m pytest

## Regenerate docs/SCHEMAS.md from the models and Salesforce's SQL files.
docs: $(VENV)/.installed
	$(PY) docs/schemas.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
