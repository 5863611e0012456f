"""The CRM work-order flow end to end: a WorkOrder created in Salesforce with its line items →
the integration platform → an order in SAP, checked against the stock, and every SAP status
back onto the WorkOrder. Four real uvicorn processes on databases migrated by netapps, on
SQLite and on PostgreSQL; exactly once, whatever is delivered twice, stopped or killed."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flow_support import WORK_ORDER_SERVICES, FlowCluster, flow_cluster, wait_for
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

#: How long a hop may take here (the issue's "within 10 s" is for the whole happy path).
HOP = 10.0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cluster(
    request: pytest.FixtureRequest,
    module_databases: Callable[[str], URL],
    tmp_path_factory: pytest.TempPathFactory,
    _test_config: Path,
) -> Iterator[FlowCluster]:
    urls = {name: module_databases(str(request.param)) for name in WORK_ORDER_SERVICES}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETAPPS_CONFIG", str(_test_config))
        with flow_cluster(
            urls, tmp_path_factory.mktemp("wo-logs"), services=WORK_ORDER_SERVICES
        ) as started:
            yield started


# -- the two ends -------------------------------------------------------------------------
def _sap(cluster: FlowCluster, method: str, path: str, **kwargs: Any) -> Any:
    response = cluster.call("sap", method, path, headers=cluster.admin["sap"], **kwargs)
    assert response.status_code in (200, 201), (method, path, response.text)
    return response.json()


def _material(cluster: FlowCluster, stock: int) -> str:
    """A new SAP material with ``stock`` units, and its Product2 in Salesforce."""
    material_id = f"MAT-{secrets.token_hex(4).upper()}"
    _sap(
        cluster,
        "POST",
        "/api/mm/materials",
        json={"material_id": material_id, "description": "Cable", "unit_of_measure": "EA"},
    )
    if stock:
        _sap(
            cluster,
            "POST",
            "/api/mm/stock-transactions",
            json={"material_id": material_id, "transaction_type": "receipt", "quantity": stock},
        )
    created = cluster.salesforce(
        "POST",
        "/sobjects/Product2/",
        json={"Name": f"Cable {material_id}", "ProductCode": material_id},
    )
    assert created.status_code == 201, created.text
    return material_id


def _product_id(cluster: FlowCluster, material_id: str) -> str:
    found = cluster.salesforce(
        "GET",
        "/query/",
        params={"q": f"SELECT Id FROM Product2 WHERE ProductCode = '{material_id}'"},
    )
    assert found.status_code == 200, found.text
    return str(found.json()["records"][0]["Id"])


def _work_order(cluster: FlowCluster, lines: list[tuple[str, int]], subject: str = "Fix") -> str:
    """A WorkOrder and its line items in one allOrNone composite request: one transaction,
    so its message carries every line. Its id."""
    requests: list[dict[str, Any]] = [
        {
            "method": "POST",
            "url": "/services/data/v62.0/sobjects/WorkOrder",
            "referenceId": "wo",
            "body": {"Subject": subject, "Priority": "High"},
        }
    ]
    for index, (material_id, quantity) in enumerate(lines):
        requests.append(
            {
                "method": "POST",
                "url": "/services/data/v62.0/sobjects/WorkOrderLineItem",
                "referenceId": f"line{index}",
                "body": {
                    "WorkOrderId": "@{wo.id}",
                    "Product2Id": _product_id(cluster, material_id),
                    "Quantity": quantity,
                },
            }
        )
    response = cluster.salesforce(
        "POST", "/composite/", json={"allOrNone": True, "compositeRequest": requests}
    )
    assert response.status_code == 200, response.text
    answers = response.json()["compositeResponse"]
    assert all(a["httpStatusCode"] == 201 for a in answers), answers
    return str(answers[0]["body"]["id"])


def _salesforce_order(cluster: FlowCluster, work_order_id: str) -> dict[str, Any]:
    response = cluster.salesforce("GET", f"/sobjects/WorkOrder/{work_order_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


def _until(
    cluster: FlowCluster, work_order_id: str, what: str, check: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    found: dict[str, Any] = wait_for(
        f"WorkOrder {work_order_id}: {what}",
        lambda: (r := _salesforce_order(cluster, work_order_id)) and check(r) and r,
        timeout=HOP,
    )
    return found


def _sap_order(cluster: FlowCluster, sap_id: str) -> dict[str, Any]:
    found: dict[str, Any] = _sap(cluster, "GET", f"/api/pm/work-orders/{sap_id}")
    return found


def _sap_orders_of(cluster: FlowCluster, work_order_id: str) -> list[dict[str, Any]]:
    page = _sap(cluster, "GET", "/api/pm/work-orders", params={"crm_reference_id": work_order_id})
    found: list[dict[str, Any]] = page["items"]
    return found


def _cid(work_order_id: str) -> str:
    return f"wo-{work_order_id[:15]}"


def _sap_rows(cluster: FlowCluster, sql: str, **params: Any) -> list[Any]:
    url = cluster.urls["sap"]
    schema = "" if url.get_backend_name() == "sqlite" else "mm."
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql.format(mm=schema)), params))
    finally:
        engine.dispose()


def _issues(cluster: FlowCluster, material_id: str) -> list[Any]:
    return _sap_rows(
        cluster,
        "SELECT quantity_change FROM {mm}stock_transactions "
        "WHERE material_id = :m AND transaction_type = 'issue'",
        m=material_id,
    )


def _stock(cluster: FlowCluster, material_id: str) -> int:
    return int(_sap(cluster, "GET", f"/api/mm/materials/{material_id}")["quantity"])


def _move(cluster: FlowCluster, sap_id: str, action: str) -> Any:
    return cluster.call(
        "sap",
        "POST",
        f"/api/pm/work-orders/{sap_id}/{action}",
        headers=cluster.admin["sap"],
        json={"note": f"{action} by the test"},
    )


def _approval_of(cluster: FlowCluster, sap_order: dict[str, Any]) -> str:
    approvals = _sap(cluster, "GET", "/api/fi/approvals", params={"decision": "pending"})
    mine = [a for a in approvals if a["ticket_id"] == sap_order["ticket_id"]]
    assert len(mine) == 1, approvals
    return str(mine[0]["approval_id"])


# -- the flow ---------------------------------------------------------------------------------
def test_happy_path_issues_the_stock_once_and_completes_in_salesforce(
    cluster: FlowCluster,
) -> None:
    material = _material(cluster, stock=10)
    work_order_id = _work_order(cluster, [(material, 3)])
    assert len(work_order_id) == 18 and work_order_id.startswith("0WO")

    opened = _until(cluster, work_order_id, "SAP opened it", lambda r: r["SAP_Work_Order_Id__c"])
    assert opened["Status"] == "New" and opened["SAP_Status__c"] == "materials_available"
    sap_id = opened["SAP_Work_Order_Id__c"]
    order = _sap_order(cluster, sap_id)
    assert order["crm_reference_id"] == work_order_id
    assert [(m["material_id"], m["quantity_required"]) for m in order["materials"]] == [
        (material, 3)
    ]

    assert _move(cluster, sap_id, "start").status_code == 200
    _until(cluster, work_order_id, "In Progress", lambda r: r["Status"] == "In Progress")
    assert _move(cluster, sap_id, "complete").status_code == 200
    done = _until(cluster, work_order_id, "Completed", lambda r: r["Status"] == "Completed")
    assert done["SAP_Status__c"] == "completed"

    assert _stock(cluster, material) == 7
    assert [row[0] for row in _issues(cluster, material)] == [-3]
    run = wait_for(
        "the run succeeds",
        lambda: (r := cluster.run(_cid(work_order_id)))["status"] == "succeeded" and r,
    )
    assert run["flow"] == "crm_work_order" and run["step"] == "done"
    assert run["work_order"]["sap_work_order_id"] == sap_id
    assert run["work_order"]["salesforce_status"] == "Completed"


def test_shortage_then_approval_makes_one_requisition(cluster: FlowCluster) -> None:
    material = _material(cluster, stock=1)
    work_order_id = _work_order(cluster, [(material, 5)])
    held = _until(cluster, work_order_id, "On Hold", lambda r: r["Status"] == "On Hold")
    assert held["SAP_Status__c"] == "purchase_requested"
    order = _sap_order(cluster, held["SAP_Work_Order_Id__c"])
    approval = _approval_of(cluster, order)
    _sap(cluster, "POST", f"/api/fi/approvals/{approval}/approve", json={"comment": "ok"})
    approved = _until(
        cluster,
        work_order_id,
        "purchase approved",
        lambda r: r["SAP_Status__c"] == "purchase_approved",
    )
    assert approved["Status"] == "New"
    requisitions = _sap(cluster, "GET", "/api/mm/requisitions", params={"material_id": material})
    assert len(requisitions) == 1 and requisitions[0]["quantity"] == 4, requisitions


def test_a_rejected_purchase_cancels_the_work_order_with_the_reason(cluster: FlowCluster) -> None:
    material = _material(cluster, stock=0)
    work_order_id = _work_order(cluster, [(material, 2)])
    held = _until(cluster, work_order_id, "On Hold", lambda r: r["Status"] == "On Hold")
    approval = _approval_of(cluster, _sap_order(cluster, held["SAP_Work_Order_Id__c"]))
    _sap(
        cluster,
        "POST",
        f"/api/fi/approvals/{approval}/reject",
        json={"comment": "no budget this quarter"},
    )
    cancelled = _until(cluster, work_order_id, "Canceled", lambda r: r["Status"] == "Canceled")
    assert cancelled["SAP_Status__c"] == "purchase_rejected"
    assert "no budget this quarter" in cancelled["SAP_Status_Reason__c"]
    run = wait_for("the run fails", lambda: cluster.run(_cid(work_order_id))["status"] == "failed")
    assert run


def test_canceled_in_salesforce_before_start_cancels_the_sap_order(cluster: FlowCluster) -> None:
    material = _material(cluster, stock=5)
    work_order_id = _work_order(cluster, [(material, 1)])
    opened = _until(cluster, work_order_id, "opened", lambda r: r["SAP_Work_Order_Id__c"])
    canceled = cluster.salesforce(
        "PATCH", f"/sobjects/WorkOrder/{work_order_id}", json={"Status": "Canceled"}
    )
    assert canceled.status_code == 204, canceled.text
    wait_for(
        "SAP cancels its order",
        lambda: _sap_order(cluster, opened["SAP_Work_Order_Id__c"])["flow_status"] == "cancelled",
        timeout=HOP,
    )
    record = _until(
        cluster, work_order_id, "SAP status cancelled", lambda r: r["SAP_Status__c"] == "cancelled"
    )
    assert record["Status"] == "Canceled"
    assert _stock(cluster, material) == 5


def test_a_cancel_after_start_is_refused_and_salesforce_is_told(cluster: FlowCluster) -> None:
    material = _material(cluster, stock=5)
    work_order_id = _work_order(cluster, [(material, 1)])
    opened = _until(cluster, work_order_id, "opened", lambda r: r["SAP_Work_Order_Id__c"])
    assert _move(cluster, opened["SAP_Work_Order_Id__c"], "start").status_code == 200
    _until(cluster, work_order_id, "In Progress", lambda r: r["Status"] == "In Progress")
    cluster.salesforce("PATCH", f"/sobjects/WorkOrder/{work_order_id}", json={"Status": "Canceled"})
    back = _until(
        cluster,
        work_order_id,
        "back to In Progress",
        lambda r: (
            r["Status"] == "In Progress" and "cancel refused" in (r["SAP_Status_Reason__c"] or "")
        ),
    )
    assert back["SAP_Status__c"] == "in_progress"


def test_an_unknown_material_is_refused_back_to_salesforce(cluster: FlowCluster) -> None:
    product = cluster.salesforce(
        "POST", "/sobjects/Product2/", json={"Name": "Ghost", "ProductCode": "MAT-NOT-IN-SAP"}
    )
    assert product.status_code == 201, product.text
    work_order_id = _work_order(cluster, [("MAT-NOT-IN-SAP", 1)])
    refused = _until(cluster, work_order_id, "Canceled", lambda r: r["Status"] == "Canceled")
    assert refused["SAP_Status__c"] == "rejected" and refused["SAP_Work_Order_Id__c"] is None
    assert "MAT-NOT-IN-SAP" in refused["SAP_Status_Reason__c"]
    assert _sap_orders_of(cluster, work_order_id) == []


def test_the_same_message_twice_opens_one_order_with_one_history(cluster: FlowCluster) -> None:
    material = _material(cluster, stock=5)
    work_order_id = _work_order(cluster, [(material, 1)])
    opened = _until(cluster, work_order_id, "opened", lambda r: r["SAP_Work_Order_Id__c"])
    before = _sap_order(cluster, opened["SAP_Work_Order_Id__c"])
    body = json.dumps(
        {
            "message_id": str(uuid.uuid4()),
            "topic": "crm.work_order.open",
            "correlation_id": _cid(work_order_id),
            "payload": {
                "crm_reference_id": work_order_id,
                "subject": "again",
                "lines": [{"product_code": material, "quantity": 1}],
            },
        }
    ).encode()
    for _ in range(2):
        again = cluster.call(
            "sap", "POST", "/api/messages", content=body, headers=cluster.signed("sap", body)
        )
        assert again.status_code == 200, again.text
    assert [o["work_order_id"] for o in _sap_orders_of(cluster, work_order_id)] == [
        before["work_order_id"]
    ]
    assert _sap_order(cluster, before["work_order_id"])["history"] == before["history"]


def test_sap_down_the_run_shows_the_retries_then_completes_once(cluster: FlowCluster) -> None:
    material = _material(cluster, stock=5)
    cluster.stop("sap")
    try:
        work_order_id = _work_order(cluster, [(material, 1)])
        retrying = wait_for(
            "the run shows failed attempts",
            lambda: (
                (r := cluster.run(_cid(work_order_id))).get("attempts", 0) >= 2
                and r.get("last_error")
                and r
            ),
            timeout=HOP,
        )
        assert retrying["status"] == "running"
    finally:
        cluster.start("sap")
    opened = _until(cluster, work_order_id, "opened", lambda r: r["SAP_Work_Order_Id__c"])
    assert len(_sap_orders_of(cluster, work_order_id)) == 1
    assert opened["SAP_Status__c"] == "materials_available"


def test_the_platform_killed_mid_flow_completes_once(cluster: FlowCluster) -> None:
    material = _material(cluster, stock=5)
    cluster.stop("mulesoft", kill=True)
    try:
        work_order_id = _work_order(cluster, [(material, 2)])
    finally:
        cluster.start("mulesoft")
    opened = _until(cluster, work_order_id, "opened", lambda r: r["SAP_Work_Order_Id__c"])
    assert _move(cluster, opened["SAP_Work_Order_Id__c"], "start").status_code == 200
    _until(cluster, work_order_id, "In Progress", lambda r: r["Status"] == "In Progress")
    assert len(_sap_orders_of(cluster, work_order_id)) == 1
    assert [row[0] for row in _issues(cluster, material)] == [-2]
