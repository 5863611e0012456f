"""The three services as real uvicorn processes wired for the password-reset flow: one hop
secret, each replica told where the others listen, and the means to stop, kill (SIGKILL) and
restart any of them on its port. Used by the flow's end-to-end tests and by bench/flows.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from services_support import (
    APPS,
    PROCESS_LOGS,
    Credentials,
    ServiceProcess,
    free_port,
    issued,
    migrate,
    new_password,
    record,
    service_env,
    wait_healthy,
)
from sqlalchemy import MetaData, create_engine, inspect, select
from sqlalchemy.engine import URL
from support import REPO

from servicekit.messaging import signing

#: Fast retries for tests: a stopped service is tried again within a second.
TEST_RELAY_ENV = {
    "RELAY_POLL_SECONDS": "0.2",
    "RELAY_BACKOFF_SECONDS": "0.2",
    "RELAY_BACKOFF_MAX_SECONDS": "1",
    "RELAY_MAX_ATTEMPTS": "1000",
}
SERVICE_ORDER = ("sap", "mulesoft", "servicenow")


class FlowCluster:
    """``replicas`` processes of each service, each on its own port and database URL."""

    def __init__(
        self,
        urls: dict[str, URL],
        folder: Path,
        replicas: int = 1,
        relay_env: dict[str, str] | None = None,
        pool_size: int | None = None,
    ):
        self.urls = urls
        self.folder = folder
        self.replicas = replicas
        self.relay_env = dict(TEST_RELAY_ENV if relay_env is None else relay_env)
        self.pool_size = pool_size
        self.hop_secret = issued(secrets.token_urlsafe(48))
        self.credentials = {name: Credentials() for name in SERVICE_ORDER}
        self.ports = {name: [free_port() for _ in range(replicas)] for name in SERVICE_ORDER}
        self.running: dict[tuple[str, int], ServiceProcess] = {}
        self.clients: dict[str, httpx.Client] = {}
        self.admin: dict[str, dict[str, str]] = {}

    # -- processes ----------------------------------------------------------------------
    def peers(self, index: int) -> str:
        """Replica ``index`` of each service talks to replica ``index`` of the others."""
        return ",".join(
            f"{name}=http://127.0.0.1:{ports[index % len(ports)]}"
            for name, ports in self.ports.items()
        )

    def env(self, name: str, index: int, **overrides: str) -> dict[str, str]:
        app = APPS[name]
        port = self.ports[name][index]
        env = service_env(app, self.urls[name], port, self.credentials[name])
        p = app.env_prefix
        env[f"{p}HOP_SECRET"] = self.hop_secret
        env[f"{p}PEERS"] = self.peers(index)
        if self.pool_size:
            env[f"{p}POOL_SIZE"] = str(self.pool_size)
        for key, value in {**self.relay_env, **overrides}.items():
            env[f"{p}{key}"] = value
        return env

    def start(self, name: str, index: int = 0, wait: bool = True, **overrides: str) -> None:
        app = APPS[name]
        port = self.ports[name][index]
        log = self.folder / f"{name}-{index}-{secrets.token_hex(3)}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", app.module],
                env=self.env(name, index, **overrides),
                cwd=REPO,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        handle = ServiceProcess(app, process, port, log, self.credentials[name])
        self.running[(name, index)] = handle
        if wait:
            wait_healthy(handle)

    def stop(self, name: str, index: int = 0, kill: bool = False) -> None:
        handle = self.running.pop((name, index), None)
        if handle is None:
            return
        if kill:
            handle.process.send_signal(signal.SIGKILL)
        else:
            handle.process.terminate()
        try:
            handle.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            handle.process.kill()
            handle.process.wait()
        PROCESS_LOGS.append(handle.output())

    def start_all(self) -> None:
        for name in SERVICE_ORDER:
            migrate(APPS[name], self.urls[name])
        for name in SERVICE_ORDER:
            for index in range(self.replicas):
                self.start(name, index, wait=False)
        for handle in list(self.running.values()):
            wait_healthy(handle)
        for name in SERVICE_ORDER:
            self.admin[name] = self.login(name, APPS[name].admin_login, self.admin_password(name))

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        for name, index in list(self.running):
            self.stop(name, index)

    def output(self) -> str:
        """Everything every process printed so far (running and stopped ones)."""
        return "\n".join(p.read_text(errors="replace") for p in self.folder.glob("*.log"))

    # -- HTTP -----------------------------------------------------------------------------
    def base_url(self, name: str, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[name][index]}"

    def call(
        self, name: str, method: str, path: str, index: int = 0, **kwargs: Any
    ) -> httpx.Response:
        key = f"{name}:{index}"
        if key not in self.clients:
            self.clients[key] = httpx.Client(base_url=self.base_url(name, index), timeout=30)
        response = self.clients[key].request(method, path, **kwargs)
        record(response)
        return response

    def admin_password(self, name: str) -> str:
        return self.credentials[name].admin_password

    def login(self, name: str, login: str, password: str) -> dict[str, str]:
        response = self.call(
            name, "POST", "/api/auth/login", json={"username": login, "password": password}
        )
        assert response.status_code == 200, response.text
        token = issued(response.json()["access_token"])
        return {"Authorization": f"Bearer {token}"}

    def sap_user(self) -> tuple[str, str]:
        """A new active SAP user (name, password)."""
        username, password = f"emp-{secrets.token_hex(4)}", new_password()
        body = {
            "username": username,
            "password": password,
            "roles": ["Maintenance_Engineer"],
            "must_change_password": False,
        }
        response = self.call("sap", "POST", "/api/users", json=body, headers=self.admin["sap"])
        assert response.status_code == 201, response.text
        return username, password

    def servicenow_user(self) -> dict[str, str]:
        """Headers of a new plain ServiceNow user."""
        email, password = f"user-{secrets.token_hex(4)}@example.com", new_password()
        body = {"email": email, "password": password, "role": "user"}
        created = self.call(
            "servicenow", "POST", "/api/users", json=body, headers=self.admin["servicenow"]
        )
        assert created.status_code == 201, created.text
        return self.login("servicenow", email, password)

    def request_reset(
        self, username: str, headers: dict[str, str], key: str | None = None, index: int = 0
    ) -> dict[str, Any]:
        extra = {"Idempotency-Key": key} if key else {}
        response = self.call(
            "servicenow",
            "POST",
            "/api/password-resets",
            index=index,
            json={"sap_username": username, "reason": "forgot it"},
            headers={**headers, **extra},
        )
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    def sap_tickets(self, correlation_id: str, status: str | None = None) -> list[dict[str, Any]]:
        params = {"correlation_id": correlation_id}
        params["status"] = status or "all"
        response = self.call(
            "sap", "GET", "/api/password-resets", params=params, headers=self.admin["sap"]
        )
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    def run(self, correlation_id: str) -> dict[str, Any]:
        response = self.call(
            "mulesoft", "GET", f"/api/flows/runs/{correlation_id}", headers=self.admin["mulesoft"]
        )
        assert response.status_code in (200, 404), response.text
        return response.json() if response.status_code == 200 else {}

    def servicenow_ticket(self, number: str) -> dict[str, Any]:
        response = self.call(
            "servicenow", "GET", f"/api/tickets/{number}", headers=self.admin["servicenow"]
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def reset(self, sap_ticket_id: str, index: int = 0) -> dict[str, Any]:
        response = self.call(
            "sap",
            "POST",
            f"/api/password-resets/{sap_ticket_id}/reset",
            index=index,
            headers=self.admin["sap"],
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        issued(body["temporary_password"])
        return body

    def signed(
        self,
        name: str,
        body: bytes,
        source: str = "mulesoft",
        secret: str | None = None,
        at: float | None = None,
    ) -> dict[str, str]:
        """Headers of a signed hop to ``name``'s message route."""
        return {
            "Content-Type": "application/json",
            **signing.sign(secret or self.hop_secret, source, "POST", "/api/messages", body, at),
        }


def wait_for(
    what: str, check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1
) -> Any:
    """``check()``'s first truthy answer, or AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


@contextlib.contextmanager
def flow_cluster(
    urls: dict[str, URL], folder: Path, replicas: int = 1, **options: Any
) -> Iterator[FlowCluster]:
    cluster = FlowCluster(urls, folder, replicas, **options)
    try:
        cluster.start_all()
        yield cluster
    finally:
        cluster.close()


def dump_database(url: URL) -> str:
    """Every row of every table of the database (every schema), as text."""
    engine = create_engine(url)
    lines: list[str] = []
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            schemas = [None] if url.get_backend_name() == "sqlite" else insp.get_schema_names()
            for schema in schemas:
                if schema in ("information_schema", "pg_catalog", "pg_toast"):
                    continue
                metadata = MetaData(schema=schema)
                metadata.reflect(conn)
                for table in metadata.sorted_tables:
                    for row in conn.execute(select(table)):
                        lines.append(f"{table.fullname}: {tuple(row)!r}")
    finally:
        engine.dispose()
    return "\n".join(lines)


async def _gather_limited(calls: list[Callable[[], Any]], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Any]) -> Any:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


def env_without_databases() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
