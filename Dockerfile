# syntax=docker/dockerfile:1
#
# Network-apps: one image holding netapps and every app's migrations.
#   docker build -t network-apps .
#   docker compose run --rm db-migrate          (see docker-compose.yml and docker/README.md)
#
# Base: python:3.11-slim on Debian bookworm, whose postgresql-client is 15, the same major
# version as the postgres:15 service (pg_dump must not be older than the server).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Compilers only here, for any dependency without a wheel for the build platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# The dependencies first, exactly the locked versions, each checked against its hash (pip and
# setuptools, the build backend, included): this layer survives code edits. `make lock` writes
# the lock (pyproject.toml's dependencies, without the dev extra).
COPY requirements-runtime.lock ./
RUN pip install --require-hashes -r requirements-runtime.lock

# Then the project (netapps, servicekit and the apps' packages), built by the locked setuptools.
COPY . .
RUN pip install --no-deps --no-build-isolation . \
    && netapps --help > /dev/null

# ---------------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

# pg_dump/pg_restore: netapps backs up a PostgreSQL database before migrating it and refuses
# to migrate without pg_dump (unless --no-backup). Build with --build-arg WITH_PG_CLIENT=0 for
# a smaller image that must then be run with MIGRATE_ARGS=--no-backup against PostgreSQL.
ARG WITH_PG_CLIENT=1
RUN if [ "$WITH_PG_CLIENT" = 1 ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends postgresql-client \
        && rm -rf /var/lib/apt/lists/*; \
    fi

RUN groupadd --system --gid 10001 netapps \
    && useradd --system --uid 10001 --gid netapps --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin netapps

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NETAPPS_CONFIG=/app/netapps.toml \
    NETAPPS_KEY_FILE=/app/backups/.netapps-key

COPY --from=builder /opt/venv /opt/venv

# What netapps reads at run time: the config, each app's alembic.ini and revisions, the
# Salesforce SQL files, and the runner scripts. The Python code lives in /opt/venv.
WORKDIR /app
COPY netapps.toml run_all_migrations.py ./
COPY SAP_clone/backend/alembic.ini SAP_clone/backend/run_migrations.py SAP_clone/backend/
COPY SAP_clone/backend/alembic/ SAP_clone/backend/alembic/
COPY Mulesoft-Application/Inte-platform/platform-backend/alembic.ini Mulesoft-Application/Inte-platform/platform-backend/run_migrations.py Mulesoft-Application/Inte-platform/platform-backend/
COPY Mulesoft-Application/Inte-platform/platform-backend/alembic/ Mulesoft-Application/Inte-platform/platform-backend/alembic/
COPY serviceNow/backend/alembic.ini serviceNow/backend/run_migrations.py serviceNow/backend/
COPY serviceNow/backend/alembic/ serviceNow/backend/alembic/
COPY Salesforce/migrations/ Salesforce/migrations/
COPY --chmod=0755 docker/entrypoint.sh docker/entrypoint.sh

# Writable places for the non-root user: SQLite files (and their .migrate.lock files) on
# /data, backups in /app/backups (netapps' default backups dir). Named volumes mounted there
# start with this ownership.
RUN mkdir -p /data /app/backups \
    && chown netapps:netapps /data /app/backups \
    && chmod 0700 /app/backups

USER netapps:netapps

# The services' ports: SAP_clone, the integration platform, ServiceNow, Salesforce.
EXPOSE 4798 4797 4780 4799

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# Read-only by default: each app's revision and pending count. With MIGRATE_ON_START=1 the
# entrypoint migrates first.
CMD ["netapps", "status"]
