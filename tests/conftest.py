"""Shared fixtures: real SQLite files and a real PostgreSQL server, never a mock.

PostgreSQL: the server on 127.0.0.1:5432 when it answers; otherwise a throwaway one started
from local binaries (pytest-postgresql's executor); otherwise the PostgreSQL tests are skipped
with the reason shown, except with NETAPPS_REQUIRE_POSTGRES=1, where that is a failure.
Each test gets its own database, created and dropped here.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

REPO = Path(__file__).resolve().parent.parent
ENGINES = ("sqlite", "postgresql")


def _answers(host: str, port: int) -> bool:
    try:
        with psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", connect_timeout=3
        ):
            return True
    except psycopg.Error:
        return False


def _local_pg_ctl() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[str, int]]:
    """(host, port) of a PostgreSQL server that trusts user postgres."""
    host = os.environ.get("NETAPPS_TEST_PGHOST", "127.0.0.1")
    port = int(os.environ.get("NETAPPS_TEST_PGPORT", "5432"))
    if _answers(host, port):
        yield host, port
        return
    reason = f"no PostgreSQL answers on {host}:{port}"
    pg_ctl = _local_pg_ctl()
    if pg_ctl is not None:
        from pytest_postgresql.executors.proc import PostgreSQLExecutor

        workdir = tempfile.mkdtemp(prefix="netapps-pg-")
        port = _free_port()
        executor = PostgreSQLExecutor(
            executable=pg_ctl,
            host="127.0.0.1",
            port=port,
            datadir=os.path.join(workdir, "data"),
            unixsocketdir=workdir,
            logfile=os.path.join(workdir, "pg.log"),
            startparams="-w",
            dbname="postgres",
        )
        try:
            executor.start()
        except Exception as exc:  # a throwaway server that cannot start is a skip reason
            reason += f", and a throwaway server from {pg_ctl} did not start ({exc})"
        else:
            try:
                yield "127.0.0.1", port
            finally:
                executor.stop()
                shutil.rmtree(workdir, ignore_errors=True)
            return
    else:
        reason += ", and no local PostgreSQL binaries (pg_ctl) were found"
    if os.environ.get("NETAPPS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (NETAPPS_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture
def pg_database(postgres_server: tuple[str, int]) -> Iterator[URL]:
    """A fresh, empty PostgreSQL database for one test (sync psycopg URL), dropped after."""
    host, port = postgres_server
    name = f"netapps_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(f"postgresql+psycopg://postgres@{host}:{port}/{name}")
    finally:
        with psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> URL:
    """An empty database of the parametrised engine."""
    if engine == "sqlite":
        return make_url(f"sqlite:///{tmp_path / 'test.db'}")
    return request.getfixturevalue("pg_database")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def _test_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's apps, with backups written to a temporary folder, never the repo."""
    from support import APP_FOLDERS, write_config

    folder = tmp_path_factory.mktemp("netapps-config")
    return write_config(folder / "netapps.toml", dict(APP_FOLDERS), folder / "backups")


@pytest.fixture(autouse=True)
def _no_database_overrides(monkeypatch: pytest.MonkeyPatch, _test_config: Path) -> None:
    """Tests start with no database overrides (each sets those it means) and a netapps.toml
    that keeps backups out of the repository."""
    for name in (
        "DATABASE_URL",
        "SAP_DATABASE_URL",
        "MULESOFT_DATABASE_URL",
        "SERVICENOW_DATABASE_URL",
        "SALESFORCE_DATABASE_URL",
        "NETAPPS_ENV",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETAPPS_CONFIG", str(_test_config))
