#!/usr/bin/env python3
"""The services' throughput and latency: ``.venv/bin/python bench/services.py`` (bench/README.md).

SAP_clone and ServiceNow on PostgreSQL (127.0.0.1:5432, user postgres; a database created
for the run and dropped at the end), each served by one uvicorn worker in its own process.
The tables hold 10,000 tickets before measuring. For ticket create and ticket list (50 rows):
requests per second and p50 / p99 latency as the client sees them, with 1 and 4 requests
in flight (--concurrency); and the database round trips one request makes, counted in-process with
SQLAlchemy's events (statements, BEGIN and COMMIT).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import event

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
SEEDED = 10_000

#: app -> (module, env prefix, database variable, admin login, create path, create body)
SERVICES: dict[str, tuple[str, str, str, str, str, dict[str, Any]]] = {
    "sap": ("sap_clone.api", "SAP_", "SAP_DATABASE_URL", "admin", "/api/tickets",
            {"ticket_type": "Incident", "module": "PM", "title": "bench ticket"}),
    "servicenow": ("servicenow.api", "SERVICENOW_", "SERVICENOW_DATABASE_URL",
                   "admin@example.com", "/api/tickets", {"title": "bench ticket"}),
}  # fmt: skip


@contextmanager
def postgres_database(admin: str) -> Iterator[str]:
    name = f"bench_services_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(app: str, dsn: str) -> None:
    """10,000 tickets, written directly (the benchmark measures the service, not the seed)."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        if app == "sap":
            rows = [(f"TKT-PM-20200101-{i:06d}", f"seeded {i}") for i in range(1, SEEDED + 1)]
            cur.executemany(
                "INSERT INTO core.tickets (ticket_id, ticket_type, module, title, created_by)"
                " VALUES (%s, 'Incident', 'PM', %s, 'seed')",
                rows,
            )
        else:
            requester = cur.execute("SELECT min(id) FROM users").fetchone()
            assert requester and requester[0] is not None
            cur.executemany(
                "INSERT INTO tickets (ticket_number, title, requester_id) VALUES (%s, %s, %s)",
                [(f"SEED{i:07d}", f"seeded {i}", requester[0]) for i in range(1, SEEDED + 1)],
            )
        conn.commit()
        # Statistics, as a live table has them (autovacuum would gather them soon anyway).
        cur.execute("ANALYZE")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(
    base: str, headers: dict[str, str], method: str, path: str, body: Any, n: int, conc: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(n))
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def worker() -> None:
            for _ in queue:
                began = time.perf_counter()
                response = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - began)
                assert response.status_code < 300, response.text

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        return time.perf_counter() - began, latencies


def round_trips(app: str, env: dict[str, str], password: str) -> dict[str, int]:
    """Round trips of one create and one list, counted in this process on the real database."""
    os.environ.update(env)
    from asgi_lifespan import LifespanManager

    module = __import__(f"{SERVICES[app][0]}.main", fromlist=["create_app"])
    counts: dict[str, int] = {}

    async def run() -> None:
        application = module.create_app()
        async with LifespanManager(application) as manager:
            engine = application.state.database.engine.sync_engine
            seen = [0]

            def count_statement(*_: Any) -> None:
                seen[0] += 1

            def count_transaction(conn: Any) -> None:
                # In autocommit (the read sessions) BEGIN / COMMIT / ROLLBACK are not sent.
                if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                    seen[0] += 1

            event.listen(engine, "before_cursor_execute", count_statement)
            for name in ("begin", "commit", "rollback"):
                event.listen(engine, name, count_transaction)
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                login = await client.post(
                    "/api/auth/login",
                    json={"username": SERVICES[app][3], "password": password},
                )
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                for label, method, path, body in (
                    ("create", "POST", SERVICES[app][4], SERVICES[app][5]),
                    ("list", "GET", SERVICES[app][4] + "?limit=50", None),
                ):
                    await client.request(method, path, json=body, headers=headers)  # warm
                    seen[0] = 0
                    await client.request(method, path, json=body, headers=headers)
                    counts[label] = seen[0]

    asyncio.run(run())
    return counts


def bench(app: str, dsn: str, requests: int, levels: list[int]) -> None:
    module, prefix, url_env, login, path, body = SERVICES[app]
    password = f"bench-{secrets.token_urlsafe(12)}"
    port = 20000 + secrets.randbelow(20000)
    env = {
        url_env: dsn.replace("postgresql://", "postgresql+psycopg://"),
        f"{prefix}PORT": str(port),
        f"{prefix}BOOTSTRAP_ADMIN_USERNAME": login,
        f"{prefix}BOOTSTRAP_ADMIN_PASSWORD": password,
        f"{prefix}LOGIN_RATE_LIMIT": "1000/minute",
        f"{prefix}LOG_LEVEL": "WARNING",
    }
    full_env = {**os.environ, **env}
    migrate = subprocess.run(
        [str(REPO / ".venv" / "bin" / "netapps"), "migrate", app, "--no-backup"],
        env=full_env,
        capture_output=True,
        text=True,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [str(PYTHON), "-m", module], env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            seed(app, dsn)  # after the start: ServiceNow's tickets need the admin's user id
            token = httpx.post(
                f"{base}/api/auth/login", json={"username": login, "password": password}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for concurrency in levels:
                for label, method, target, payload in (
                    ("create", "POST", path, body),
                    ("list", "GET", f"{path}?limit=50", None),
                ):
                    asyncio.run(load(base, headers, method, target, payload, 50, concurrency))
                    seconds, latencies = asyncio.run(
                        load(base, headers, method, target, payload, requests, concurrency)
                    )
                    print(
                        f"{app:<11} {label:<7} {concurrency:>2} in flight "
                        f"{requests / seconds:7.0f} req/s   "
                        f"p50 {percentile(latencies, 0.5) * 1000:6.1f} ms   "
                        f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms   "
                        f"mean {statistics.fmean(latencies) * 1000:6.1f} ms",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(timeout=20)
    trips = round_trips(app, env, password)
    print(f"{app:<11} database round trips per request: {trips}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--concurrency", default="1,4", help="requests in flight, one run per value: 1,4"
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    print(f"{args.requests} requests per figure, one uvicorn worker, PostgreSQL, "
          f"{SEEDED:,} tickets seeded; load average {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    for app in SERVICES:
        with postgres_database(args.postgres) as dsn:
            bench(app, dsn, args.requests, levels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
