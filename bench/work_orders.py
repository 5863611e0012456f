#!/usr/bin/env python3
"""The CRM work-order flow end to end: ``.venv/bin/python bench/work_orders.py`` (bench/README.md).

Salesforce, the integration platform and SAP_clone, each process its own uvicorn started as
``make run`` starts it (``--replicas 1,2``: one process per service, then two), on PostgreSQL
(127.0.0.1:5432, user postgres; three databases per replica count made for the run and
dropped at the end), with the product's relay settings (poll 0.5 s, batches of 20, backoff
from 1 s). ServiceNow plays no part in this flow and is not started.

Per round, untimed: a cluster started on that replica count's databases, ``--materials`` SAP
materials with stock for every order and their Product2 records in Salesforce. Then
``--count`` WorkOrders are created at once (``--concurrency`` in flight, spread over the
Salesforce replicas), each with one WorkOrderLineItem of a material in stock, in one
``allOrNone`` composite request: SAP answers ``materials_available`` with no human step. A
work order is complete when Salesforce shows its ``SAP_Work_Order_Id__c`` (the status written
back). Figures, from the rows' timestamps in the three databases (one clock, the machine's;
polling only tells when the batch is over): from the WorkOrder's ``created_at`` (the request's
insert) to the SAP order's ``created_at``, and to the WorkOrder's ``updated_at`` by the
status write-back, p50 and p99; flows completed per second over the batch (first request sent
to the last status written back); each hop's share, and each outbox's wait (a message's
``created_at`` to ``delivered_at``); CPU seconds per order of each service's processes
(Linux's /proc; PostgreSQL's not counted). Then exactly once: N SAP orders for the N CRM ids, N
flow runs and N work-order flows on the platform, N WorkOrders with the SAP id SAP gave
them, one message per order on each hop and nothing dead.
Rounds alternate between the replica counts (1, 2, then 2, 1, ...) when --reps is above 1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import URL, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import REPO, fmt, heading

sys.path.insert(0, str(REPO / "tests" / "services"))
from flow_support import SALESFORCE_API, FlowCluster, flow_cluster
from salesforce_crm.sobjects import ids
from support import write_config

#: The flow's services (ServiceNow has no part in it).
APPS = ("sap", "mulesoft", "salesforce")
#: Each outbox hop of the flow, in order: (service whose outbox, topic).
HOPS = (
    ("salesforce", "crm.work_order.requested"),
    ("mulesoft", "crm.work_order.open"),
    ("sap", "sap.work_order.status_changed"),
    ("mulesoft", "crm.work_order.status"),
)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def create_databases(host: str, port: int, label: str) -> dict[str, URL]:
    urls = {}
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for app in APPS:
            name = f"bench_wo_{app}_{label}_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{name}"')
            urls[app] = make_url(f"postgresql+psycopg://postgres@{host}:{port}/{name}")
    return urls


def drop_databases(urls: dict[str, URL]) -> None:
    if not urls:
        return
    first = next(iter(urls.values()))
    with psycopg.connect(
        host=first.host, port=first.port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for url in urls.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def connect(url: URL) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    )


def rows(url: URL, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connect(url) as conn:
        return list(conn.execute(sql, params).fetchall())


def correlation_id(work_order_id: str) -> str:
    return f"wo-{work_order_id[:15]}"


def row_id(work_order_id: str) -> int:
    decoded = ids.decode(work_order_id)
    assert decoded is not None, work_order_id
    return int(decoded[1])


# -- set-up (untimed) -------------------------------------------------------------------------
def make_materials(cluster: FlowCluster, count: int, stock: int) -> list[str]:
    """``count`` SAP materials with ``stock`` units each and their Product2 in Salesforce (the
    ProductCode is the material number); the Product2 ids."""
    products = []
    for _ in range(count):
        material_id = f"MAT-B-{secrets.token_hex(4).upper()}"
        for path, body in (
            (
                "/api/mm/materials",
                {"material_id": material_id, "description": "Cable", "unit_of_measure": "EA"},
            ),
            (
                "/api/mm/stock-transactions",
                {"material_id": material_id, "transaction_type": "receipt", "quantity": stock},
            ),
        ):
            r = cluster.call("sap", "POST", path, json=body, headers=cluster.admin["sap"])
            assert r.status_code == 201, r.text
        r = cluster.salesforce(
            "POST",
            "/sobjects/Product2/",
            json={"Name": f"Cable {material_id}", "ProductCode": material_id},
        )
        assert r.status_code == 201, r.text
        products.append(str(r.json()["id"]))
    return products


def composite(product_id: str, subject: str) -> dict[str, Any]:
    """A WorkOrder and its one line item, in one transaction (``allOrNone``)."""
    return {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"{SALESFORCE_API}/sobjects/WorkOrder",
                "referenceId": "wo",
                "body": {"Subject": subject, "Priority": "High"},
            },
            {
                "method": "POST",
                "url": f"{SALESFORCE_API}/sobjects/WorkOrderLineItem",
                "referenceId": "line0",
                "body": {"WorkOrderId": "@{wo.id}", "Product2Id": product_id, "Quantity": 1},
            },
        ],
    }


# -- one batch ----------------------------------------------------------------------------------
@dataclass
class Batch:
    replicas: int
    count: int
    #: The WorkOrders created (18-character ids), and each request's round trip as the
    #: client saw it (seconds).
    work_orders: list[str] = field(default_factory=list)
    round_trips: list[float] = field(default_factory=list)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    #: When the last status was written back (the WorkOrders' updated_at).
    finished: dt.datetime | None = None
    to_sap_order: list[float] = field(default_factory=list)
    to_written_back: list[float] = field(default_factory=list)
    #: Per hop, seconds between one step's row and the next one's (see ``hops``).
    hops: dict[str, list[float]] = field(default_factory=dict)
    #: Per (service, topic): messages, and each one's created_at -> delivered_at.
    outbox_waits: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)
    #: CPU seconds each service's processes (all replicas) and this client spent from the
    #: first request to the last status written back.
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        assert self.finished is not None
        return (self.finished - self.started).total_seconds()

    @property
    def rate(self) -> float:
        return self.count / self.seconds


async def create_work_orders(
    cluster: FlowCluster, batch: Batch, products: list[str], concurrency: int
) -> None:
    """The batch's WorkOrders, ``concurrency`` requests in flight over the Salesforce replicas."""
    gate = asyncio.Semaphore(concurrency)
    clients = [
        httpx.AsyncClient(base_url=cluster.base_url("salesforce", i), timeout=120)
        for i in range(cluster.replicas)
    ]
    headers = cluster.admin["salesforce"]
    try:

        async def create(i: int) -> None:
            body = composite(products[i % len(products)], f"Bench work order {i}")
            async with gate:
                sent = time.monotonic()
                r = await clients[i % len(clients)].post(
                    f"{SALESFORCE_API}/composite/", json=body, headers=headers
                )
                batch.round_trips.append(time.monotonic() - sent)
            assert r.status_code == 200, r.text
            answers = r.json()["compositeResponse"]
            assert all(a["httpStatusCode"] == 201 for a in answers), answers
            batch.work_orders.append(str(answers[0]["body"]["id"]))

        batch.started = dt.datetime.now(dt.UTC)
        await asyncio.gather(*(create(i) for i in range(batch.count)))
    finally:
        for client in clients:
            await client.aclose()


