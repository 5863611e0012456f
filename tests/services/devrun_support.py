"""``make run`` (``python -m servicekit.devrun``, what the target runs) as a real process in a
temporary folder: its own dev folder (``NETAPPS_DEV_DIR``), free ports (``<PREFIX>PORT``) and
SQLite files for every app (``<APP>_DATABASE_URL``), started in its own process group so that
a test's Ctrl-C reaches it as a terminal's would."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from support import APPS, REPO, free_port, subprocess_env

from servicekit.devservices import DEV_SERVICES, DevService

#: A run migrates four databases and starts every service on a shared machine.
UP_TIMEOUT = 180.0


def eventually(what: str, check: Callable[[], Any], timeout: float = 90.0) -> Any:
    """``check()``'s first truthy answer, or AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


def rows(url: str, table: str) -> list[tuple[Any, ...]]:
    """Every row of ``table`` (password hashes included: whether anything changed)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
    finally:
        engine.dispose()


def accounts(env: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    """The users of every app that has them, as a run's databases hold them."""
    found = {}
    for name, app in APPS.items():
        url = env[app.url_env]
        table = "core.users" if url.startswith("postgresql") else "users"
        try:
            found[name] = rows(url, table)
        except DBAPIError:  # an app without users (Salesforce's SQL schema)
            continue
    return found


def free_ports() -> dict[str, int]:
    ports: dict[str, int] = {}
    while len(set(ports.values())) < len(DEV_SERVICES):
        ports = {s.name: free_port() for s in DEV_SERVICES}
    return ports


def run_env(
    config: Path, folder: Path, data: Path, ports: dict[str, int], **extra: str
) -> dict[str, str]:
    """The environment of a ``make run`` in ``folder`` on ``ports``, its databases SQLite
    files in ``data`` unless ``extra`` names one (``SAP_DATABASE_URL=postgresql…``)."""
    data.mkdir(parents=True, exist_ok=True)
    urls = {app.url_env: f"sqlite:///{data / (name + '.db')}" for name, app in APPS.items()}
    return subprocess_env(
        config,
        NETAPPS_DEV_DIR=str(folder),
        PYTHONUNBUFFERED="1",
        **{f"{s.prefix}PORT": str(ports[s.name]) for s in DEV_SERVICES},
        **{**urls, **extra},
    )


def devrun_command(env: dict[str, str], *words: str) -> subprocess.CompletedProcess[str]:
    """``python -m servicekit.devrun WORDS`` (``make login`` / ``status`` / ``stop`` …)."""
    return subprocess.run(
        [sys.executable, "-m", "servicekit.devrun", *words],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )


@dataclass
class DevRun:
    process: subprocess.Popen[bytes]
    folder: Path
    output: Path
    env: dict[str, str]
    ports: dict[str, int]

    @classmethod
    def start(cls, env: dict[str, str], ports: dict[str, int], output: Path) -> DevRun:
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "servicekit.devrun"],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(process, Path(env["NETAPPS_DEV_DIR"]), output, env, ports)

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_up(self) -> DevRun:
        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"make run exited {self.process.returncode}:\n{self.text()}")
            return "password: " in self.text()

        eventually("make run prints the login", up, UP_TIMEOUT)
        return self

    @property
    def password(self) -> str:
        found = re.findall(r"^  password: (\S+)$", self.text(), re.MULTILINE)
        assert found, self.text()
        return str(found[-1])

    @property
    def ca(self) -> Path:
        return self.folder / "tls" / "ca.pem"

    def url(self, service: DevService) -> str:
        return f"https://127.0.0.1:{self.ports[service.name]}"

    def client(self) -> httpx.Client:
        """A client that trusts the dev CA and nothing else special (as a user's would)."""
        return httpx.Client(verify=ssl.create_default_context(cafile=str(self.ca)), timeout=10)

    def answers(self, service: DevService) -> bool:
        try:
            with self.client() as client:
                return client.get(f"{self.url(service)}/health").status_code == 200
        except httpx.HTTPError:
            return False

    def login(self, service: DevService, password: str | None = None) -> httpx.Response:
        with self.client() as client:
            return client.post(
                f"{self.url(service)}/api/auth/login",
                json={"username": service.login, "password": password or self.password},
            )

    def login_works(self, service: DevService) -> bool:
        """The dev login signs in to ``service``: through ``/api/auth/login`` where the service
        has it; a service that signs in otherwise (Salesforce's OAuth token endpoint) counts as
        working here and is covered by its own tests."""
        with self.client() as client:
            paths = client.get(f"{self.url(service)}/openapi.json").json()["paths"]
        if "/api/auth/login" not in paths:
            return True
        return self.login(service).status_code == 200

    def command(self, *words: str) -> subprocess.CompletedProcess[str]:
        return devrun_command(self.env, *words)

    def make(self, *words: str) -> subprocess.CompletedProcess[str]:
        """``make -s WORDS`` in the repository, as a user types it."""
        return subprocess.run(
            ["make", "-s", *words],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def pids(self) -> dict[str, int | None]:
        done = self.command("status")
        assert done.returncode == 0, done.stderr
        found: dict[str, int | None] = {}
        for line in done.stdout.splitlines():
            name, _, rest = line.partition(":")
            match = re.search(r"running, pid (\d+)", rest)
            found[name] = int(match.group(1)) if match else None
        return found

    def ctrl_c(self) -> None:
        """SIGINT to the run's process group, as Ctrl-C in its terminal sends it."""
        os.killpg(self.process.pid, signal.SIGINT)

    def finish(self, timeout: float = 90) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def kill(self) -> None:
        if self.process.poll() is None:
            self.ctrl_c()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def processes_behind(self) -> list[int]:
        """Live processes started by this run (they carry its folder in their environment)."""
        marker = f"NETAPPS_DEV_DIR={self.folder}\0".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if marker in environ:
                found.append(int(entry.name))
        return found

    def logs(self) -> list[str]:
        return [p.read_text(errors="replace") for p in sorted((self.folder / "logs").glob("*.log"))]
