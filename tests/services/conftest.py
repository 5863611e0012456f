"""Fixtures of the services' tests: databases migrated by netapps, services in this process
or as uvicorn processes, users of every role, and the leak check over everything the
services answered and logged during the run."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from services_support import (
    APPS,
    PROCESS_LOGS,
    RESPONSES,
    AppUnderTest,
    Credentials,
    Service,
    create_user,
    database_env,
    in_process,
    leaks,
    login,
    migrate,
)
from sqlalchemy.engine import URL, make_url


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.msg!s} {record.args!s}")


@pytest.fixture(scope="session", autouse=True)
def _nothing_secret_leaks() -> Iterator[None]:
    """After all the services' tests: no password hash, API key, JWT secret or token in any
    log line or process output, and none but the handing-out ones in any response."""
    recorder = _Recorder()
    logging.getLogger().addHandler(recorder)
    yield
    logging.getLogger().removeHandler(recorder)
    found = leaks(recorder.lines + PROCESS_LOGS, RESPONSES)
    assert not found, "secrets leaked:\n" + "\n".join(found[:20])


@pytest.fixture(scope="module")
def module_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], URL]]:
    """Makes empty databases that live as long as the test module: ``make(engine)``."""
    created: list[tuple[tuple[str, int], str]] = []

    def make(engine: str) -> URL:
        if engine == "sqlite":
            folder = tmp_path_factory.mktemp("service-db")
            return make_url(f"sqlite:///{folder / 'service.db'}")
        host, port = request.getfixturevalue("postgres_server")
        name = f"netapps_svc_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(((host, port), name))
        return make_url(f"postgresql+psycopg://postgres@{host}:{port}/{name}")

    yield make
    for (host, port), name in created:
        with psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=list(APPS))
def app_under_test(request: pytest.FixtureRequest) -> AppUnderTest:
    return APPS[str(request.param)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def service_engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def service(
    app_under_test: AppUnderTest,
    service_engine: str,
    module_databases: Callable[[str], URL],
    _test_config: Path,
) -> Iterator[Service]:
    """The app in this process on a fresh database migrated by netapps, a user per role."""
    app = app_under_test
    url = module_databases(service_engine)
    credentials = Credentials()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETAPPS_CONFIG", str(_test_config))
        for name, value in database_env(app, url).items():
            patch.setenv(name, value)
        migrate(app, url)
        with in_process(app.create_app(credentials.settings(app))) as client:
            admin = login(client, app.admin_login, credentials.admin_password)
            headers, ids = {app.admin_role: admin}, {}
            for role in app.roles[1:]:
                name, password, user_id = create_user(client, app, admin, role)
                headers[role], ids[role] = login(client, name, password), user_id
            if app.service_keys:
                headers["service"] = {"X-API-Key": credentials.service_key}
            me = client.get("/api/auth/me", headers=admin).json()
            ids[app.admin_role] = int(me["id"])
            yield Service(app, service_engine, url, client, credentials, headers, ids)
