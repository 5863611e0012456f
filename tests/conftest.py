"""Shared fixtures: real SQLite files and a real PostgreSQL server, never a mock.

PostgreSQL: the server on 127.0.0.1:5432 when it answers; otherwise a throwaway one started
from local binaries (initdb and pg_ctl, as the postgres user when run as root); otherwise the
PostgreSQL tests are skipped with the reason shown, except with NETAPPS_REQUIRE_POSTGRES=1,
where that is a failure. Each test gets its own database, created and dropped here.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

# Full assertion diffs in the shared check modules, as in test files (before importing them).
pytest.register_assert_rewrite("schema_checks", "support")
from support import URL_ENVS, free_port, write_config  # noqa: E402

ENGINES = ("sqlite", "postgresql")


def _answers(host: str, port: int) -> bool:
    try:
        with psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", connect_timeout=3
        ):
            return True
    except psycopg.Error:
        return False


def _local_bin_dir() -> Path | None:
    """Where initdb and pg_ctl live: Debian's versioned folder first, else on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the postgres user then."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root and runuser is missing")
        return [runuser, "-u", "postgres", "--", *args]
    return args


@contextmanager
def _throwaway_server(bin_dir: Path) -> Iterator[tuple[str, int]]:
    workdir = Path(tempfile.mkdtemp(prefix="netapps-pg-"))
    data, port = workdir / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    run = partial(subprocess.run, check=True, capture_output=True, text=True, timeout=120)
    try:
        run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ]
            )
        )
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-w",
                    "-l",
                    str(workdir / "server.log"),
                    "start",
                ]
            )
        )
        try:
            yield "127.0.0.1", port
        finally:
            subprocess.run(
                _as_server_user(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
                ),
                capture_output=True,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[str, int]]:
    """(host, port) of a PostgreSQL server that trusts user postgres."""
    host = os.environ.get("NETAPPS_TEST_PGHOST", "127.0.0.1")
    port = int(os.environ.get("NETAPPS_TEST_PGPORT", "5432"))
    if _answers(host, port):
        yield host, port
        return
    reason = f"no PostgreSQL answers on {host}:{port}"
    bin_dir = _local_bin_dir()
    if bin_dir is not None:
        try:
            server = _throwaway_server(bin_dir)
            address = server.__enter__()
        except Exception as exc:  # a throwaway server that cannot start is a skip reason
            detail = getattr(exc, "stderr", "") or str(exc)
            reason += f", and a throwaway server from {bin_dir} did not start ({detail.strip()})"
        else:
            try:
                yield address
            finally:
                server.__exit__(None, None, None)
            return
    else:
        reason += ", and no local PostgreSQL binaries (initdb, pg_ctl) were found"
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
    folder = tmp_path_factory.mktemp("netapps-config")
    return write_config(folder / "netapps.toml")


@pytest.fixture(autouse=True)
def _no_database_overrides(monkeypatch: pytest.MonkeyPatch, _test_config: Path) -> None:
    """Tests start with no database overrides (each sets those it means) and a netapps.toml
    that keeps backups out of the repository."""
    for name in ("DATABASE_URL", *URL_ENVS.values(), "NETAPPS_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETAPPS_CONFIG", str(_test_config))
