"""SAP work orders for the tests: materials with the stock a test needs, and orders opened
the way the CRM work-order flow opens them (the service function, as a service principal, on
the service's own database and event loop)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sap_clone.api.services import work_orders
from sap_clone.api.work_order_schemas import WorkOrderRequest
from services_support import Service
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.auth import Principal

T = TypeVar("T")

#: How the CRM work-order flow calls SAP's service functions.
FLOW = Principal("crm-flow", "crm-flow", frozenset({"service"}), "service")


def in_transaction(svc: Service, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work(session)`` in one write transaction of the service, committed if it returns."""

    async def run() -> T:
        async with svc.client.app.state.database.writer() as session:
            result = await work(session)
            await session.commit()
            return result

    return svc.client.call(run)


def new_material(svc: Service, stock: int, unit: str = "EA") -> str:
    """A material of its own (so tests never share stock), with ``stock`` received."""
    material_id = f"MAT-T-{secrets.token_hex(4).upper()}"
    body = {"material_id": material_id, "description": "test part", "unit_of_measure": unit}
    created = svc.client.post("/api/mm/materials", json=body, headers=svc.admin)
    assert created.status_code == 201, created.text
    if stock:
        receipt = {"material_id": material_id, "transaction_type": "receipt", "quantity": stock}
        moved = svc.client.post("/api/mm/stock-transactions", json=receipt, headers=svc.admin)
        assert moved.status_code == 201, moved.text
    return material_id


def open_order(
    svc: Service,
    lines: list[tuple[str, int]] | list[dict[str, Any]],
    crm_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Opens an order as the flow does; its detail as the API answers it."""
    crm_reference_id = crm_id or f"0WO{secrets.token_hex(6)}"
    body = {
        "title": "replace the fuse",
        "lines": [
            line if isinstance(line, dict) else {"material_id": line[0], "quantity": line[1]}
            for line in lines
        ],
        **fields,
    }
    payload = WorkOrderRequest.model_validate(body)

    async def opened(session: AsyncSession) -> str:
        order = await work_orders.open_from_crm(session, crm_reference_id, payload, FLOW)
        return order.work_order_id

    work_order_id = in_transaction(svc, opened)
    return detail(svc, work_order_id)


def detail(svc: Service, work_order_id: str) -> dict[str, Any]:
    response = svc.client.get(f"/api/pm/work-orders/{work_order_id}", headers=svc.admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def approval_of(svc: Service, order: dict[str, Any]) -> dict[str, Any]:
    """The FI approval asked for a short order (through its FI ticket)."""
    pending = svc.client.get("/api/fi/approvals?decision=pending&limit=500", headers=svc.admin)
    found = [a for a in pending.json() if a["ticket_id"] == order["ticket_id"]]
    assert len(found) == 1, pending.text
    return found[0]


def stock_of(svc: Service, material_id: str) -> int:
    response = svc.client.get(f"/api/mm/materials/{material_id}", headers=svc.admin)
    assert response.status_code == 200, response.text
    return int(response.json()["quantity"])
