# Network-apps. Both quick-start targets create .venv themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

# requirements.lock pins, with their hashes, every package .venv holds: the dependencies and the
# dev extra of pyproject.toml, and pip and setuptools (which builds the project), for CPython 3.11
# on Linux x86_64. Made by uv (`make lock`), installed by plain pip. requirements-runtime.lock is
# the same without the dev extra, at the same versions: what the Docker image installs.
LOCK := requirements.lock
RUNTIME_LOCK := requirements-runtime.lock
UV_VERSION := 0.13.8
# The build backend and pip, locked beside the dependencies: uv reads these from standard input.
LOCK_EXTRA := pip\nsetuptools>=69\n

.PHONY: migrate run login status stop start test lint install lock clean docs

## A new .venv with exactly the locked set (hashes required), then the project itself, which has no
## hash to check (an editable install of this checkout), built by the locked setuptools.
$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

## Refresh requirements.lock from pyproject.toml after changing a dependency there: versions already
## locked stay where they still fit. `make lock LOCKFLAGS=--upgrade` moves every package to its
## newest release, `LOCKFLAGS='--upgrade-package NAME'` one. uv installs itself into .venv for this.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(call compile_lock,$(LOCK),--extra dev $(LOCKFLAGS))
	$(call compile_lock,$(RUNTIME_LOCK),--constraints $(LOCK))

# $(call compile_lock,FILE,FLAGS): FILE resolved into a copy of itself (uv keeps the pins it finds
# there; the runtime lock is held to the full one's versions by --constraints), and replaced only
# if it changed: an unchanged lock keeps its date, so .venv is not made anew for nothing.
define compile_lock
test ! -f $(1) || cp $(1) $(VENV)/lock.new
printf '$(LOCK_EXTRA)' | $(VENV)/bin/uv pip compile --quiet pyproject.toml - $(2) \
	--generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	--custom-compile-command 'make lock' -o $(VENV)/lock.new
cmp -s $(VENV)/lock.new $(1) && rm $(VENV)/lock.new || mv $(VENV)/lock.new $(1)
endef

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

## The whole test suite (SQLite always; PostgreSQL on 127.0.0.1:5432, or a throwaway one), on
## two workers (pytest-xdist), each test module on one worker so that its services start once.
test: $(VENV)/.installed
	$(PY) -m pytest -n 2 --dist loadscope

## Regenerate docs/SCHEMAS.md from the models and Salesforce's SQL files.
docs: $(VENV)/.installed
	$(PY) docs/schemas.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