def wait_written_back(url: URL, row_ids: list[int], timeout: float) -> None:
    """Until every WorkOrder shows its SAP id (a poll of Salesforce's database, 0.25 s)."""
    deadline = time.monotonic() + timeout
    done = 0
    with connect(url) as conn:
        while time.monotonic() < deadline:
            found = conn.execute(
                "SELECT count(*) FROM work_orders WHERE id = ANY(%s) "
                "AND sap_work_order_id IS NOT NULL",
                (row_ids,),
            ).fetchone()
            done = int(found[0]) if found else 0
            if done == len(row_ids):
                return
            time.sleep(0.25)
    raise AssertionError(f"{done} of {len(row_ids)} WorkOrders written back in {timeout} s")


def wait_outboxes_settled(urls: dict[str, URL], cids: list[str], timeout: float) -> None:
    """Until no message of these flows is pending in any outbox (the last hop's delivery is
    recorded after Salesforce answered it)."""
    deadline = time.monotonic() + timeout
    pending = -1
    while time.monotonic() < deadline:
        pending = sum(
            rows(
                url,
                "SELECT count(*) FROM outbox_messages WHERE correlation_id = ANY(%s) "
                "AND status = 'pending'",
                cids,
            )[0][0]
            for url in urls.values()
        )
        if pending == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"{pending} messages still pending after {timeout} s")


