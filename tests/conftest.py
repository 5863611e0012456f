"""Shared fixtures: real SQLite files and a real PostgreSQL server, never a mock.

PostgreSQL: the server on 127.0.0.1:5432 when it answers; otherwise a throwaway one started
from local binaries (initdb and pg_ctl, as the postgres user when run as root); otherwise the
PostgreSQL tests are skipped with the reason shown, except with NETAPPS_REQUIRE_POSTGRES=1,
where that is a failure. The netapps pytest plugin (netapps.testing.plugin) finds it and hands
out migrated databases (``netapps_db``, ``migrated``: clones of a template); the empty
databases a test migrates itself (``pg_database``, ``db_url``) are created and dropped here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

# Full assertion diffs in the shared check modules, as in test files (before importing them).
pytest.register_assert_rewrite("schema_checks", "support")
from support import URL_ENVS, write_config  # noqa: E402

from netapps.testing.plugin import DatabaseFactory  # noqa: E402

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session", autouse=True)
def replay_cache_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """netapps records empty -> head runs and replays them (README: Fast from an empty
    database). The suite keeps its recordings in a folder of its own, so a run never reads what
    an earlier run or the user recorded, and never writes into the user's cache (nor makes a
    key there); replaying stays on, as users have it. Subprocesses inherit it
    (support.subprocess_env)."""
    folder = tmp_path_factory.mktemp("replay-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETAPPS_REPLAY_CACHE", str(folder))
        # The key that signs recordings and backup manifests (netapps.signing): the session's.
        patch.setenv("NETAPPS_KEY_FILE", str(tmp_path_factory.mktemp("netapps-key") / "key"))
        yield


@pytest.fixture(scope="session")
def postgres_server(netapps_postgres: URL) -> tuple[str, int]:
    """(host, port) of a PostgreSQL server that trusts user postgres: the netapps pytest
    plugin's (netapps.testing.server: 127.0.0.1:5432, else a throwaway server, else skipped,
    or failed with NETAPPS_REQUIRE_POSTGRES=1)."""
    return str(netapps_postgres.host), int(netapps_postgres.port or 5432)


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


@pytest.fixture
def migrated(engine: str, netapps_db: DatabaseFactory) -> Callable[..., URL]:
    """``migrated(app, revision="head")``: a new database of ``app`` on the parametrised
    engine, already migrated (a clone of the template netapps built once per set of migration
    checksums), for tests that use a migrated database rather than test migrating it."""
    return partial(netapps_db, engine=engine)


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
