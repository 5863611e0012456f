"""The Salesforce service under test: its credentials and settings, in this process (a
TestClient with the lifespan run) or as a real uvicorn process over HTTPS with a dev CA."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import requests
from fastapi.testclient import TestClient
from salesforce_crm.api.main import create_app
from salesforce_crm.api.settings import SalesforceSettings
from sqlalchemy.engine import URL
from support import REPO, free_port

from servicekit.tls import client_context, ensure_dev_certificates

API = "/services/data/v62.0"


@dataclass(frozen=True)
class SalesforceCredentials:
    """What a test service is started with: its bootstrap administrator and connected app."""

    username: str = "admin@example.com"
    password: str = field(default_factory=lambda: f"pw-{secrets.token_urlsafe(12)}")
    client_id: str = field(default_factory=lambda: f"3MVG9test{secrets.token_hex(8)}")
    client_secret: str = field(default_factory=lambda: secrets.token_hex(24))
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    def settings(self, **overrides: Any) -> SalesforceSettings:
        values: dict[str, Any] = {
            "jwt_secret": self.jwt_secret,
            "bootstrap_admin_username": self.username,
            "bootstrap_admin_password": self.password,
            "bootstrap_client_id": self.client_id,
            "bootstrap_client_secret": self.client_secret,
            "login_rate_limit": "1000/minute",
            **overrides,
        }
        return SalesforceSettings(**values)

    def env(self) -> dict[str, str]:
        return {
            "SALESFORCE_JWT_SECRET": self.jwt_secret,
            "SALESFORCE_BOOTSTRAP_ADMIN_USERNAME": self.username,
            "SALESFORCE_BOOTSTRAP_ADMIN_PASSWORD": self.password,
            "SALESFORCE_BOOTSTRAP_CLIENT_ID": self.client_id,
            "SALESFORCE_BOOTSTRAP_CLIENT_SECRET": self.client_secret,
            "SALESFORCE_LOGIN_RATE_LIMIT": "1000/minute",
        }

    def password_grant(
        self, username: str | None = None, password: str | None = None
    ) -> dict[str, str]:
        return {
            "grant_type": "password",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": username or self.username,
            "password": password or self.password,
        }


def url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@contextlib.contextmanager
def in_process(credentials: SalesforceCredentials, **overrides: Any) -> Iterator[TestClient]:
    """The app (lifespan run: the startup checks, the bootstrap) and a client on it. The
    database is SALESFORCE_DATABASE_URL's: set it first."""
    with TestClient(
        create_app(credentials.settings(**overrides)), base_url="https://sf.test"
    ) as client:
        yield client


def bearer(
    client: TestClient | httpx.Client, credentials: SalesforceCredentials, **grant: str
) -> dict[str, str]:
    response = client.post("/services/oauth2/token", data={**credentials.password_grant(), **grant})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    ca_file: Path

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def service_env(
    url: URL, port: int, credentials: SalesforceCredentials, certs: Any
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(credentials.env())
    env.update(
        {
            "SALESFORCE_DATABASE_URL": url_text(url),
            "SALESFORCE_PORT": str(port),
            "SALESFORCE_HOST": "127.0.0.1",
            "SALESFORCE_TLS_CERTFILE": str(certs.cert_path),
            "SALESFORCE_TLS_KEYFILE": str(certs.key_path),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@contextlib.contextmanager
def https_service(
    url: URL,
    folder: Path,
    credentials: SalesforceCredentials,
    extra_env: dict[str, str] | None = None,
) -> Iterator[ServiceProcess]:
    """``python -m salesforce_crm.api`` over HTTPS (a dev CA in ``folder``) until the block
    ends, answering /health when it begins."""
    certs = ensure_dev_certificates(folder / "tls")
    port = free_port()
    env = {**service_env(url, port, credentials, certs), **(extra_env or {})}
    log = folder / f"salesforce-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "salesforce_crm.api"],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    handle = ServiceProcess(process, port, log, certs.ca_path)
    try:
        _wait_healthy(handle)
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(handle: ServiceProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            raise RuntimeError(f"salesforce exited at start:\n{handle.output()}")
        try:
            answer = httpx.get(
                f"{handle.base_url}/health", timeout=2, verify=client_context(handle.ca_file)
            )
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"salesforce did not answer /health in {timeout} s:\n{handle.output()}")


@dataclass
class HttpsSalesforce:
    process: ServiceProcess
    credentials: SalesforceCredentials
    url: URL  # the database

    @property
    def base_url(self) -> str:
        return self.process.base_url

    @property
    def ca_file(self) -> Path:
        return self.process.ca_file

    def session(self) -> requests.Session:
        """A requests session that trusts the dev CA (never verify=False)."""
        session = requests.Session()
        session.verify = str(self.ca_file)
        return session

    def token(self, **grant: str) -> dict[str, str]:
        with self.session() as session:
            response = session.post(
                f"{self.base_url}/services/oauth2/token",
                data={**self.credentials.password_grant(), **grant},
                timeout=30,
            )
        assert response.status_code == 200, response.text
        answer: dict[str, str] = response.json()
        return answer


@dataclass
class RunningSalesforce:
    client: TestClient
    credentials: SalesforceCredentials
    url: URL
    admin: dict[str, str]  # the bootstrap administrator's Authorization header


#: A password hash (argon2) and a bearer token (a JWT) have these shapes.
HASH_SHAPE = re.compile(r"\$argon2(id|i|d)\$")
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.")


def leaked_secrets(text: str, credentials: SalesforceCredentials) -> list[str]:
    """What of the service's secrets ``text`` (a log) holds: hashes, tokens, the bootstrap
    password, client secret or JWT key."""
    found = [shape.pattern for shape in (HASH_SHAPE, JWT_SHAPE) if shape.search(text)]
    for name in ("password", "client_secret", "jwt_secret"):
        if getattr(credentials, name) in text:
            found.append(name)
    return found
