"""The services as real uvicorn processes wired for the cross-app flows: a hop key per pair,
each replica told where the others listen, and the means to stop, kill (SIGKILL) and restart
any of them on its port. Used by the flows' end-to-end tests and by bench/flows.py.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from services_support import (
    APPS,
    PROCESS_LOGS,
    AppUnderTest,
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
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import URL
from support import REPO

from servicekit.messaging import signing
from servicekit.security import hash_password

#: Fast retries for tests: a stopped service is tried again within a second.
TEST_RELAY_ENV = {
    "RELAY_POLL_SECONDS": "0.2",
    "RELAY_BACKOFF_SECONDS": "0.2",
    "RELAY_BACKOFF_MAX_SECONDS": "1",
    "RELAY_MAX_ATTEMPTS": "1000",
}
SERVICE_ORDER = ("sap", "mulesoft", "servicenow")
#: Salesforce in a cluster: not one of APPS (its API is Salesforce's, not the /api/auth and
#: /api/users the common tests exercise); signed in through its OAuth token endpoint.
SALESFORCE = AppUnderTest(
    name="salesforce",
    module="salesforce_crm.api",
    env_prefix="SALESFORCE_",
    url_env="SALESFORCE_DATABASE_URL",
    roles=("System Administrator",),
    admin_login="admin@example.com",
    user_body=lambda login, password, role: {},
    login_for=lambda role: "",
    service_keys=False,
)
FLOW_APPS = {**APPS, "salesforce": SALESFORCE}
#: The services of the CRM work-order flow (and of the password reset).
WORK_ORDER_SERVICES = ("sap", "mulesoft", "salesforce", "servicenow")
SALESFORCE_API = "/services/data/v62.0"


class FlowCluster:
    """``replicas`` processes of each service, each on its own port and database URL."""

    def __init__(
        self,
        urls: dict[str, URL],
        folder: Path,
        replicas: int = 1,
        relay_env: dict[str, str] | None = None,
        pool_size: int | None = None,
        services: tuple[str, ...] = SERVICE_ORDER,
    ):
        self.services = services
        self.urls = urls
        self.folder = folder
        self.replicas = replicas
        self.relay_env = dict(TEST_RELAY_ENV if relay_env is None else relay_env)
        self.pool_size = pool_size
        #: One hop key per pair of services, as in production: none is shared by all.
        self.pair_keys = {
            frozenset({a, b}): issued(secrets.token_urlsafe(48))
            for i, a in enumerate(services)
            for b in services[i + 1 :]
        }
        self.credentials = {name: Credentials() for name in services}
        self.ports = {name: [free_port() for _ in range(replicas)] for name in services}
        #: Salesforce's connected app (client id and secret) for its OAuth token endpoint.
        self.salesforce_client = (
            f"3MVG9flow{secrets.token_hex(8)}",
            issued(secrets.token_hex(24)),
        )
        self.running: dict[tuple[str, int], ServiceProcess] = {}
        self.clients: dict[str, httpx.Client] = {}
        self.admin: dict[str, dict[str, str]] = {}

    def pair_key(self, a: str, b: str) -> str:
        """The hop key services ``a`` and ``b`` share."""
        return self.pair_keys[frozenset({a, b})]

    # -- processes ----------------------------------------------------------------------
    def peers(self, index: int) -> str:
        """Replica ``index`` of each service talks to replica ``index`` of the others."""
        return ",".join(
            f"{name}=http://127.0.0.1:{ports[index % len(ports)]}"
            for name, ports in self.ports.items()
        )

    def env(self, name: str, index: int, **overrides: str) -> dict[str, str]:
        app = FLOW_APPS[name]
        port = self.ports[name][index]
        env = service_env(app, self.urls[name], port, self.credentials[name])
        p = app.env_prefix
        env[f"{p}HOP_SECRETS"] = ",".join(
            f"{peer}={self.pair_key(name, peer)}" for peer in self.services if peer != name
        )
        if name == "salesforce":
            env[f"{p}BOOTSTRAP_CLIENT_ID"], env[f"{p}BOOTSTRAP_CLIENT_SECRET"] = (
                self.salesforce_client
            )
        env[f"{p}PEERS"] = self.peers(index)
        if self.pool_size:
            env[f"{p}POOL_SIZE"] = str(self.pool_size)
        for key, value in {**self.relay_env, **overrides}.items():
            env[f"{p}{key}"] = value
        return env

    def start(self, name: str, index: int = 0, wait: bool = True, **overrides: str) -> None:
        app = FLOW_APPS[name]
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
        for name in self.services:
            if name == "salesforce":
                migrate_salesforce(self.urls[name])
            else:
                migrate(APPS[name], self.urls[name])
        for name in self.services:
            for index in range(self.replicas):
                self.start(name, index, wait=False)
        for handle in list(self.running.values()):
            wait_healthy(handle)
        for name in self.services:
            if name == "salesforce":
                self.admin[name] = self.salesforce_login()
            else:
                app = APPS[name]
                self.admin[name] = self.login(name, app.admin_login, self.admin_password(name))

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

    def salesforce_login(self) -> dict[str, str]:
        """A System Administrator's Bearer token, by the OAuth password grant."""
        client_id, client_secret = self.salesforce_client
        response = self.call(
            "salesforce",
            "POST",
            "/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": client_id,
                "client_secret": client_secret,
                "username": SALESFORCE.admin_login,
                "password": self.admin_password("salesforce"),
            },
        )
        assert response.status_code == 200, response.text
        token = issued(response.json()["access_token"])
        return {"Authorization": f"Bearer {token}"}

    def salesforce(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to Salesforce's REST API as its administrator."""
        return self.call(
            "salesforce",
            method,
            SALESFORCE_API + path,
            headers=self.admin["salesforce"],
            **kwargs,
        )

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
        """Headers of a signed hop from ``source`` to ``name``'s message route, with the key
        the two share unless ``secret`` is given."""
        key = secret or self.pair_key(source, name)
        return {
            "Content-Type": "application/json",
            **signing.sign(key, source, "POST", "/api/messages", body, at),
        }


def migrate_salesforce(url: URL) -> None:
    """Salesforce's SQL migrations to head, through netapps as a user runs them."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env["SALESFORCE_DATABASE_URL"] = url.render_as_string(hide_password=False)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("netapps")), "migrate", "salesforce"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


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


@dataclass
class ManyResets:
    """What ``drive_resets`` saw: per correlation id, when its request was accepted and when
    SAP first listed its ticket; and how long the whole batch took to complete."""

    requested_at: dict[str, float] = field(default_factory=dict)
    opened_at: dict[str, float] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0
    #: Seconds spent making the SAP users before the clock started.
    setup_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    #: Seconds from each ServiceNow ticket's creation to its SAP ticket's, as the databases
    #: recorded them (one clock, the machine's), sorted.
    to_sap_ticket: list[float] = field(default_factory=list)


async def drive_resets(
    cluster: FlowCluster,
    count: int,
    concurrency: int = 50,
    timeout: float = 120.0,
    midway: Callable[[], None] | None = None,
) -> ManyResets:
    """``count`` SAP users, a reset requested for each at once (``concurrency`` in flight,
    spread over the ServiceNow replicas); SAP's administrator resets each ticket as soon as
    it is listed (spread over the SAP replicas); done when the platform reports every run
    succeeded. ``midway`` runs (in a thread) once half the requests were accepted."""
    gate = asyncio.Semaphore(concurrency)
    replicas = cluster.replicas
    clients = {
        (name, i): httpx.AsyncClient(base_url=cluster.base_url(name, i), timeout=60)
        for name in cluster.services
        for i in range(replicas)
    }
    seen = ManyResets()
    try:
        admin_sap = cluster.admin["sap"]

        setup_start = time.monotonic()
        usernames = await asyncio.to_thread(bulk_sap_users, cluster.urls["sap"], count)
        seen.setup_seconds = time.monotonic() - setup_start
        requester = cluster.servicenow_user()
        midway_task: asyncio.Task[None] | None = None
        seen.started = time.monotonic()

        async def request(i: int, username: str) -> None:
            nonlocal midway_task
            async with gate:
                r = await clients["servicenow", i % replicas].post(
                    "/api/password-resets",
                    json={"sap_username": username},
                    headers={**requester, "Idempotency-Key": f"bulk-{username}"},
                )
            assert r.status_code == 201, r.text
            ticket = r.json()
            seen.requested_at[ticket["correlation_id"]] = time.monotonic()
            seen.numbers[ticket["correlation_id"]] = ticket["ticket_number"]
            if midway is not None and midway_task is None and len(seen.requested_at) >= count // 2:
                midway_task = asyncio.create_task(asyncio.to_thread(midway))

        async def reset(i: int, sap_ticket_id: str) -> None:
            last = ""
            give_up = time.monotonic() + timeout
            while time.monotonic() < give_up:  # SAP may be restarting
                try:
                    async with gate:
                        r = await clients["sap", i % replicas].post(
                            f"/api/password-resets/{sap_ticket_id}/reset", headers=admin_sap
                        )
                    if r.status_code == 200:
                        issued(r.json()["temporary_password"])
                        return
                    if r.status_code == 409:  # an earlier try went through, its answer lost
                        return
                    assert r.status_code >= 500, r.text
                    last = f"{r.status_code} {r.text[:200]}"
                except httpx.TransportError as exc:
                    last = type(exc).__name__
                await asyncio.sleep(0.2)
            raise AssertionError(f"could not reset {sap_ticket_id}: {last}")

        async def admin_loop() -> None:
            """Lists open tickets, resets each once, until every request has its ticket."""
            resets: list[asyncio.Task[None]] = []
            acted: set[str] = set()
            turn = 0
            deadline = time.monotonic() + timeout
            while len(seen.opened_at) < count and time.monotonic() < deadline:
                turn += 1
                try:
                    r = await clients["sap", turn % replicas].get(
                        "/api/password-resets",
                        params={"status": "open", "limit": 500},
                        headers=admin_sap,
                    )
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
                    continue
                now = time.monotonic()
                if r.status_code == 200:
                    for t in r.json():
                        cid = t["correlation_id"]
                        if cid in seen.requested_at and t["sap_ticket_id"] not in acted:
                            seen.opened_at.setdefault(cid, now)
                            acted.add(t["sap_ticket_id"])
                            resets.append(
                                asyncio.create_task(reset(len(acted), t["sap_ticket_id"]))
                            )
                await asyncio.sleep(0.5)
            await asyncio.gather(*resets)

        requests = asyncio.gather(*(request(i, u) for i, u in enumerate(usernames)))
        admin = asyncio.create_task(admin_loop())
        await requests
        await admin
        assert len(seen.opened_at) == count, f"{len(seen.opened_at)} of {count} SAP tickets"
        # Completion read from the platform's database: polling its API for 200 runs would
        # take the CPU the flows need.
        wanted = "', '".join(seen.requested_at)
        count_sql = (
            f"SELECT count(*) FROM flow_runs WHERE status = 'succeeded' "
            f"AND correlation_id IN ('{wanted}')"
        )
        deadline = time.monotonic() + timeout
        done = 0
        while time.monotonic() < deadline:
            done = await asyncio.to_thread(scalar, cluster.urls["mulesoft"], count_sql)
            if done == count:
                break
            await asyncio.sleep(0.5)
        seen.finished = time.monotonic()
        assert done == count, f"{done} of {count} flows succeeded in {timeout} s"
        if midway_task is not None:
            await midway_task
        seen.to_sap_ticket = await asyncio.to_thread(
            creation_gaps, cluster.urls["servicenow"], cluster.urls["sap"], set(seen.requested_at)
        )
    finally:
        for client in clients.values():
            await client.aclose()
    return seen


def _created(url: URL, sql: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {str(cid): created for cid, created in conn.execute(text(sql))}
    finally:
        engine.dispose()


def creation_gaps(servicenow: URL, sap: URL, correlation_ids: set[str]) -> list[float]:
    """Seconds between each flow's ServiceNow ticket and its SAP ticket being written."""
    requested = _created(
        servicenow,
        "SELECT correlation_id, created_at FROM tickets WHERE correlation_id IS NOT NULL",
    )
    opened = _created(sap, "SELECT correlation_id, created_at FROM password_reset_tickets")
    return sorted(
        (opened[cid] - requested[cid]).total_seconds()
        for cid in correlation_ids
        if cid in opened and cid in requested
    )


def bulk_sap_users(url: URL, count: int) -> list[str]:
    """``count`` active SAP users written straight into SAP's database, sharing one argon2
    hash of a throwaway password (set-up only: making each through the API would hash
    ``count`` passwords before the measured part begins)."""
    names = [f"bulk-{secrets.token_hex(6)}" for _ in range(count)]
    password_hash = asyncio.run(hash_password(secrets.token_urlsafe(16)))
    core = "" if url.get_backend_name() == "sqlite" else "core."
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO {core}users (username, password_hash, status, "
                    "must_change_password) VALUES (:name, :hash, 'active', false)"
                ),
                [{"name": n, "hash": password_hash} for n in names],
            )
            conn.execute(
                text(
                    f"INSERT INTO {core}user_roles (user_id, role) SELECT id, 'Store_Manager' "
                    f"FROM {core}users WHERE username LIKE 'bulk-%' AND id NOT IN "
                    f"(SELECT user_id FROM {core}user_roles)"
                )
            )
    finally:
        engine.dispose()
    return names


def restart(cluster: FlowCluster, name: str) -> None:
    """Every replica of ``name`` stopped, then started again."""
    for index in range(cluster.replicas):
        cluster.stop(name, index)
    for index in range(cluster.replicas):
        cluster.start(name, index)


def scalar(url: URL, sql: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()
