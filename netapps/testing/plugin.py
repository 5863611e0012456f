"""The pytest plugin: a fresh migrated database per test, cloned from a template.

Registered through the ``pytest11`` entry point ``netapps`` (installed with the project), so
any pytest run in the environment has it. Fixtures:

- ``netapps_db``: a factory, ``netapps_db("sap")``, ``netapps_db("sap", "005_create_fi_tables")``,
  ``netapps_db("sap", engine="postgresql")``, returning the URL (``sqlalchemy.engine.URL``, a
  sync driver) of a new database that only this test uses; all are dropped after the test.
  SQLite files go into the test's ``tmp_path``.
- ``netapps_templates``: the session's :class:`~netapps.testing.TemplateCache`.
- ``netapps_postgres``: the URL of the PostgreSQL server's maintenance database; a test that
  asks for it (or for a PostgreSQL database) is skipped, with the reason shown, when no server
  is available, and fails instead when ``NETAPPS_REQUIRE_POSTGRES=1``.

Options: ``--netapps-postgres URL`` (a server's maintenance database, or ``throwaway`` for a
server of the session's own with its files in memory, netapps.testing.server; default:
``$NETAPPS_TEST_POSTGRES``, else 127.0.0.1:5432 as user postgres, else a throwaway server from
local binaries) and ``--netapps-testdb-cache DIR``
(the SQLite templates' folder; default ``$NETAPPS_TESTDB_CACHE`` or ``~/.cache/netapps/testdb``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from netapps.config import load_project
from netapps.testing.cache import TemplateCache
from netapps.testing.postgres_templates import PostgresTemplates
from netapps.testing.server import Unavailable, postgres_for_tests

REQUIRE_ENV = "NETAPPS_REQUIRE_POSTGRES"
#: The server for test databases when ``--netapps-postgres`` is not given: a URL or
#: ``throwaway``.
POSTGRES_ENV = "NETAPPS_TEST_POSTGRES"

#: ``netapps_db``'s type: (app, revision="head", engine="sqlite") -> URL.
DatabaseFactory = Callable[..., URL]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("netapps", "netapps: migrated test databases")
    group.addoption(
        "--netapps-postgres",
        metavar="URL",
        default=None,
        help="PostgreSQL maintenance database for test databases, or 'throwaway' for a "
        "server of the session's own, in memory (default: $NETAPPS_TEST_POSTGRES, else "
        "postgres@127.0.0.1:5432, else a throwaway server from local binaries)",
    )
    group.addoption(
        "--netapps-testdb-cache",
        metavar="DIR",
        default=None,
        help="folder of the SQLite template databases "
        "(default: $NETAPPS_TESTDB_CACHE or ~/.cache/netapps/testdb)",
    )


@pytest.fixture(scope="session")
def netapps_postgres(pytestconfig: pytest.Config) -> Iterator[URL]:
    """A PostgreSQL server's maintenance database; skipped (or, with
    NETAPPS_REQUIRE_POSTGRES=1, failed) with the reason when there is none."""
    given = pytestconfig.getoption("--netapps-postgres") or os.environ.get(POSTGRES_ENV)
    try:
        server = postgres_for_tests(given)
        url = server.__enter__()
    except Unavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def netapps_templates(pytestconfig: pytest.Config) -> Iterator[TemplateCache]:
    """The session's templates (the project of pytest's root folder)."""
    folder = pytestconfig.getoption("--netapps-testdb-cache")
    cache = TemplateCache(
        load_project(Path(pytestconfig.rootpath)),
        cache_dir=Path(folder) if folder else None,
    )
    try:
        yield cache
    finally:
        cache.close()


@pytest.fixture(scope="session")
def _netapps_postgres_templates(
    netapps_postgres: URL, netapps_templates: TemplateCache
) -> Iterator[PostgresTemplates]:
    """The session's PostgreSQL templates, attached to its cache on first use and closed
    before the server goes (a throwaway server is stopped after this, never before)."""
    server = PostgresTemplates(netapps_postgres, ahead=True)
    netapps_templates.postgres = server
    try:
        yield server
    finally:
        netapps_templates.postgres = None
        server.close()


@pytest.fixture
def netapps_db(
    netapps_templates: TemplateCache, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[DatabaseFactory]:
    """``netapps_db(app, revision="head", engine="sqlite")``: a new database's URL, dropped
    after the test."""
    made: list[URL] = []

    def make(app: str, revision: str = "head", engine: str = "sqlite") -> URL:
        if engine == "postgresql":
            request.getfixturevalue("_netapps_postgres_templates")
        url = netapps_templates.create(app, revision, engine, directory=tmp_path)
        made.append(url)
        return url

    try:
        yield make
    finally:
        for url in made:
            netapps_templates.drop(url)
