"""Purchase requisitions: raised for a material, then approved or rejected, ordered, received.

Receiving a requisition posts its quantity to the material's stock (a receipt whose reference
is the requisition) in the same transaction: the goods are in the store once it says so.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.api.mm_schemas import RequisitionCreate, RequisitionStatusChange
from sap_clone.api.services import audit
from sap_clone.api.services.keys import new_key
from sap_clone.api.services.rules import require_role
from sap_clone.api.services.stock import MM_ROLES, find_materials, lock_materials, receive_locked
from sap_clone.models.core import AuditEntry, Ticket
from sap_clone.models.fi import CostCenter
from sap_clone.models.mm import Requisition
from servicekit.auth import Principal
from servicekit.domain import Conflict, Invalid, NotFound

#: Where a requisition may go from each status; anything else is a 409 naming both.
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "rejected"}),
    "approved": frozenset({"ordered", "rejected"}),
    "ordered": frozenset({"received"}),
    "rejected": frozenset(),
    "received": frozenset(),
}


async def check_cost_center(session: AsyncSession, cost_center_id: str | None) -> None:
    if cost_center_id is not None and await session.get(CostCenter, cost_center_id) is None:
        raise Invalid(f"unknown cost center: {cost_center_id}", fields=("cost_center_id",))


def new_requisition(
    material_id: str,
    quantity: int,
    actor: Principal,
    *,
    status: str = "pending",
    cost_center_id: str | None = None,
    justification: str | None = None,
    ticket_id: str | None = None,
) -> Requisition:
    now = dt.datetime.now(dt.UTC)
    return Requisition(
        requisition_id=new_key("PR"),
        material_id=material_id,
        cost_center_id=cost_center_id,
        quantity=quantity,
        justification=justification,
        status=status,
        ticket_id=ticket_id,
        requested_by=actor.name,
        created_at=now,
        updated_at=now,
    )


async def create_requisition(
    session: AsyncSession, body: RequisitionCreate, actor: Principal
) -> Requisition:
    require_role(actor, MM_ROLES, "raise requisitions")
    await find_materials(session, [body.material_id])  # unknown: Invalid, naming it
    await check_cost_center(session, body.cost_center_id)
    if body.ticket_id is not None and await session.get(Ticket, body.ticket_id) is None:
        raise Invalid(f"unknown ticket: {body.ticket_id}", fields=("ticket_id",))
    requisition = new_requisition(
        body.material_id,
        body.quantity,
        actor,
        cost_center_id=body.cost_center_id,
        justification=body.justification,
        ticket_id=body.ticket_id,
    )
    session.add(requisition)
    await session.flush()
    audit.record(
        actor, "created", "requisition", requisition.requisition_id, quantity=body.quantity
    )
    return requisition


async def list_requisitions(
    session: AsyncSession,
    limit: int,
    offset: int,
    status: str | None = None,
    material_id: str | None = None,
) -> list[Requisition]:
    query = select(Requisition)
    if status:
        query = query.where(Requisition.status == status)
    if material_id:
        query = query.where(Requisition.material_id == material_id)
    rows = await session.scalars(
        query.order_by(Requisition.requisition_id).limit(limit).offset(offset)
    )
    return list(rows)


async def get_requisition(session: AsyncSession, requisition_id: str) -> Requisition:
    requisition = await session.get(Requisition, requisition_id)
    if requisition is None:
        raise NotFound(f"requisition {requisition_id} not found")
    return requisition


async def change_status(
    session: AsyncSession, requisition_id: str, body: RequisitionStatusChange, actor: Principal
) -> Requisition:
    require_role(actor, MM_ROLES, "change requisitions")
    return await _move(session, requisition_id, body.status, body.note, actor)


async def withdraw_for_ticket(
    session: AsyncSession, ticket_id: str, reason: str, actor: Principal
) -> list[Requisition]:
    """Rejects the requisitions raised for a ticket that nobody has ordered yet (pending or
    approved): their work order was cancelled. Ordered ones stay: the goods are coming."""
    ids = await session.scalars(
        select(Requisition.requisition_id)
        .where(Requisition.ticket_id == ticket_id)
        .where(Requisition.status.in_(("pending", "approved")))
        .order_by(Requisition.requisition_id)
    )
    return [await _move(session, rid, "rejected", reason, actor) for rid in list(ids)]


async def _move(
    session: AsyncSession, requisition_id: str, status: str, note: str | None, actor: Principal
) -> Requisition:
    requisition = (
        await session.scalars(
            select(Requisition)
            .where(Requisition.requisition_id == requisition_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if requisition is None:
        raise NotFound(f"requisition {requisition_id} not found")
    old = requisition.status
    if status not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(TRANSITIONS[old])) or "none"
        raise Conflict(
            f"a requisition in status {old} cannot move to {status}; allowed: {allowed}",
            fields=("status",),
        )
    if status == "received":
        material = (await lock_materials(session, [requisition.material_id]))[
            requisition.material_id
        ]
        receive_locked(session, material, requisition.quantity, actor, requisition_id, note)
    requisition.status = status
    requisition.updated_at = dt.datetime.now(dt.UTC)
    if requisition.ticket_id is not None:
        session.add(
            AuditEntry(
                ticket_id=requisition.ticket_id,
                action=f"requisition_{status}",
                old_value=f"{requisition_id}: {old}",
                new_value=f"{requisition_id}: {status}" + (f" ({note})" if note else ""),
                performed_by=actor.name,
            )
        )
    await session.flush()
    audit.record(actor, "status_changed", "requisition", requisition_id, old=old, new=status)
    return requisition
