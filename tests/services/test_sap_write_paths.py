"""SAP's MM and FI writes on SQLite and PostgreSQL: materials, stock receipts and locked
issues, purchase requisitions, FI approvals decided once; and bad input of every kind answered
with a 4xx problem, never a 500."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sap_clone.models.mm import StockTransaction
from services_support import Service
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from work_order_support import approval_of, in_transaction, new_material, open_order, stock_of

sap = pytest.mark.parametrize("app_under_test", ["sap"], indirect=True)
PROBLEM = "application/problem+json"


def _movements(svc: Service, material_id: str) -> list[tuple[str, int, str | None]]:
    async def rows(session: AsyncSession) -> list[tuple[str, int, str | None]]:
        found = await session.execute(
            select(
                StockTransaction.transaction_type,
                StockTransaction.quantity_change,
                StockTransaction.reference_doc,
            )
            .where(StockTransaction.material_id == material_id)
            .order_by(StockTransaction.transaction_date, StockTransaction.transaction_id)
        )
        return [(t, q, r) for t, q, r in found]

    return in_transaction(svc, rows)


def _move(svc: Service, material_id: str, kind: str, quantity: int, **extra: Any) -> Any:
    body = {"material_id": material_id, "transaction_type": kind, "quantity": quantity, **extra}
    return svc.client.post(
        "/api/mm/stock-transactions", json=body, headers=svc.headers["Store_Manager"]
    )


@sap
def test_materials_are_created_and_described_never_given_stock(service: Service) -> None:
    store = service.headers["Store_Manager"]
    body = {
        "material_id": "MAT-WRT-001",
        "description": "Cable lug 240 mm2",
        "unit_of_measure": "EA",
        "reorder_level": 20,
        "storage_location": "WH-NORTH-A2",
    }
    created = service.client.post("/api/mm/materials", json=body, headers=store)
    assert created.status_code == 201, created.text
    assert created.json()["quantity"] == 0
    again = service.client.post("/api/mm/materials", json=body, headers=store)
    assert again.status_code == 409 and "MAT-WRT-001" in again.json()["detail"]
    path = "/api/mm/materials/MAT-WRT-001"
    changed = service.client.patch(
        path,
        json={"description": "Cable lug 240 mm2, tinned", "storage_location": None},
        headers=store,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "Cable lug 240 mm2, tinned"
    assert changed.json()["storage_location"] is None
    for refused in ({"quantity": 500}, {"description": None}, {"reorder_level": -1}):
        response = service.client.patch(path, json=refused, headers=store)
        assert response.status_code == 422, (refused, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert service.client.get(path, headers=store).json()["quantity"] == 0
    engineer = service.headers["Maintenance_Engineer"]
    assert (
        service.client.patch(path, json={"reorder_level": 1}, headers=engineer).status_code == 403
    )


@sap
def test_receipts_and_issues_move_stock_with_their_transaction_rows(service: Service) -> None:
    material = new_material(service, stock=0)
    received = _move(service, material, "receipt", 10, reference_doc="PO-1")
    assert received.status_code == 201, received.text
    assert received.json()["quantity_change"] == 10
    issued = _move(service, material, "issue", 4, reference_doc="MO-1")
    assert issued.status_code == 201 and issued.json()["quantity_change"] == -4
    assert issued.json()["performed_by"].startswith("store_manager")
    assert stock_of(service, material) == 6
    assert _movements(service, material) == [("receipt", 10, "PO-1"), ("issue", -4, "MO-1")]


@sap
def test_an_issue_beyond_the_stock_is_a_409_with_what_is_available(service: Service) -> None:
    material = new_material(service, stock=3)
    short = _move(service, material, "issue", 4)
    assert short.status_code == 409
    assert short.headers["content-type"] == PROBLEM
    body = short.json()
    assert body["available"] == 3 and body["requested"] == 4 and material in body["detail"]
    assert stock_of(service, material) == 3
    assert len(_movements(service, material)) == 1  # the receipt only
    assert _move(service, material, "issue", 3).status_code == 201
    assert stock_of(service, material) == 0
    assert _move(service, material, "issue", 1).status_code == 409


@sap
def test_a_receipt_past_the_largest_stock_is_refused(service: Service) -> None:
    material = new_material(service, stock=2**31 - 2)
    assert _move(service, material, "receipt", 2).status_code == 409
    assert stock_of(service, material) == 2**31 - 2


@sap
def test_concurrent_issues_of_the_last_stock_never_go_below_zero(service: Service) -> None:
    material = new_material(service, stock=3)
    body = {"material_id": material, "transaction_type": "issue", "quantity": 1}
    headers = service.headers["Store_Manager"]
    responses = service.client.many(
        [("POST", "/api/mm/stock-transactions", {"json": body, "headers": headers})] * 6
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 201, 201, 409, 409, 409], [r.text for r in responses]
    assert stock_of(service, material) == 0
    assert [kind for kind, _q, _r in _movements(service, material)].count("issue") == 3


@sap
def test_requisitions_follow_their_states_and_a_receipt_posts_the_stock(service: Service) -> None:
    store = service.headers["Store_Manager"]
    material = new_material(service, stock=1)
    body = {
        "material_id": material,
        "quantity": 25,
        "cost_center_id": "CC-MM-2024",
        "justification": "below the reorder level",
    }
    created = service.client.post("/api/mm/requisitions", json=body, headers=store)
    assert created.status_code == 201, created.text
    requisition = created.json()
    assert requisition["status"] == "pending" and requisition["requested_by"].startswith("store")
    path = f"/api/mm/requisitions/{requisition['requisition_id']}"
    assert service.client.get(path, headers=store).json() == requisition
    listed = service.client.get(
        f"/api/mm/requisitions?status=pending&material_id={material}", headers=store
    ).json()
    assert [r["requisition_id"] for r in listed] == [requisition["requisition_id"]]
    skipped = service.client.patch(path, json={"status": "received"}, headers=store)
    assert skipped.status_code == 409
    assert "pending" in skipped.json()["detail"] and "received" in skipped.json()["detail"]
    for status in ("approved", "ordered", "received"):
        moved = service.client.patch(path, json={"status": status}, headers=store)
        assert moved.status_code == 200 and moved.json()["status"] == status, moved.text
    assert stock_of(service, material) == 26
    assert _movements(service, material)[-1] == ("receipt", 25, requisition["requisition_id"])
    final = service.client.patch(path, json={"status": "approved"}, headers=store)
    assert final.status_code == 409
    assert stock_of(service, material) == 26


@sap
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"material_id": "MAT-NOPE-404", "quantity": 1}, "material_id"),
        (
            {"material_id": "MAT-CBL-001", "quantity": 1, "cost_center_id": "CC-NOPE"},
            "cost_center_id",
        ),
        ({"material_id": "MAT-CBL-001", "quantity": 1, "ticket_id": "TKT-NOPE"}, "ticket_id"),
    ],
)
def test_a_requisition_naming_something_unknown_is_a_422_naming_it(
    service: Service, body: dict[str, Any], field: str
) -> None:
    response = service.client.post(
        "/api/mm/requisitions", json=body, headers=service.headers["Store_Manager"]
    )
    assert response.status_code == 422, response.text
    assert response.json()["fields"] == [field]
    assert str(body[field]) in response.json()["detail"]


@sap
def test_approvals_are_listed_by_decision_and_decided_once(service: Service) -> None:
    finance = service.headers["Finance_Officer"]
    order = open_order(service, [(new_material(service, stock=0), 2)])
    approval = approval_of(service, order)
    pending = service.client.get("/api/fi/approvals?decision=pending&limit=500", headers=finance)
    assert approval["approval_id"] in {a["approval_id"] for a in pending.json()}
    path = f"/api/fi/approvals/{approval['approval_id']}"
    approved = service.client.post(
        f"{path}/approve", json={"comment": "budget ok"}, headers=finance
    )
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["decision"] == "approved" and decided["comments"] == "budget ok"
    assert decided["decided_by"].startswith("finance_officer") and decided["decided_at"]
    for verb, body in (("approve", None), ("reject", {"comment": "too late"})):
        again = service.client.post(f"{path}/{verb}", json=body, headers=finance)
        assert again.status_code == 409 and "already approved" in again.json()["detail"]
    assert service.client.get(path, headers=finance).json() == decided
    approved_list = service.client.get(
        "/api/fi/approvals?decision=approved&limit=500", headers=finance
    )
    assert approval["approval_id"] in {a["approval_id"] for a in approved_list.json()}
    audit = service.client.get(f"/api/tickets/{order['ticket_id']}/audit", headers=finance).json()
    assert [a["action"] for a in audit] == ["created", "approval_approved"]


@sap
def test_a_rejection_must_say_why(service: Service) -> None:
    finance = service.headers["Finance_Officer"]
    approval = approval_of(service, open_order(service, [(new_material(service, stock=0), 2)]))
    path = f"/api/fi/approvals/{approval['approval_id']}/reject"
    for body in (None, {}, {"comment": ""}):
        assert service.client.post(path, json=body, headers=finance).status_code == 422
    assert (
        service.client.get(f"/api/fi/approvals/{approval['approval_id']}", headers=finance).json()[
            "decision"
        ]
        == "pending"
    )


@sap
def test_concurrent_decisions_of_one_approval_give_one_decision(service: Service) -> None:
    finance = service.headers["Finance_Officer"]
    approval = approval_of(service, open_order(service, [(new_material(service, stock=0), 2)]))
    path = f"/api/fi/approvals/{approval['approval_id']}"
    responses = service.client.many(
        [
            ("POST", f"{path}/approve", {"json": {"comment": "yes"}, "headers": finance}),
            ("POST", f"{path}/reject", {"json": {"comment": "no"}, "headers": finance}),
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert service.client.get(path, headers=finance).json()["decision"] == winner["decision"]


HUGE = 2**64
NUL = "a\x00b"
#: (method, path, JSON body): each must be a 4xx problem, never a 500.
BAD_REQUESTS: list[tuple[str, str, Any]] = [
    (
        "POST",
        "/api/mm/materials",
        {"material_id": "MAT\x00X", "description": "x", "unit_of_measure": "EA"},
    ),
    (
        "POST",
        "/api/mm/materials",
        {"material_id": "MAT-NUL", "description": NUL, "unit_of_measure": "EA"},
    ),
    (
        "POST",
        "/api/mm/materials",
        {"material_id": "M" * 51, "description": "x", "unit_of_measure": "EA"},
    ),
    (
        "POST",
        "/api/mm/materials",
        {
            "material_id": "MAT-BIG",
            "description": "x",
            "unit_of_measure": "EA",
            "reorder_level": HUGE,
        },
    ),
    (
        "POST",
        "/api/mm/materials",
        {"material_id": "MAT-Q", "description": "x", "unit_of_measure": "EA", "quantity": 5},
    ),
    ("POST", "/api/mm/materials", [1, 2, 3]),
    (
        "POST",
        "/api/mm/stock-transactions",
        {"material_id": "MAT-CBL-001", "transaction_type": "issue", "quantity": -5},
    ),
    (
        "POST",
        "/api/mm/stock-transactions",
        {"material_id": "MAT-CBL-001", "transaction_type": "receipt", "quantity": 0},
    ),
    (
        "POST",
        "/api/mm/stock-transactions",
        {"material_id": "MAT-CBL-001", "transaction_type": "receipt", "quantity": HUGE},
    ),
    (
        "POST",
        "/api/mm/stock-transactions",
        {"material_id": "MAT-CBL-001", "transaction_type": "adjustment", "quantity": 1},
    ),
    (
        "POST",
        "/api/mm/stock-transactions",
        {"material_id": "MAT-CBL-001", "transaction_type": "issue", "quantity": 1, "notes": NUL},
    ),
    (
        "POST",
        "/api/mm/stock-transactions",
        {"material_id": "MAT-UNKNOWN", "transaction_type": "issue", "quantity": 1},
    ),
    (
        "POST",
        "/api/mm/stock-transactions",
        {"material_id": str(HUGE), "transaction_type": "issue", "quantity": 1},
    ),
    ("POST", "/api/mm/requisitions", {"material_id": "MAT-CBL-001", "quantity": HUGE}),
    (
        "POST",
        "/api/mm/requisitions",
        {"material_id": "MAT-CBL-001", "quantity": 1, "justification": NUL},
    ),
    ("GET", f"/api/mm/materials/{HUGE}", None),
    ("GET", "/api/mm/materials/%00", None),
    ("PATCH", f"/api/mm/materials/{HUGE}", {"description": "x"}),
    ("GET", f"/api/mm/requisitions/{HUGE}", None),
    ("GET", "/api/mm/requisitions?status=lost", None),
    ("GET", "/api/mm/requisitions?material_id=%00", None),
    ("GET", "/api/mm/requisitions?limit=100000", None),
    ("PATCH", f"/api/mm/requisitions/{HUGE}", {"status": "approved"}),
    ("PATCH", "/api/mm/requisitions/PR-X", {"status": "bogus"}),
    ("GET", f"/api/fi/approvals/{HUGE}", None),
    ("GET", "/api/fi/approvals?decision=maybe", None),
    ("GET", "/api/fi/approvals?offset=-1", None),
    ("POST", f"/api/fi/approvals/{HUGE}/approve", None),
    ("POST", "/api/fi/approvals/APR-2024-0001/reject", {"comment": NUL}),
    ("POST", "/api/fi/approvals/APR-2024-0001/approve", {"comment": "x" * 2001}),
    ("GET", f"/api/pm/work-orders/{HUGE}", None),
    ("GET", "/api/pm/work-orders/WO%00X", None),
    ("GET", "/api/pm/work-orders?status=lost", None),
    ("GET", "/api/pm/work-orders?limit=0", None),
    ("GET", "/api/pm/work-orders?limit=501", None),
    ("GET", "/api/pm/work-orders?crm_reference_id=a%00b", None),
    ("POST", f"/api/pm/work-orders/{HUGE}/start", None),
    ("POST", f"/api/pm/work-orders/{HUGE}/cancel", {"note": "x"}),
    ("POST", "/api/pm/work-orders/WO-X/cancel", {"note": NUL}),
    ("POST", "/api/pm/work-orders/WO-X/complete", {"unknown": 1}),
]


@sap
def test_bad_input_is_a_4xx_problem_never_a_500(service: Service) -> None:
    failures = []
    for method, path, body in BAD_REQUESTS:
        response = service.client.request(method, path, json=body, headers=service.admin)
        ok = 400 <= response.status_code < 500 and response.headers["content-type"] == PROBLEM
        if not ok or "Traceback" in response.text:
            failures.append(
                f"{method} {path} {body!r:.80}: {response.status_code} {response.text[:120]}"
            )
    assert not failures, "\n".join(failures)
    assert stock_of(service, "MAT-CBL-001") >= 0


@sap
def test_a_body_of_ten_megabytes_is_refused_without_a_500(service: Service) -> None:
    body = {"material_id": "MAT-HUGE", "description": "x" * 10_000_000, "unit_of_measure": "EA"}
    response = service.client.post("/api/mm/materials", json=body, headers=service.admin)
    assert 400 <= response.status_code < 500
    assert (
        service.client.get("/api/mm/materials/MAT-HUGE", headers=service.admin).status_code == 404
    )


@sap
def test_each_module_writes_only_with_its_role(service: Service) -> None:
    engineer, store, finance = (
        service.headers[r] for r in ("Maintenance_Engineer", "Store_Manager", "Finance_Officer")
    )
    material = {"material_id": "MAT-ROLE-1", "description": "x", "unit_of_measure": "EA"}
    assert (
        service.client.post("/api/mm/materials", json=material, headers=engineer).status_code == 403
    )
    assert (
        service.client.post("/api/mm/materials", json=material, headers=finance).status_code == 403
    )
    approve = "/api/fi/approvals/APR-2024-0001/approve"
    assert service.client.post(approve, headers=store).status_code == 403
    assert service.client.post(approve, headers=engineer).status_code == 403
    assert service.client.post(approve, headers=service.headers["service"]).status_code == 403
    assert service.client.get("/api/pm/work-orders", headers=store).status_code == 403
    assert service.client.get("/api/mm/requisitions", headers=finance).status_code == 403
    assert (
        service.client.get(approve.rsplit("/", 1)[0], headers=finance).json()["decision"]
        == "pending"
    )
    count = in_transaction(
        service,
        lambda s: s.scalar(select(func.count()).select_from(StockTransaction)),
    )
    assert count is not None and count >= 2


@sap
def test_every_write_leaves_an_audit_line_naming_the_actor(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="sap_clone.audit"):
        material = new_material(service, stock=4)
        service.client.patch(
            f"/api/mm/materials/{material}", json={"reorder_level": 3}, headers=service.admin
        )
        _move(service, material, "issue", 1)
    lines = [str(r.msg) for r in caplog.records if r.name == "sap_clone.audit"]
    assert len(lines) == 4, lines
    created, received, updated, issued = lines
    assert "'created'" in created and material in created and "'admin'" in created
    assert "'receipt'" in received and "'stock': 4" in received
    assert "reorder_level" in updated
    assert "'issue'" in issued and "store_manager" in issued and "-1" in issued
