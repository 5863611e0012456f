# Network-apps. Both quick-start targets create .venv themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: migrate run login status stop start test lint install clean docs

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## Bring every app's database to head (dev: SQLite files, no server needed).
migrate: $(VENV)/.installed
	$(PY) run_all_migrations.py

## Migrate every database, then serve every service over HTTPS (dev CA in .dev/tls/), each
## restarted if it stops; prints their URLs, the CA line and the dev login. Ctrl-C stops all.
run: $(VENV)/.installed
	@$(PY) -m servicekit.devrun

## The dev login again (kept in .dev/secrets.env).
login: $(VENV)/.installed
	@$(PY) -m servicekit.devrun login

## What `make run` is running; stop or start one service while the others run:
## `make stop SERVICE=sap`, `make start SERVICE=sap`.
status: $(VENV)/.installed
	@$(PY) -m servicekit.devrun status

stop: $(VENV)/.installed
	@$(PY) -m servicekit.devrun stop $(SERVICE)

start: $(VENV)/.installed
	@$(PY) -m servicekit.devrun start $(SERVICE)

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
