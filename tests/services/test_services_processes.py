"""The services as real uvicorn processes on free ports, on SQLite and PostgreSQL: started
by the reusable ``running_services`` fixture, refusing to start when they must, and keeping
ids unique under concurrent creation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from alembic.script import ScriptDirectory
from services_support import (
    APPS,
    Credentials,
    ServiceProcess,
    issued,
    migrate,
    run_service,
    running_services,
    service_env,
    service_process,
)
from sqlalchemy.engine import URL
from support import alembic_config

from servicekit.http import service_client

#: What each service creates concurrently: (path, body); ids are read from the answer.
CREATIONS: dict[str, tuple[str, dict[str, object], str]] = {
    "sap": ("/api/tickets", {"ticket_type": "Incident", "module": "PM", "title": "c"}, "ticket_id"),
    "servicenow": ("/api/tickets", {"title": "concurrent"}, "ticket_number"),
    "mulesoft": ("/api/integrations", {"name": "concurrent"}, "id"),
}
CONCURRENT = 50


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def services(
    request: pytest.FixtureRequest,
    module_databases: Callable[[str], URL],
    tmp_path_factory: pytest.TempPathFactory,
    _test_config: Path,
) -> Iterator[dict[str, ServiceProcess]]:
    """The three services started as processes on databases migrated by netapps."""
    urls = {name: module_databases(str(request.param)) for name in APPS}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETAPPS_CONFIG", str(_test_config))
        with running_services(urls, tmp_path_factory.mktemp("service-logs")) as started:
            yield started


def _admin_headers(process: ServiceProcess) -> dict[str, str]:
    app = process.app
    response = httpx.post(
        f"{process.base_url}/api/auth/login",
        json={"username": app.admin_login, "password": process.credentials.admin_password},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {issued(response.json()['access_token'])}"}


def test_started_services_answer_health_and_ready(services: dict[str, ServiceProcess]) -> None:
    assert set(services) == {"sap", "servicenow", "mulesoft"}
    for process in services.values():
        assert httpx.get(f"{process.base_url}/health").json() == {"status": "ok"}
        ready = httpx.get(f"{process.base_url}/ready")
        assert ready.status_code == 200, ready.text


@pytest.mark.parametrize("name", list(CREATIONS))
def test_concurrent_creations_get_distinct_ids(
    name: str, services: dict[str, ServiceProcess]
) -> None:
    process = services[name]
    path, body, key = CREATIONS[name]
    headers = _admin_headers(process)

    async def create_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=CONCURRENT)
        async with httpx.AsyncClient(
            base_url=process.base_url, headers=headers, timeout=60, limits=limits
        ) as client:
            return await asyncio.gather(*(client.post(path, json=body) for _ in range(CONCURRENT)))

    responses = asyncio.run(create_all())
    assert [r.status_code for r in responses] == [201] * CONCURRENT, responses[0].text
    ids = {r.json()[key] for r in responses}
    assert len(ids) == CONCURRENT


def test_the_correlation_id_reaches_the_log(services: dict[str, ServiceProcess]) -> None:
    process = services["sap"]
    httpx.get(f"{process.base_url}/health", headers={"X-Correlation-ID": "trace-me-123"})
    # The access line is written when the response is done; give the process a moment.
    for _ in range(50):
        if "trace-me-123" in process.output():
            break
        asyncio.run(asyncio.sleep(0.05))
    assert "trace-me-123" in process.output()


BEHIND = {"sap": "009_add_password_reset_tickets", "servicenow": "001_initial_migration",
          "mulesoft": "001_initial_migration"}  # fmt: skip


@pytest.mark.parametrize("name", list(APPS))
def test_a_service_behind_head_refuses_with_one_line(name: str, db_url: URL) -> None:
    app = APPS[name]
    migrate(app, db_url, BEHIND[name])
    done = run_service(app, service_env(app, db_url, 1, Credentials()))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 5, done.stderr
    assert len(lines) == 1, done.stderr
    assert f"run `netapps migrate {name}`" in lines[0] and BEHIND[name] in lines[0]


def test_a_service_on_an_empty_database_refuses(tmp_path: Path) -> None:
    app = APPS["sap"]
    url = URL.create("sqlite", database=str(tmp_path / "empty.db"))
    done = run_service(app, service_env(app, url, 1, Credentials()))
    assert done.returncode == 5 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "no revision" in done.stderr


@pytest.mark.parametrize("name", list(APPS))
def test_in_production_without_secrets_a_service_refuses(name: str, tmp_path: Path) -> None:
    app = APPS[name]
    url = URL.create("sqlite", database=str(tmp_path / "any.db"))
    env = service_env(app, url, 1, Credentials())
    del env[f"{app.env_prefix}JWT_SECRET"]
    env["NETAPPS_ENV"] = "production"
    done = run_service(app, env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert f"{app.env_prefix}JWT_SECRET must be set" in lines[0]
    # A short secret is no better than none.
    env[f"{app.env_prefix}JWT_SECRET"] = "short"
    assert run_service(app, env).returncode == 2


@pytest.mark.parametrize("name", list(APPS))
def test_in_production_without_hop_keys_a_service_refuses(name: str, tmp_path: Path) -> None:
    """Every service takes part in a flow: outside dev, it does not start without its hop
    keys (it would accept requests whose messages never travel)."""
    app = APPS[name]
    url = URL.create("sqlite", database=str(tmp_path / "any.db"))
    env = service_env(app, url, 1, Credentials())
    env["NETAPPS_ENV"] = "production"
    done = run_service(app, env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert f"{app.env_prefix}HOP_SECRETS" in lines[0]


def test_migrate_on_start_migrates_under_netapps_then_serves(db_url: URL, tmp_path: Path) -> None:
    app = APPS["sap"]
    migrate(app, db_url, "005_create_fi_tables")
    with service_process(app, db_url, tmp_path, extra_env={"MIGRATE_ON_START": "1"}) as process:
        ready = httpx.get(f"{process.base_url}/ready")
        head = ScriptDirectory.from_config(alembic_config("sap")).get_current_head()
        assert ready.status_code == 200 and ready.json()["revision"] == head


def test_outgoing_calls_carry_the_correlation_id(services: dict[str, ServiceProcess]) -> None:
    """servicekit's client for calls between services sends the id of the request being
    served; the called service answers (and logs) under the same id."""
    process = services["servicenow"]

    async def call() -> httpx.Response:
        structlog.contextvars.bind_contextvars(correlation_id="flow-from-sap-7")
        try:
            async with service_client(process.base_url) as client:
                return await client.get("/health")
        finally:
            structlog.contextvars.clear_contextvars()

    response = asyncio.run(call())
    assert response.headers["X-Correlation-ID"] == "flow-from-sap-7"
