"""The three services under test: how to start each (in this process, or as a real uvicorn
process on a free port), sign in, and make the users of every role.

Reusable by any test that needs running services (the cross-app flows' end-to-end tests):
``running_services`` starts all three on databases migrated by netapps.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.engine import URL
from support import REPO, upgrade

from servicekit.security import api_key_digest
from servicekit.settings import ServiceSettings

T = TypeVar("T")

#: Every secret the tests hand out, so the leak check can look for them in output.
ISSUED_SECRETS: set[str] = set()
#: Every response body the tests received, with its method and path.
RESPONSES: list[tuple[str, str, str]] = []


def issued(secret: str) -> str:
    ISSUED_SECRETS.add(secret)
    return secret


def new_password() -> str:
    return issued(f"pw-{secrets.token_urlsafe(12)}")


@dataclass(frozen=True)
class AppUnderTest:
    name: str  # netapps' name
    module: str  # python -m MODULE serves it
    env_prefix: str
    url_env: str
    roles: tuple[str, ...]  # user roles, the administrator's first
    admin_login: str
    #: (username-or-email, password, role) -> the JSON to create that user.
    user_body: Callable[[str, str, str], dict[str, Any]]
    login_for: Callable[[str], str]  # a user name for a role
    service_keys: bool  # accepts the configured service API keys (role "service")

    @property
    def admin_role(self) -> str:
        return self.roles[0]

    def settings_class(self) -> type[ServiceSettings]:
        return self.spec().settings_class

    def spec(self) -> Any:
        module = __import__(f"{self.module}.main", fromlist=["SPEC"])
        return module.SPEC

    def create_app(self, settings: ServiceSettings) -> FastAPI:
        module = __import__(f"{self.module}.main", fromlist=["create_app"])
        app: FastAPI = module.create_app(settings)
        return app


def _email_user(login: str, password: str, role: str) -> dict[str, Any]:
    return {"email": login, "password": password, "role": role}


APPS: dict[str, AppUnderTest] = {
    "sap": AppUnderTest(
        name="sap",
        module="sap_clone.api",
        env_prefix="SAP_",
        url_env="SAP_DATABASE_URL",
        roles=("Admin", "Maintenance_Engineer", "Store_Manager", "Finance_Officer"),
        admin_login="admin",
        user_body=lambda login, password, role: {
            "username": login,
            "password": password,
            "roles": [role],
            "must_change_password": False,
        },
        login_for=lambda role: f"{role.lower()}-{secrets.token_hex(3)}",
        service_keys=True,
    ),
    "servicenow": AppUnderTest(
        name="servicenow",
        module="servicenow.api",
        env_prefix="SERVICENOW_",
        url_env="SERVICENOW_DATABASE_URL",
        roles=("admin", "agent", "user"),
        admin_login="admin@example.com",
        user_body=_email_user,
        login_for=lambda role: f"{role}-{secrets.token_hex(3)}@example.com",
        service_keys=True,
    ),
    "mulesoft": AppUnderTest(
        name="mulesoft",
        module="integration_platform.api",
        env_prefix="MULESOFT_",
        url_env="MULESOFT_DATABASE_URL",
        roles=("admin", "developer", "viewer"),
        admin_login="admin@example.com",
        user_body=_email_user,
        login_for=lambda role: f"{role}-{secrets.token_hex(3)}@example.com",
        service_keys=False,
    ),
}


@dataclass
class Credentials:
    """What a test service was started with."""

    jwt_secret: str = field(default_factory=lambda: issued(secrets.token_urlsafe(48)))
    admin_password: str = field(default_factory=new_password)
    service_key: str = field(default_factory=lambda: issued(f"svc_{secrets.token_urlsafe(32)}"))
    #: A hop key for every peer, so that the flows' routes work in a service under test
    #: (whose relay does not run: no message leaves it).
    hop_key: str = field(default_factory=lambda: issued(secrets.token_urlsafe(48)))

    def hop_secrets(self, app: AppUnderTest) -> str:
        return ",".join(f"{peer}={self.hop_key}" for peer in APPS if peer != app.name)

    def env(self, app: AppUnderTest) -> dict[str, str]:
        p = app.env_prefix
        return {
            f"{p}JWT_SECRET": self.jwt_secret,
            f"{p}BOOTSTRAP_ADMIN_USERNAME": app.admin_login,
            f"{p}BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            f"{p}SERVICE_KEY_HASHES": api_key_digest(self.service_key),
            f"{p}LOGIN_RATE_LIMIT": "1000/minute",
        }

    def settings(self, app: AppUnderTest, **overrides: Any) -> ServiceSettings:
        values: dict[str, Any] = {
            "jwt_secret": self.jwt_secret,
            "bootstrap_admin_username": app.admin_login,
            "bootstrap_admin_password": self.admin_password,
            "service_key_hashes": api_key_digest(self.service_key),
            "login_rate_limit": "1000/minute",
            "hop_secrets": self.hop_secrets(app),
            "relay_enabled": False,
            **overrides,
        }
        return app.settings_class()(**values)


def migrate(app: AppUnderTest, url: URL, revision: str = "head") -> None:
    """The app's database to ``revision`` through netapps' Alembic environment."""
    upgrade(app.name, url, revision)


def database_env(app: AppUnderTest, url: URL) -> dict[str, str]:
    return {app.url_env: url.render_as_string(hide_password=False)}


class ServiceClient:
    """An httpx client on a service's ASGI app, its lifespan run, driven from sync tests
    through an anyio portal (one event loop in a thread, as the app would have)."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient, app: FastAPI):
        self._portal = portal
        self.client = client
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            return await self.client.request(method, url, **kwargs)

        response = self._portal.call(send)
        record(response)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def call(self, function: Callable[[], Awaitable[T]]) -> T:
        """Awaits ``function()`` on the app's event loop (a service function on its database)."""
        return self._portal.call(function)

    def many(self, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
        """Sends the requests at once (concurrently on the loop)."""

        async def run() -> list[httpx.Response]:
            results: list[httpx.Response | None] = [None] * len(requests)

            async def one(i: int, method: str, url: str, kwargs: dict[str, Any]) -> None:
                results[i] = await self.client.request(method, url, **kwargs)

            async with anyio.create_task_group() as group:
                for i, (method, url, kwargs) in enumerate(requests):
                    group.start_soon(one, i, method, url, kwargs)
            return [r for r in results if r is not None]

        responses = self._portal.call(run)
        for response in responses:
            record(response)
        return responses


def record(response: httpx.Response) -> None:
    RESPONSES.append((response.request.method, response.request.url.path, response.text))


@contextlib.contextmanager
def in_process(app: FastAPI) -> Iterator[ServiceClient]:
    """The app with its lifespan (startup checks included), and a client on it."""
    with start_blocking_portal("asyncio") as portal:

        async def start() -> tuple[LifespanManager, httpx.AsyncClient]:
            manager = LifespanManager(app, startup_timeout=60)
            await manager.__aenter__()
            transport = httpx.ASGITransport(app=manager.app)
            return manager, httpx.AsyncClient(transport=transport, base_url="http://service.test")

        manager, client = portal.call(start)
        try:
            yield ServiceClient(portal, client, app)
        finally:
            portal.call(client.aclose)
            portal.call(manager.__aexit__, None, None, None)


def login(client: ServiceClient, username: str, password: str) -> dict[str, str]:
    """Bearer headers of a signed-in user."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    issued(token)
    return {"Authorization": f"Bearer {token}"}


def create_user(
    client: ServiceClient, app: AppUnderTest, admin: dict[str, str], role: str
) -> tuple[str, str, int]:
    """(login, password, id) of a new active user with ``role``."""
    login_name, password = app.login_for(role), new_password()
    response = client.post(
        "/api/users", json=app.user_body(login_name, password, role), headers=admin
    )
    assert response.status_code == 201, response.text
    return login_name, password, int(response.json()["id"])


@dataclass
class Service:
    """A service in this process on a migrated database, with a signed-in user per role."""

    app: AppUnderTest
    engine: str
    url: URL
    client: ServiceClient
    credentials: Credentials
    headers: dict[str, dict[str, str]]  # role -> auth headers ("service": the API key)
    user_ids: dict[str, int]

    @property
    def admin(self) -> dict[str, str]:
        return self.headers[self.app.admin_role]


#: Password hashes, whatever the scheme, have these shapes.
HASH_SHAPES = re.compile(r"\$argon2(id|i|d)\$|\$scrypt\$|\$2[aby]\$")
#: A bearer token (a JWT) has this shape.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.")
#: Responses that hand out a secret once, by design: sign-in (tokens) and a new API key.
HANDS_OUT = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/api-keys"),
    ("POST", "/services/oauth2/token"),  # Salesforce's OAuth token endpoint
}
#: ... and SAP's password reset, which shows the temporary password to the administrator.
HANDS_OUT_PATHS = re.compile(r"^/api/password-resets/[^/]+/reset$")


def leaks(lines: list[str], responses: list[tuple[str, str, str]]) -> list[str]:
    found = []
    for line in lines:
        if HASH_SHAPES.search(line) or JWT_SHAPE.search(line):
            found.append(f"log: {line[:200]}")
        found.extend(f"log: a secret in {line[:120]}" for s in ISSUED_SECRETS if s in line)
    for method, path, body in responses:
        if HASH_SHAPES.search(body):
            found.append(f"response {method} {path}: a password hash")
        if (method, path) in HANDS_OUT or (method == "POST" and HANDS_OUT_PATHS.match(path)):
            continue
        found.extend(f"response {method} {path}: a secret" for s in ISSUED_SECRETS if s in body)
    return found


# Real processes.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    app: AppUnderTest
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    credentials: Credentials

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def service_env(app: AppUnderTest, url: URL, port: int, credentials: Credentials) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(database_env(app, url))
    env.update(credentials.env(app))
    env[f"{app.env_prefix}PORT"] = str(port)
    env[f"{app.env_prefix}HOST"] = "127.0.0.1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_service(
    app: AppUnderTest, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The service's command run to completion (for starts that must be refused)."""
    return subprocess.run(
        [sys.executable, "-m", app.module],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def service_process(
    app: AppUnderTest,
    url: URL,
    folder: Path,
    credentials: Credentials | None = None,
    extra_env: dict[str, str] | None = None,
    wait: bool = True,
    port: int | None = None,
) -> Iterator[ServiceProcess]:
    """``python -m <app>.api`` under uvicorn on ``port`` (default: a free one), until the
    block ends; answering /health when the block begins (unless ``wait`` is False: then call
    ``wait_healthy``)."""
    credentials = credentials or Credentials()
    port = port or free_port()
    env = {**service_env(app, url, port, credentials), **(extra_env or {})}
    log = folder / f"{app.name}-{port}-{secrets.token_hex(3)}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", app.module],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    handle = ServiceProcess(app, process, port, log, credentials)
    try:
        if wait:
            wait_healthy(handle)
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        PROCESS_LOGS.append(handle.output())


#: What every service process printed, for the leak check.
PROCESS_LOGS: list[str] = []


def wait_healthy(handle: ServiceProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            raise RuntimeError(f"{handle.app.name} exited at start:\n{handle.output()}")
        try:
            if httpx.get(f"{handle.base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"{handle.app.name} did not answer /health in {timeout} s:\n{handle.output()}"
    )


@contextlib.contextmanager
def running_services(
    urls: dict[str, URL], folder: Path, apps: tuple[str, ...] = ("sap", "servicenow", "mulesoft")
) -> Iterator[dict[str, ServiceProcess]]:
    """The services, each migrated by netapps on its database in ``urls`` and started as a
    uvicorn process; a mapping app name -> process (base_url, credentials)."""
    with contextlib.ExitStack() as stack:
        started = {}
        for name in apps:
            app = APPS[name]
            migrate(app, urls[name])
            started[name] = stack.enter_context(
                service_process(app, urls[name], folder, wait=False)
            )
        for handle in started.values():  # they start side by side
            wait_healthy(handle)
        yield started


def table_name(service: Service, name: str) -> str:
    """A table's name in SQL: SAP's sign-in tables live in schema core (mapped away on
    SQLite)."""
    return f"core.{name}" if service.app.name == "sap" and service.engine != "sqlite" else name


def query(service: Service, sql: str, **params: Any) -> list[Any]:
    """Runs ``sql`` on the service's database (``{name}`` placeholders are table names) and
    returns its rows; a statement that returns none is committed."""
    from sqlalchemy import text

    from appdb.engine import make_engine

    names = re.findall(r"\{(\w+)\}", sql)
    engine = make_engine(service.url, schemas=("core",) if service.app.name == "sap" else ())
    try:
        with engine.begin() as conn:
            result = conn.execute(
                text(sql.format(**{n: table_name(service, n) for n in names})), params
            )
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()
