#!/usr/bin/env python3
"""The password-reset flow end to end: ``.venv/bin/python bench/flows.py`` (bench/README.md).

Two replicas of each service (SAP_clone, the integration platform, ServiceNow), each replica
its own uvicorn process, on PostgreSQL (127.0.0.1:5432, user postgres; three databases made
for the run and dropped at the end), with the product's relay settings (poll 0.5 s, backoff
from 1 s). 200 resets requested at once (50 in flight) from ServiceNow; SAP's administrator
resets each ticket as soon as SAP lists it (polling every 0.5 s); a flow is complete when its
run is succeeded in the platform's database (ServiceNow accepted the outcome). Figures:
flows completed per second over the whole batch (first request sent to last run succeeded),
and p50 / p99 from the ServiceNow ticket to the SAP ticket, from the two rows' created_at
(one clock: the machine's).
The same again with SAP (both replicas) restarted once half the requests are in.
The two scenarios alternate when --reps is above 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import REPO, Results, Row, fmt, heading, ratio

sys.path.insert(0, str(REPO / "tests" / "services"))
from flow_support import FlowCluster, ManyResets, drive_resets, flow_cluster, restart
from support import write_config

APPS = ("sap", "mulesoft", "servicenow")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def create_databases(host: str, port: int) -> dict[str, URL]:
    urls = {}
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for app in APPS:
            name = f"bench_flow_{app}_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{name}"')
            urls[app] = make_url(f"postgresql+psycopg://postgres@{host}:{port}/{name}")
    return urls


def drop_databases(urls: dict[str, URL]) -> None:
    first = next(iter(urls.values()))
    with psycopg.connect(
        host=first.host, port=first.port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for url in urls.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def scenario(cluster: FlowCluster, count: int, restart_sap: bool) -> ManyResets:
    midway = (lambda: restart(cluster, "sap")) if restart_sap else None
    return asyncio.run(drive_resets(cluster, count, concurrency=50, timeout=600, midway=midway))


def describe(label: str, runs: list[ManyResets], count: int) -> tuple[float, str]:
    rates = [count / r.seconds for r in runs]
    latencies = [s for r in runs for s in r.to_sap_ticket]
    rate = statistics.median(rates)
    text = (
        f"{rate:.1f} flows/s (whole batch {fmt(statistics.median(r.seconds for r in runs))}), "
        f"request -> SAP ticket p50 {fmt(percentile(latencies, 0.5))}, "
        f"p99 {fmt(percentile(latencies, 0.99))}, n={len(runs)} "
        f"(setup: users made in {fmt(statistics.median(r.setup_seconds for r in runs))})"
    )
    print(f"{label:<28} {text}", flush=True)
    return rate, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resets", type=int, default=200, help="resets per batch (200)")
    parser.add_argument("--replicas", type=int, default=2, help="processes per service (2)")
    parser.add_argument("--reps", type=int, default=1, help="batches per scenario (1)")
    parser.add_argument(
        "--pool-size",
        type=int,
        default=4,
        help="POOL_SIZE of each process (4: 6 processes stay under PostgreSQL's 100 connections)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    args = parser.parse_args()
    try:
        urls = create_databases(args.host, args.port)
    except psycopg.Error as exc:
        print(
            f"error: PostgreSQL on {args.host}:{args.port} is needed ({type(exc).__name__})",
            file=sys.stderr,
        )
        return 3
    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench-flows-") as tmp:
        folder = Path(tmp)
        os.environ["NETAPPS_CONFIG"] = str(
            write_config(folder / "netapps.toml", backups=folder / "backups")
        )
        try:
            heading(
                f"password-reset flow: {args.resets} resets, {args.replicas} replicas per "
                "service, PostgreSQL"
            )
            with flow_cluster(
                urls, folder, args.replicas, relay_env={}, pool_size=args.pool_size
            ) as cluster:
                runs: dict[str, list[ManyResets]] = {"steady": [], "SAP restarted midway": []}
                for rep in range(args.reps):
                    for label in runs:
                        runs[label].append(
                            scenario(cluster, args.resets, restart_sap=label != "steady")
                        )
                        describe(f"{label} (batch {rep + 1})", runs[label][-1:], args.resets)
                steady, steady_text = describe("steady", runs["steady"], args.resets)
                restarted, restarted_text = describe(
                    "SAP restarted midway", runs["SAP restarted midway"], args.resets
                )
            results.add(Row("flows, steady", steady_text, "-", "-", None))
            results.add(
                Row(
                    "flows, SAP restarted midway",
                    restarted_text,
                    f"{ratio(restarted, steady):.2f}x the steady rate",
                    "every flow completes",
                    True,
                )
            )
        finally:
            drop_databases(urls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