def measure(urls: dict[str, URL], batch: Batch) -> None:
    """The batch's figures from the three databases, and its exactly-once checks."""
    wo_ids = batch.work_orders
    n = len(wo_ids)
    assert n == batch.count, f"{n} of {batch.count} WorkOrders created"
    by_row = {row_id(w): w for w in wo_ids}
    cids = [correlation_id(w) for w in wo_ids]

    salesforce = {
        by_row[r[0]]: r[1:]
        for r in rows(
            urls["salesforce"],
            "SELECT id, created_at, updated_at, sap_work_order_id, sap_status, status "
            "FROM work_orders WHERE id = ANY(%s)",
            list(by_row),
        )
    }
    sap = rows(
        urls["sap"],
        "SELECT o.crm_reference_id, o.work_order_id, o.created_at, o.flow_status, "
        "(SELECT count(*) FROM pm.work_order_flow_history h "
        " WHERE h.work_order_id = o.work_order_id) "
        "FROM pm.crm_work_orders o WHERE o.crm_reference_id = ANY(%s)",
        wo_ids,
    )
    runs = rows(
        urls["mulesoft"],
        "SELECT correlation_id, flow, status FROM flow_runs WHERE correlation_id = ANY(%s)",
        cids,
    )
    flows = rows(
        urls["mulesoft"],
        "SELECT correlation_id, salesforce_work_order_id, sap_work_order_id "
        "FROM work_order_flows WHERE correlation_id = ANY(%s)",
        cids,
    )
    messages: dict[tuple[str, str], list[tuple[str, dt.datetime, dt.datetime | None, str]]] = (
        defaultdict(list)
    )
    for service, url in urls.items():
        for cid, topic, created, delivered, status in rows(
            url,
            "SELECT correlation_id, topic, created_at, delivered_at, status "
            "FROM outbox_messages WHERE correlation_id = ANY(%s)",
            cids,
        ):
            messages[service, topic].append((cid, created, delivered, status))

    # -- exactly once ----------------------------------------------------------------------
    sap_by_crm = {r[0]: r for r in sap}
    assert len(sap) == n and set(sap_by_crm) == set(wo_ids), (
        f"{len(sap)} SAP orders for {n} CRM ids ({len(set(sap_by_crm) & set(wo_ids))} matched)"
    )
    not_available = [r for r in sap if r[3] != "materials_available" or r[4] != 1]
    assert not not_available, f"SAP orders not simply materials_available: {not_available[:3]}"
    assert len(runs) == n and {r[0] for r in runs} == set(cids), f"{len(runs)} flow runs for {n}"
    assert all(r[1] == "crm_work_order" for r in runs), runs[:3]
    assert len(flows) == n, f"{len(flows)} work-order flows on the platform for {n}"
    assert all(f[2] == sap_by_crm[f[1]][1] for f in flows), "platform's SAP ids differ from SAP's"
    written = [
        w
        for w in wo_ids
        if salesforce[w][2] == sap_by_crm[w][1]
        and salesforce[w][3] == "materials_available"
        and salesforce[w][4] == "New"
    ]
    assert len(written) == n, f"{len(written)} of {n} WorkOrders carry their SAP order's id"
    for service, topic in HOPS:
        sent = messages.get((service, topic), [])
        assert len(sent) == n and {m[0] for m in sent} == set(cids), (
            f"{service} sent {len(sent)} {topic} for {n} work orders"
        )
    extra = {k: len(v) for k, v in messages.items() if k not in HOPS}
    assert not extra, f"messages outside the flow's hops: {extra}"
    dead = [m for v in messages.values() for m in v if m[3] != "delivered"]
    assert not dead, f"{len(dead)} messages not delivered: {dead[:3]}"

    # -- figures ---------------------------------------------------------------------------
    batch.to_sap_order = [(sap_by_crm[w][2] - salesforce[w][0]).total_seconds() for w in wo_ids]
    batch.to_written_back = [(salesforce[w][1] - salesforce[w][0]).total_seconds() for w in wo_ids]
    batch.finished = max(salesforce[w][1] for w in wo_ids)
    created = {key: {m[0]: m[1] for m in v} for key, v in messages.items()}
    steps: list[tuple[str, dict[str, dt.datetime]]] = [
        ("WorkOrder inserted", {correlation_id(w): salesforce[w][0] for w in wo_ids}),
        ("platform forwards it", created["mulesoft", "crm.work_order.open"]),
        ("SAP order opened", {correlation_id(w): sap_by_crm[w][2] for w in wo_ids}),
        ("platform sends status", created["mulesoft", "crm.work_order.status"]),
        ("WorkOrder updated", {correlation_id(w): salesforce[w][1] for w in wo_ids}),
    ]
    for (_, before), (label, after) in itertools.pairwise(steps):
        batch.hops[label] = [(after[c] - before[c]).total_seconds() for c in cids]
    for key in HOPS:
        batch.outbox_waits[key] = [
            (m[2] - m[1]).total_seconds() for m in messages[key] if m[2] is not None
        ]


