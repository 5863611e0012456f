"""Two SAP processes (replicas under uvicorn) on one database, SQLite file or PostgreSQL:
work orders started at the same moment through different replicas for the last unit of
stock. One start wins, the other is a 409; the stock never goes below zero and each order
that started has exactly one issue row per line."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from services_support import APPS, Credentials, ServiceProcess, migrate, service_process
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

SAP = APPS["sap"]
ROUNDS = 5
POOL = {"SAP_POOL_SIZE": "4"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def replicas(
    request: pytest.FixtureRequest,
    module_databases: Callable[[str], URL],
    tmp_path_factory: pytest.TempPathFactory,
    _test_config: Path,
) -> Iterator[tuple[URL, list[ServiceProcess]]]:
    url = module_databases(str(request.param))
    folder = tmp_path_factory.mktemp("sap-replicas")
    credentials = Credentials()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETAPPS_CONFIG", str(_test_config))
        migrate(SAP, url)
        with (
            service_process(SAP, url, folder, credentials, POOL) as first,
            service_process(SAP, url, folder, credentials, POOL) as second,
        ):
            yield url, [first, second]


def _table(url: URL, name: str) -> str:
    return name.split(".", 1)[1] if url.get_backend_name() == "sqlite" else name


def _execute(url: URL, sql: str, values: dict[str, Any] | None = None) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), values or {})
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def _order_for(url: URL, material_id: str) -> str:
    """A CRM work order whose one line needs one unit, as the flow leaves it after the check."""
    order_id = f"WO-REPLICA-{secrets.token_hex(4).upper()}"
    _execute(
        url,
        f"INSERT INTO {_table(url, 'pm.crm_work_orders')} "
        "(work_order_id, crm_reference_id, title, priority, flow_status) "
        "VALUES (:id, :crm, 'replica race', 'medium', 'materials_available')",
        {"id": order_id, "crm": f"0WO{secrets.token_hex(6)}"},
    )
    _execute(
        url,
        f"INSERT INTO {_table(url, 'pm.work_order_materials')} "
        "(work_order_id, material_id, quantity_required, quantity_available) "
        "VALUES (:id, :material, 1, 1)",
        {"id": order_id, "material": material_id},
    )
    return order_id


def _at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Each call in a thread of its own, released together."""
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def test_starts_through_two_replicas_for_the_last_stock(
    replicas: tuple[URL, list[ServiceProcess]],
) -> None:
    url, processes = replicas
    password = processes[0].credentials.admin_password
    clients = [httpx.Client(base_url=p.base_url, timeout=30) for p in processes]
    try:
        token = (
            clients[0]
            .post("/api/auth/login", json={"username": SAP.admin_login, "password": password})
            .json()["access_token"]
        )
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(ROUNDS):
            material = f"MAT-R-{secrets.token_hex(4).upper()}"
            body = {"material_id": material, "description": "last one", "unit_of_measure": "EA"}
            assert clients[0].post("/api/mm/materials", json=body, headers=headers).is_success
            receipt = {"material_id": material, "transaction_type": "receipt", "quantity": 1}
            moved = clients[1].post("/api/mm/stock-transactions", json=receipt, headers=headers)
            assert moved.status_code == 201, moved.text
            orders = [_order_for(url, material), _order_for(url, material)]
            # Two orders for the one unit, and one order started twice, through both replicas.
            responses = _at_once(
                [
                    lambda c=client, o=order: c.post(
                        f"/api/pm/work-orders/{o}/start", headers=headers
                    )
                    for client, order in zip(clients, orders, strict=True)
                ]
                + [
                    lambda c=client, o=orders[0]: c.post(
                        f"/api/pm/work-orders/{o}/start", headers=headers
                    )
                    for client in clients
                ]
            )
            codes = sorted(r.status_code for r in responses)
            assert codes == [200, 409, 409, 409], [r.text for r in responses]
            assert all("Traceback" not in r.text for r in responses)
            stock = _execute(
                url,
                f"SELECT quantity FROM {_table(url, 'mm.materials')} WHERE material_id = :m",
                {"m": material},
            )
            assert stock == [(0,)]
            movements = _table(url, "mm.stock_transactions")
            issues = _execute(
                url,
                f"SELECT reference_doc, quantity_change FROM {movements} "
                "WHERE material_id = :m AND transaction_type = 'issue'",
                {"m": material},
            )
            started = _execute(
                url,
                f"SELECT work_order_id FROM {_table(url, 'pm.crm_work_orders')} "
                "WHERE work_order_id IN (:a, :b) AND flow_status = 'in_progress'",
                {"a": orders[0], "b": orders[1]},
            )
            assert len(started) == 1 and issues == [(started[0][0], -1)]
    finally:
        for client in clients:
            client.close()
