"""CRM work orders in SAP on SQLite and PostgreSQL: opened once per CRM id and checked against
the stock, a shortage priced and sent to FI, the FI decision driving the order, the stock
issued at start (all lines or none, once under concurrency), every transition in the history
and through the status hook, inside the transaction."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

import anyio
import pytest
from pydantic import ValidationError
from sap_clone.api.services import work_order_hooks, work_orders
from sap_clone.api.work_order_schemas import WorkOrderRequest
from sap_clone.models.core import Ticket
from sap_clone.models.fi import Approval
from sap_clone.models.mm import Requisition, StockTransaction
from sap_clone.models.work_orders import CrmWorkOrder, WorkOrderFlowHistory, WorkOrderMaterial
from services_support import Service
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from work_order_support import (
    FLOW,
    approval_of,
    detail,
    in_transaction,
    new_material,
    open_order,
    stock_of,
)

from servicekit.domain import Invalid, Unavailable

sap = pytest.mark.parametrize("app_under_test", ["sap"], indirect=True)
PROBLEM = "application/problem+json"


def _post(
    svc: Service, order_id: str, action: str, body: Any = None, role: str = "Maintenance_Engineer"
) -> Any:
    return svc.client.post(
        f"/api/pm/work-orders/{order_id}/{action}", json=body, headers=svc.headers[role]
    )


def _chain(order: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(h["from_status"], h["to_status"]) for h in order["history"]]


def _count(svc: Service, model: Any, *where: Any) -> int:
    async def count(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    return in_transaction(svc, count)


def _issues(svc: Service, order_id: str) -> list[tuple[str, int]]:
    async def rows(session: AsyncSession) -> list[tuple[str, int]]:
        found = await session.execute(
            select(StockTransaction.material_id, StockTransaction.quantity_change)
            .where(StockTransaction.reference_doc == order_id)
            .where(StockTransaction.transaction_type == "issue")
            .order_by(StockTransaction.material_id)
        )
        return [(m, q) for m, q in found]

    return in_transaction(svc, rows)


@sap
def test_an_order_in_stock_opens_materials_available_then_starts_and_completes(
    service: Service,
) -> None:
    cable, fuse = new_material(service, stock=10, unit="M"), new_material(service, stock=4)
    order = open_order(service, [(cable, 6), (fuse, 4)], title="feeder F-12", priority="high")
    assert re.fullmatch(r"WO-\d{8}-[0-9A-F]{12}", order["work_order_id"])
    assert order["flow_status"] == "materials_available" and order["ticket_id"] is None
    assert [
        (m["material_id"], m["quantity_required"], m["quantity_available"], m["unit_of_measure"])
        for m in order["materials"]
    ] == sorted([(cable, 6, 6, "M"), (fuse, 4, 4, "EA")])
    assert _chain(order) == [(None, "materials_available")]
    assert order["history"][0]["changed_by"] == "crm-flow"
    oid = order["work_order_id"]
    started = _post(service, oid, "start", {"note": "crew on site"})
    assert started.status_code == 200, started.text
    assert started.json()["flow_status"] == "in_progress"
    assert stock_of(service, cable) == 4 and stock_of(service, fuse) == 0
    assert _issues(service, oid) == sorted([(cable, -6), (fuse, -4)])
    completed = _post(service, oid, "complete")
    assert completed.status_code == 200
    final = detail(service, oid)
    assert _chain(final) == [
        (None, "materials_available"),
        ("materials_available", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert final["history"][1]["note"] == "crew on site"
    assert final["history"][1]["changed_by"].startswith("maintenance_engineer")
    assert _issues(service, oid) == sorted([(cable, -6), (fuse, -4)])  # issued once


@sap
def test_opening_is_idempotent_by_the_crm_id(service: Service) -> None:
    material = new_material(service, stock=0)
    first = open_order(service, [(material, 2)], crm_id="0WOidempotent0001")
    counts = (
        _count(service, Ticket),
        _count(service, Approval),
        _count(service, WorkOrderMaterial),
        _count(service, WorkOrderFlowHistory),
    )
    second = open_order(service, [(material, 9)], crm_id="0WOidempotent0001", title="other")
    assert second == first
    assert counts == (
        _count(service, Ticket),
        _count(service, Approval),
        _count(service, WorkOrderMaterial),
        _count(service, WorkOrderFlowHistory),
    )
    listed = service.client.get(
        "/api/pm/work-orders?crm_reference_id=0WOidempotent0001", headers=service.admin
    ).json()
    assert [o["work_order_id"] for o in listed["items"]] == [first["work_order_id"]]


@sap
def test_the_same_crm_id_opened_at_once_gives_one_order(service: Service) -> None:
    material = new_material(service, stock=5)
    payload = WorkOrderRequest.model_validate(
        {"title": "twice", "lines": [{"material_id": material, "quantity": 1}]}
    )

    async def both() -> list[str]:
        ids: list[str] = []

        async def one() -> None:
            async with service.client.app.state.database.writer() as session:
                order = await work_orders.open_from_crm(session, "0WOsamemoment001", payload, FLOW)
                ids.append(order.work_order_id)
                await session.commit()

        async with anyio.create_task_group() as group:
            group.start_soon(one)
            group.start_soon(one)
        return ids

    ids = service.client.call(both)
    assert len(ids) == 2 and ids[0] == ids[1]
    assert _count(service, CrmWorkOrder, CrmWorkOrder.crm_reference_id == "0WOsamemoment001") == 1
    assert len(detail(service, ids[0])["history"]) == 1


@sap
def test_a_shortage_asks_fi_with_a_priced_approval_and_a_ticket(service: Service) -> None:
    enough, short_a, short_b = (new_material(service, stock=s) for s in (5, 1, 0))
    order = open_order(
        service,
        [
            {"material_id": enough, "quantity": 5, "unit_price": "99.00"},
            {"material_id": short_a, "quantity": 4, "unit_price": "12.50"},
            {"material_id": short_b, "quantity": 2},  # no price: counts 0
        ],
        priority="urgent",
    )
    assert order["flow_status"] == "purchase_requested"
    assert _chain(order) == [(None, "purchase_requested")]
    assert f"{short_a} short by 3" in order["history"][0]["note"]
    available = {m["material_id"]: m["quantity_available"] for m in order["materials"]}
    assert available == {enough: 5, short_a: 1, short_b: 0}
    ticket = service.client.get(f"/api/tickets/{order['ticket_id']}", headers=service.admin).json()
    assert re.fullmatch(r"TKT-FI-\d{8}-\d{6}", ticket["ticket_id"])
    assert ticket["ticket_type"] == "Finance_Approval" and ticket["priority"] == "P1"
    audit = service.client.get(f"/api/tickets/{ticket['ticket_id']}/audit", headers=service.admin)
    assert [a["action"] for a in audit.json()] == ["created"]
    approval = approval_of(service, order)
    assert Decimal(approval["amount"]) == Decimal("37.50")  # 3 x 12.50 + 2 x 0
    assert approval["cost_center_id"] == "CC-PM-2024" and approval["requested_by"] == "crm-flow"
    assert order["work_order_id"] in approval["justification"]
    assert stock_of(service, short_a) == 1  # nothing issued before start


@sap
def test_an_approval_gives_one_requisition_per_short_line(service: Service) -> None:
    enough, short_a, short_b = (new_material(service, stock=s) for s in (5, 1, 0))
    order = open_order(
        service, [(enough, 5), (short_a, 4), (short_b, 2)], cost_center_id="CC-MM-2024"
    )
    approval = approval_of(service, order)
    approved = service.client.post(
        f"/api/fi/approvals/{approval['approval_id']}/approve",
        json={"comment": "go"},
        headers=service.headers["Finance_Officer"],
    )
    assert approved.status_code == 200, approved.text
    after = detail(service, order["work_order_id"])
    assert after["flow_status"] == "purchase_approved"
    assert _chain(after)[-1] == ("purchase_requested", "purchase_approved")
    requisitions = service.client.get(
        "/api/mm/requisitions?limit=500", headers=service.admin
    ).json()
    mine = {r["material_id"]: r for r in requisitions if r["ticket_id"] == order["ticket_id"]}
    assert {m: r["quantity"] for m, r in mine.items()} == {short_a: 3, short_b: 2}
    assert {r["status"] for r in mine.values()} == {"approved"}
    assert {r["cost_center_id"] for r in mine.values()} == {"CC-MM-2024"}
    assert after["requisition_id"] in {r["requisition_id"] for r in mine.values()}

    async def decide_again(session: AsyncSession) -> str:  # the flow delivering it twice
        stored = await session.get(Approval, approval["approval_id"])
        locked = await session.get(CrmWorkOrder, order["work_order_id"])
        assert stored is not None and locked is not None
        again = await work_orders.decide_purchase(session, locked, stored, FLOW)
        return again.flow_status

    assert in_transaction(service, decide_again) == "purchase_approved"
    assert _count(service, Requisition, Requisition.ticket_id == order["ticket_id"]) == 2
    assert len(detail(service, order["work_order_id"])["history"]) == 2


@sap
def test_a_rejection_ends_the_order_with_the_reason(service: Service) -> None:
    order = open_order(service, [(new_material(service, stock=0), 2)])
    approval = approval_of(service, order)
    rejected = service.client.post(
        f"/api/fi/approvals/{approval['approval_id']}/reject",
        json={"comment": "over budget this quarter"},
        headers=service.headers["Finance_Officer"],
    )
    assert rejected.status_code == 200, rejected.text
    after = detail(service, order["work_order_id"])
    assert after["flow_status"] == "purchase_rejected"
    assert after["history"][-1]["note"] == "over budget this quarter"
    assert _count(service, Requisition, Requisition.ticket_id == order["ticket_id"]) == 0
    for action in ("start", "proceed", "cancel", "complete"):
        refused = _post(service, order["work_order_id"], action)
        assert refused.status_code == 409, (action, refused.text)
        assert "purchase_rejected" in refused.json()["detail"]


@sap
def test_proceed_waits_for_the_purchased_stock(service: Service) -> None:
    material = new_material(service, stock=1)
    order = open_order(service, [(material, 4)])
    oid = order["work_order_id"]
    approval = approval_of(service, order)
    service.client.post(
        f"/api/fi/approvals/{approval['approval_id']}/approve", headers=service.admin
    )
    early = _post(service, oid, "proceed")
    assert early.status_code == 409
    assert early.json()["available"] == 1 and early.json()["requested"] == 4
    assert _post(service, oid, "start").status_code == 409  # not before proceeding
    requisition = detail(service, oid)["requisition_id"]
    for status in ("ordered", "received"):
        moved = service.client.patch(
            f"/api/mm/requisitions/{requisition}", json={"status": status}, headers=service.admin
        )
        assert moved.status_code == 200, moved.text
    assert stock_of(service, material) == 4
    assert _post(service, oid, "proceed").json()["flow_status"] == "ready_to_proceed"
    assert _post(service, oid, "start").json()["flow_status"] == "in_progress"
    assert stock_of(service, material) == 0
    assert _chain(detail(service, oid)) == [
        (None, "purchase_requested"),
        ("purchase_requested", "purchase_approved"),
        ("purchase_approved", "ready_to_proceed"),
        ("ready_to_proceed", "in_progress"),
    ]


@sap
def test_a_start_short_on_one_line_issues_nothing(service: Service) -> None:
    plenty, scarce = new_material(service, stock=10), new_material(service, stock=2)
    order = open_order(service, [(plenty, 3), (scarce, 2)])
    taken = {"material_id": scarce, "transaction_type": "issue", "quantity": 1}
    assert (
        service.client.post(
            "/api/mm/stock-transactions", json=taken, headers=service.admin
        ).status_code
        == 201
    )
    refused = _post(service, order["work_order_id"], "start")
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    assert refused.json()["material_id"] == scarce and refused.json()["available"] == 1
    assert stock_of(service, plenty) == 10 and stock_of(service, scarce) == 1
    assert _issues(service, order["work_order_id"]) == []
    assert detail(service, order["work_order_id"])["flow_status"] == "materials_available"


@sap
def test_an_invalid_transition_is_a_409_naming_both_states(service: Service) -> None:
    order = open_order(service, [(new_material(service, stock=3), 1)])
    refused = _post(service, order["work_order_id"], "complete")
    assert refused.status_code == 409
    detail_text = refused.json()["detail"]
    assert "materials_available" in detail_text and "completed" in detail_text
    assert refused.json()["flow_status"] == "materials_available"


@sap
def test_cancel_before_start_rejects_the_pending_approval_and_repeats_harmlessly(
    service: Service,
) -> None:
    order = open_order(service, [(new_material(service, stock=0), 2)])
    oid = order["work_order_id"]
    cancelled = _post(service, oid, "cancel", {"note": "customer withdrew"})
    assert cancelled.status_code == 200 and cancelled.json()["flow_status"] == "cancelled"
    approval = service.client.get(
        f"/api/fi/approvals/{approval_of_any(service, order)}", headers=service.admin
    ).json()
    assert approval["decision"] == "rejected" and "customer withdrew" in approval["comments"]
    again = _post(service, oid, "cancel", {"note": "the CRM said it twice"})
    assert again.status_code == 200
    assert _chain(detail(service, oid)) == [
        (None, "purchase_requested"),
        ("purchase_requested", "cancelled"),
    ]
    late = service.client.post(
        f"/api/fi/approvals/{approval['approval_id']}/approve", headers=service.admin
    )
    assert late.status_code == 409


def approval_of_any(svc: Service, order: dict[str, Any]) -> str:
    listed = svc.client.get("/api/fi/approvals?limit=500", headers=svc.admin).json()
    return str(next(a["approval_id"] for a in listed if a["ticket_id"] == order["ticket_id"]))


@sap
def test_a_started_order_cannot_be_cancelled(service: Service) -> None:
    material = new_material(service, stock=2)
    order = open_order(service, [(material, 2)])
    assert _post(service, order["work_order_id"], "start").status_code == 200
    refused = _post(service, order["work_order_id"], "cancel")
    assert refused.status_code == 409
    assert "in_progress" in refused.json()["detail"] and "cancelled" in refused.json()["detail"]
    assert stock_of(service, material) == 0


@sap
def test_unknown_or_repeated_materials_open_nothing(service: Service) -> None:
    material = new_material(service, stock=3)

    def opening(lines: list[dict[str, Any]], crm_id: str) -> Any:
        payload = WorkOrderRequest.model_validate({"title": "x", "lines": lines})

        async def run(session: AsyncSession) -> Any:
            return await work_orders.open_from_crm(session, crm_id, payload, FLOW)

        return run

    unknown = [
        {"material_id": material, "quantity": 1},
        {"material_id": "MAT-NOPE-9", "quantity": 1},
    ]
    with pytest.raises(Invalid, match="MAT-NOPE-9") as raised:
        in_transaction(service, opening(unknown, "0WOunknownmat001"))
    assert raised.value.extensions["materials"] == ["MAT-NOPE-9"]
    twice = [{"material_id": material, "quantity": 1}, {"material_id": material, "quantity": 2}]
    with pytest.raises(Invalid, match=material):
        in_transaction(service, opening(twice, "0WOtwicemat00001"))
    for crm_id in ("0WOunknownmat001", "0WOtwicemat00001"):
        assert _count(service, CrmWorkOrder, CrmWorkOrder.crm_reference_id == crm_id) == 0


@sap
@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "lines": [{"material_id": "MAT-CBL-001", "quantity": -1}]},
        {"title": "x", "lines": [{"material_id": "MAT-CBL-001", "quantity": 2**64}]},
        {"title": "x", "lines": [{"material_id": "MAT\x00", "quantity": 1}]},
        {"title": "a\x00b", "lines": []},
        {"title": "x", "priority": "whenever"},
        {
            "title": "x",
            "lines": [{"material_id": "MAT-CBL-001", "quantity": 1, "unit_price": "-1"}],
        },
        {"title": "x", "lines": [{"material_id": "MAT-CBL-001", "quantity": 1}] * 201},
    ],
)
def test_a_bad_crm_payload_is_refused_by_its_schema(service: Service, body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        WorkOrderRequest.model_validate(body)


@sap
def test_work_orders_are_listed_by_status_with_bounded_pages(service: Service) -> None:
    engineer = service.headers["Maintenance_Engineer"]
    order = open_order(service, [(new_material(service, stock=0), 1)])
    page = service.client.get(
        "/api/pm/work-orders?status=purchase_requested&limit=500&count=true", headers=engineer
    ).json()
    assert order["work_order_id"] in {o["work_order_id"] for o in page["items"]}
    assert {o["flow_status"] for o in page["items"]} == {"purchase_requested"}
    assert page["total"] == len(page["items"]) and page["limit"] == 500
    one = service.client.get("/api/pm/work-orders?limit=1&offset=0", headers=engineer).json()
    assert len(one["items"]) == 1 and one["total"] is None
    for bad in ("limit=0", "limit=501", "offset=-1", "status=done"):
        assert service.client.get(f"/api/pm/work-orders?{bad}", headers=engineer).status_code == 422
    missing = service.client.get("/api/pm/work-orders/WO-NONE", headers=engineer)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM


# The status hook.


@sap
def test_the_hook_is_called_once_per_transition_inside_its_transaction(service: Service) -> None:
    calls: list[tuple[str, str | None, str, str | None, int]] = []

    async def hook(
        session: AsyncSession,
        order: CrmWorkOrder,
        from_status: str | None,
        to_status: str,
        note: str | None,
    ) -> None:
        # The history row is already written, in the same (uncommitted) transaction.
        seen = await session.scalar(
            select(func.count())
            .select_from(WorkOrderFlowHistory)
            .where(WorkOrderFlowHistory.work_order_id == order.work_order_id)
        )
        calls.append((order.work_order_id, from_status, to_status, note, int(seen or 0)))

    work_order_hooks.register(hook)
    try:
        order = open_order(service, [(new_material(service, stock=1), 1)])
        oid = order["work_order_id"]
        assert _post(service, oid, "start", {"note": "go"}).status_code == 200
        assert _post(service, oid, "complete").status_code == 200
        assert _post(service, oid, "complete").status_code == 409  # refused: no call
    finally:
        work_order_hooks.unregister(hook)
    assert calls == [
        (oid, None, "materials_available", "every line in stock", 1),
        (oid, "materials_available", "in_progress", "go", 2),
        (oid, "in_progress", "completed", None, 3),
    ]


@sap
def test_a_failing_hook_rolls_the_transition_back(service: Service) -> None:
    material = new_material(service, stock=2)
    order = open_order(service, [(material, 2)])

    async def broken(session: AsyncSession, order: CrmWorkOrder, *args: Any) -> None:
        raise Unavailable("the outbox is not there")

    work_order_hooks.register(broken)
    try:
        refused = _post(service, order["work_order_id"], "start")
    finally:
        work_order_hooks.unregister(broken)
    assert refused.status_code == 503 and refused.headers["content-type"] == PROBLEM
    after = detail(service, order["work_order_id"])
    assert after["flow_status"] == "materials_available" and len(after["history"]) == 1
    assert stock_of(service, material) == 2
    assert _issues(service, order["work_order_id"]) == []
    assert _post(service, order["work_order_id"], "start").status_code == 200


# Concurrency: real concurrent requests, each on its own connection and transaction.


@sap
def test_two_concurrent_starts_of_one_order_issue_once(service: Service) -> None:
    material = new_material(service, stock=1)
    order = open_order(service, [(material, 1)])
    path = f"/api/pm/work-orders/{order['work_order_id']}/start"
    headers = service.headers["Maintenance_Engineer"]
    responses = service.client.many([("POST", path, {"headers": headers})] * 2)
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    assert stock_of(service, material) == 0
    assert _issues(service, order["work_order_id"]) == [(material, -1)]
    assert len(detail(service, order["work_order_id"])["history"]) == 2


@sap
def test_two_orders_starting_at_once_for_the_last_stock_one_wins(service: Service) -> None:
    material = new_material(service, stock=1)
    first, second = (open_order(service, [(material, 1)]) for _ in range(2))
    headers = service.headers["Maintenance_Engineer"]
    responses = service.client.many(
        [
            ("POST", f"/api/pm/work-orders/{o['work_order_id']}/start", {"headers": headers})
            for o in (first, second)
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["available"] == 0 and loser["material_id"] == material
    assert stock_of(service, material) == 0
    issued = _issues(service, first["work_order_id"]) + _issues(service, second["work_order_id"])
    assert issued == [(material, -1)]


@sap
def test_a_cancel_and_an_approval_at_once_end_consistently(service: Service) -> None:
    """Both take the order's lock first, then the approval's: one of them wins whole."""
    for _ in range(3):
        order = open_order(service, [(new_material(service, stock=0), 2)])
        approval = approval_of(service, order)
        oid = order["work_order_id"]
        responses = service.client.many(
            [
                (
                    "POST",
                    f"/api/pm/work-orders/{oid}/cancel",
                    {
                        "json": {"note": "withdrawn"},
                        "headers": service.headers["Maintenance_Engineer"],
                    },
                ),
                (
                    "POST",
                    f"/api/fi/approvals/{approval['approval_id']}/approve",
                    {"headers": service.headers["Finance_Officer"]},
                ),
            ]
        )
        cancel, approve = (r.status_code for r in responses)
        after = detail(service, oid)
        decision = service.client.get(
            f"/api/fi/approvals/{approval['approval_id']}", headers=service.admin
        ).json()["decision"]
        requisitions = _count(service, Requisition, Requisition.ticket_id == order["ticket_id"])
        # Approved first: cancelled after it, requisitions stay; cancelled first: the
        # approval was withdrawn, the late approval a 409.
        assert cancel == 200 and approve in (200, 409), [r.text for r in responses]
        assert after["flow_status"] == "cancelled"
        assert (decision, requisitions) == (("approved", 1) if approve == 200 else ("rejected", 0))


@sap
def test_an_order_without_lines_is_available_at_once(service: Service) -> None:
    order = open_order(service, [])
    assert order["flow_status"] == "materials_available" and order["materials"] == []
    assert _post(service, order["work_order_id"], "start").json()["flow_status"] == "in_progress"


@sap
def test_a_shortage_too_costly_for_an_approval_opens_nothing(service: Service) -> None:
    material = new_material(service, stock=0)
    payload = WorkOrderRequest.model_validate(
        {
            "title": "x",
            "lines": [
                {"material_id": material, "quantity": 2**31 - 1, "unit_price": "9999999999.00"}
            ],
        }
    )

    async def run(session: AsyncSession) -> Any:
        return await work_orders.open_from_crm(session, "0WOtoocostly0001", payload, FLOW)

    with pytest.raises(Invalid, match="more than an approval can hold"):
        in_transaction(service, run)
    assert _count(service, CrmWorkOrder, CrmWorkOrder.crm_reference_id == "0WOtoocostly0001") == 0


@sap
def test_a_long_shortage_list_still_opens_its_ticket(service: Service) -> None:
    """150 short lines of 50-character material numbers: more than a ticket's description
    holds; the ticket says what fits, the history and the approval say it all."""
    materials = []
    for i in range(150):
        material_id = f"MAT-{i:03d}-" + secrets.token_hex(21).upper()[: 50 - 8]
        body = {"material_id": material_id, "description": "bulk", "unit_of_measure": "EA"}
        assert service.client.post("/api/mm/materials", json=body, headers=service.admin).is_success
        materials.append(material_id)
    order = open_order(service, [(m, 2**31 - 1) for m in materials])
    assert order["flow_status"] == "purchase_requested"
    assert materials[-1] in order["history"][0]["note"]
    assert materials[-1] in approval_of(service, order)["justification"]


@sap
def test_cancel_after_the_purchase_rejects_the_requisitions_not_yet_ordered(
    service: Service,
) -> None:
    first, second = new_material(service, stock=0), new_material(service, stock=0)
    order = open_order(service, [(first, 2), (second, 3)])
    approval = approval_of(service, order)
    service.client.post(
        f"/api/fi/approvals/{approval['approval_id']}/approve", headers=service.admin
    )
    listed = service.client.get("/api/mm/requisitions?limit=500", headers=service.admin).json()
    mine = {
        r["material_id"]: r["requisition_id"]
        for r in listed
        if r["ticket_id"] == order["ticket_id"]
    }
    ordered = service.client.patch(
        f"/api/mm/requisitions/{mine[first]}", json={"status": "ordered"}, headers=service.admin
    )
    assert ordered.status_code == 200
    cancelled = _post(service, order["work_order_id"], "cancel", {"note": "site closed"})
    assert cancelled.status_code == 200, cancelled.text
    statuses = {
        m: service.client.get(f"/api/mm/requisitions/{rid}", headers=service.admin).json()["status"]
        for m, rid in mine.items()
    }
    assert statuses == {first: "ordered", second: "rejected"}
    audit = service.client.get(f"/api/tickets/{order['ticket_id']}/audit", headers=service.admin)
    rejected = [a for a in audit.json() if a["action"] == "requisition_rejected"]
    assert len(rejected) == 1 and "site closed" in rejected[0]["new_value"]
    assert rejected[0]["performed_by"].startswith("maintenance_engineer")