def cpu_seconds(cluster: FlowCluster) -> dict[str, float]:
    """User + system CPU seconds so far of each service's processes (Linux's /proc), and of
    this process (the client)."""
    tick = os.sysconf("SC_CLK_TCK")
    spent: dict[str, float] = defaultdict(float)
    for (name, _), handle in cluster.running.items():
        try:
            fields = Path(f"/proc/{handle.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            spent[name] += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            spent[name] = float("nan")
    spent["client"] = time.process_time()
    return dict(spent)


def run_batch(
    cluster: FlowCluster,
    urls: dict[str, URL],
    count: int,
    materials: int,
    concurrency: int,
    timeout: float,
) -> Batch:
    products = make_materials(cluster, materials, stock=count)
    batch = Batch(replicas=cluster.replicas, count=count)
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(cluster)
    asyncio.run(create_work_orders(cluster, batch, products, concurrency))
    wait_written_back(urls["salesforce"], [row_id(w) for w in batch.work_orders], timeout)
    cpu_after = cpu_seconds(cluster)
    batch.cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    batch.load = (load_before, os.getloadavg()[0])
    wait_outboxes_settled(urls, [correlation_id(w) for w in batch.work_orders], timeout=60)
    measure(urls, batch)
    return batch


# -- report ------------------------------------------------------------------------------------
def p50_p99(values: list[float]) -> str:
    return f"p50 {fmt(percentile(values, 0.5))}, p99 {fmt(percentile(values, 0.99))}"


def describe(label: str, batches: list[Batch]) -> None:
    rate = statistics.median(b.rate for b in batches)
    seconds = statistics.median(b.seconds for b in batches)
    to_sap = [s for b in batches for s in b.to_sap_order]
    back = [s for b in batches for s in b.to_written_back]
    trips = [s for b in batches for s in b.round_trips]
    loads = ", ".join(f"{b.load[0]:.1f}->{b.load[1]:.1f}" for b in batches)
    print(
        f"{label:<26} {rate:.1f} flows/s (whole batch {fmt(seconds)}), n={len(batches)}, "
        f"load average {loads}\n"
        f"{'':<28}request -> SAP order opened: {p50_p99(to_sap)}\n"
        f"{'':<28}request -> SAP id on the WorkOrder: {p50_p99(back)}\n"
        f"{'':<28}composite request as the client saw it: {p50_p99(trips)}",
        flush=True,
    )


def describe_hops(label: str, batches: list[Batch]) -> None:
    cpu = {
        name: statistics.median(b.cpu[name] / b.count for b in batches) for name in batches[0].cpu
    }
    print(
        f"{label}: CPU per work order during the batch (all replicas): "
        + ", ".join(f"{name} {fmt(value)}" for name, value in cpu.items())
        + f"; total {fmt(sum(cpu.values()))}",
        flush=True,
    )
    print(f"{label}: where the time goes (each step's row to the next one's)", flush=True)
    for hop in batches[0].hops:
        values = [s for b in batches for s in b.hops[hop]]
        print(f"  -> {hop:<24} {p50_p99(values)}", flush=True)
    for service, topic in HOPS:
        values = [s for b in batches for s in b.outbox_waits[service, topic]]
        print(f"  {service + ' outbox, ' + topic:<52} wait {p50_p99(values)}", flush=True)


def rounds(reps: int, replica_counts: list[int]) -> Iterator[int]:
    """Each replica count once per repetition, the order turning (1, 2, then 2, 1, ...)."""
    for rep in range(reps):
        shift = rep % len(replica_counts)
        yield from replica_counts[shift:] + replica_counts[:shift]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="work orders per batch (100)")
    parser.add_argument(
        "--replicas", default="1,2", help="processes per service, comma-separated (1,2)"
    )
    parser.add_argument("--reps", type=int, default=1, help="batches per replica count (1)")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight (50)")
    parser.add_argument(
        "--materials", type=int, default=10, help="SAP materials the lines share (10)"
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=4,
        help="POOL_SIZE of each process (4: 6 processes stay under PostgreSQL's 100 connections)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds a batch may take")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    args = parser.parse_args()
    replica_counts = [int(r) for r in args.replicas.split(",") if r.strip()]
    databases: dict[int, dict[str, URL]] = {}
    try:
        for replicas in replica_counts:
            databases[replicas] = create_databases(args.host, args.port, f"{replicas}r")
    except psycopg.Error as exc:
        for urls in databases.values():
            drop_databases(urls)
        print(
            f"error: PostgreSQL on {args.host}:{args.port} is needed ({type(exc).__name__})",
            file=sys.stderr,
        )
        return 3
    batches: dict[int, list[Batch]] = {r: [] for r in replica_counts}
    with tempfile.TemporaryDirectory(prefix="bench-work-orders-") as tmp:
        folder = Path(tmp)
        os.environ["NETAPPS_CONFIG"] = str(
            write_config(folder / "netapps.toml", backups=folder / "backups")
        )
        try:
            heading(
                f"CRM work-order flow: {args.count} work orders, {args.concurrency} in flight, "
                f"replicas {args.replicas}, PostgreSQL; load average at start "
                + "/".join(f"{v:.1f}" for v in os.getloadavg())
            )
            for index, replicas in enumerate(rounds(args.reps, replica_counts)):
                logs = folder / f"round-{index}"
                logs.mkdir()
                urls = databases[replicas]
                with flow_cluster(
                    urls, logs, replicas, relay_env={}, pool_size=args.pool_size, services=APPS
                ) as cluster:
                    batch = run_batch(
                        cluster, urls, args.count, args.materials, args.concurrency, args.timeout
                    )
                batches[replicas].append(batch)
                describe(
                    f"{replicas} replica(s), batch {len(batches[replicas])}",
                    batches[replicas][-1:],
                )
            print(flush=True)
            for replicas in replica_counts:
                describe(f"{replicas} replica(s) per service", batches[replicas])
            for replicas in replica_counts:
                describe_hops(f"{replicas} replica(s) per service", batches[replicas])
            # Exactly once over the whole run: one SAP order, one run per work order.
            for replicas, urls in databases.items():
                made = sum(len(b.work_orders) for b in batches[replicas])
                counts = [
                    rows(urls["sap"], "SELECT count(*) FROM pm.crm_work_orders")[0][0],
                    rows(urls["mulesoft"], "SELECT count(*) FROM flow_runs")[0][0],
                    rows(
                        urls["salesforce"],
                        "SELECT count(*) FROM work_orders WHERE sap_work_order_id IS NOT NULL",
                    )[0][0],
                ]
                assert counts == [made] * 3, (replicas, made, counts)
                print(
                    f"exactly once, {replicas} replica(s): {made} WorkOrders -> {counts[0]} SAP "
                    f"orders, {counts[1]} flow runs, {counts[2]} WorkOrders with their SAP id; "
                    "one message per order on each hop, none dead",
                    flush=True,
                )
            print(
                "load average at end " + "/".join(f"{v:.1f}" for v in os.getloadavg()), flush=True
            )
        finally:
            for urls in databases.values():
                drop_databases(urls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
