"""A service whose PostgreSQL database becomes unreachable answers 503 problem details with
Retry-After on every route that needs it, and serves again by itself once it is back. The
database is cut through a TCP proxy the test owns: the shared server is never touched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from services_support import (
    AppUnderTest,
    Credentials,
    ServiceClient,
    database_env,
    in_process,
    login,
    migrate,
)
from sqlalchemy.engine import URL
from tcp_proxy import TcpProxy

PROBLEM = "application/problem+json"


def _unavailable(client: ServiceClient, method: str, path: str, **kwargs: object) -> None:
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 503, f"{method} {path}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == PROBLEM
    assert int(response.headers["Retry-After"]) > 0
    assert "Traceback" not in response.text


def test_an_unreachable_database_is_a_503_and_the_service_recovers(
    app_under_test: AppUnderTest,
    module_databases: Callable[[str], URL],
    _test_config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = app_under_test
    url = module_databases("postgresql")
    migrate(app, url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.restore()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port)
    monkeypatch.setenv("NETAPPS_CONFIG", str(_test_config))
    for name, value in database_env(app, through_proxy).items():
        monkeypatch.setenv(name, value)
    credentials = Credentials()
    try:
        with in_process(app.create_app(credentials.settings(app))) as client:
            admin = login(client, app.admin_login, credentials.admin_password)
            assert client.get("/api/users", headers=admin).status_code == 200
            right = {"username": app.admin_login, "password": credentials.admin_password}

            proxy.cut()
            _unavailable(client, "GET", "/api/users", headers=admin)
            _unavailable(client, "POST", "/api/auth/login", json=right)
            _unavailable(client, "GET", "/ready")
            assert client.get("/health").status_code == 200  # the process itself is alive

            proxy.restore()
            # The connections the pool held died with the cut: at most one request finds
            # one before the pool is replaced; the next ones are served.
            codes = [client.get("/api/users", headers=admin).status_code for _ in range(3)]
            assert codes[-2:] == [200, 200], codes
            assert client.post("/api/auth/login", json=right).status_code == 200
    finally:
        proxy.cut()
