"""CRM work orders in SAP: opened from the CRM, checked against the stock, purchased through
FI when short, then started (the stock issued), completed or cancelled.

Every transition is one entry of :data:`TRANSITIONS`; it locks the order's row, writes a
``work_order_flow_history`` row (from, to, by, note) and then awaits the status hook
(:mod:`sap_clone.api.services.work_order_hooks`) in the caller's transaction. Nothing here
commits: the route (or the flow) commits the whole change, or none of it.

Opening an order checks the stock at once, so an order is born ``materials_available`` or
``purchase_requested`` (its first history row has no from-status). ``received``,
``pending_material_check`` and ``materials_shortage`` are the model's names for moments inside
that one transaction; no order rests in them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from sap_clone.api.roles import ADMIN, MAINTENANCE_ENGINEER
from sap_clone.api.schemas import Priority, TicketCreate
from sap_clone.api.services import approvals, audit, requisitions, tickets
from sap_clone.api.services.keys import new_key
from sap_clone.api.services.requisitions import check_cost_center, new_requisition
from sap_clone.api.services.rules import require_role
from sap_clone.api.services.stock import find_materials, issue_locked, lock_materials, shortage
from sap_clone.api.services.work_order_hooks import on_status_changed
from sap_clone.api.work_order_schemas import WorkOrderRequest
from sap_clone.models.fi import Approval
from sap_clone.models.mm import Requisition
from sap_clone.models.pm import Asset
from sap_clone.models.work_orders import CrmWorkOrder, WorkOrderFlowHistory, WorkOrderMaterial
from servicekit.auth import SERVICE_ROLE, Principal
from servicekit.domain import Conflict, Invalid, NotFound

#: Where an order may go from each status; anything else is a 409 naming both states.
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"materials_available", "purchase_requested", "cancelled"}),
    "pending_material_check": frozenset({"materials_available", "purchase_requested", "cancelled"}),
    "materials_shortage": frozenset({"purchase_requested", "cancelled"}),
    "materials_available": frozenset({"ready_to_proceed", "in_progress", "cancelled"}),
    "purchase_requested": frozenset({"purchase_approved", "purchase_rejected", "cancelled"}),
    "purchase_approved": frozenset({"ready_to_proceed", "cancelled"}),
    "ready_to_proceed": frozenset({"in_progress", "cancelled"}),
    "in_progress": frozenset({"completed"}),
    "purchase_rejected": frozenset(),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
#: Who moves orders (routes: Maintenance_Engineer and Admin; the flows as a service).
PM_ROLES = (ADMIN, MAINTENANCE_ENGINEER, SERVICE_ROLE)
#: Who opens orders from the CRM: the flow (a service), or an administrator.
OPEN_ROLES = (ADMIN, SERVICE_ROLE)
#: The cost center a shortage is booked on when the CRM names none: the seeded PM one (006).
DEFAULT_COST_CENTER = "CC-PM-2024"
#: The largest amount fi.approvals holds (Numeric(15, 2)).
MAX_AMOUNT = Decimal("9999999999999.99")
#: The FI ticket's priority for the order's.
TICKET_PRIORITY: dict[str, Priority] = {"urgent": "P1", "high": "P2", "medium": "P3", "low": "P4"}


def _conflict(order: CrmWorkOrder, to_status: str) -> Conflict:
    allowed = ", ".join(sorted(TRANSITIONS[order.flow_status])) or "none"
    return Conflict(
        f"work order {order.work_order_id} is {order.flow_status} and cannot move to "
        f"{to_status}; allowed: {allowed}",
        flow_status=order.flow_status,
    )


async def _record(
    session: AsyncSession,
    order: CrmWorkOrder,
    from_status: str | None,
    to_status: str,
    actor: Principal,
    note: str | None,
) -> None:
    """The history row, the new status, then the hook: all in the caller's transaction."""
    now = dt.datetime.now(dt.UTC)
    session.add(
        WorkOrderFlowHistory(
            work_order_id=order.work_order_id,
            from_status=from_status,
            to_status=to_status,
            changed_by=actor.name,
            changed_at=now,
            note=note,
        )
    )
    order.flow_status = to_status
    order.updated_at = now
    await session.flush()
    audit.record(
        actor, "status_changed", "work_order", order.work_order_id, old=from_status, new=to_status
    )
    await on_status_changed(session, order, from_status, to_status, note)


async def _move(
    session: AsyncSession,
    order: CrmWorkOrder,
    to_status: str,
    actor: Principal,
    note: str | None,
) -> CrmWorkOrder:
    if to_status not in TRANSITIONS[order.flow_status]:
        raise _conflict(order, to_status)
    await _record(session, order, order.flow_status, to_status, actor, note)
    return order


async def _locked(session: AsyncSession, work_order_id: str) -> CrmWorkOrder:
    """The order, its row locked until the transaction ends (two starts queue here)."""
    order = (
        await session.scalars(
            select(CrmWorkOrder)
            .where(CrmWorkOrder.work_order_id == work_order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if order is None:
        raise NotFound(f"work order {work_order_id} not found")
    return order


async def _lines(session: AsyncSession, work_order_id: str) -> list[WorkOrderMaterial]:
    rows = await session.scalars(
        select(WorkOrderMaterial)
        .where(WorkOrderMaterial.work_order_id == work_order_id)
        .order_by(WorkOrderMaterial.material_id)
    )
    return list(rows)


async def by_crm_reference(session: AsyncSession, crm_reference_id: str) -> CrmWorkOrder | None:
    found: CrmWorkOrder | None = await session.scalar(
        select(CrmWorkOrder).where(CrmWorkOrder.crm_reference_id == crm_reference_id)
    )
    return found


def _check_request(crm_reference_id: str, payload: WorkOrderRequest) -> None:
    if not crm_reference_id or len(crm_reference_id) > 100 or "\x00" in crm_reference_id:
        raise Invalid(
            "the CRM reference id must be 1 to 100 characters", fields=("crm_reference_id",)
        )
    seen: set[str] = set()
    for line in payload.lines:
        if line.material_id in seen:
            raise Invalid(
                f"material {line.material_id} is on two lines; give it once with the total",
                fields=("lines",),
            )
        seen.add(line.material_id)


async def open_from_crm(
    session: AsyncSession,
    crm_reference_id: str,
    payload: WorkOrderRequest,
    actor: Principal,
    correlation_id: str | None = None,
) -> CrmWorkOrder:
    """The SAP order of a CRM record: opened once, checked against the stock.

    Idempotent by the CRM id: an order already opened for it is returned as it is, and
    nothing is written. Every line's material must exist (``Invalid`` naming the unknown
    ones). When every line is in stock the order is ``materials_available``; when any is
    short, FI gets an approval for the shortage (priced with the lines' ``unit_price``:
    shortage x price summed, a line without a price counting 0) and a Finance_Approval
    ticket, and the order is ``purchase_requested``.

    ``correlation_id``: the CRM work-order flow's, kept on the order so that every later
    status change is sent under it (none: an order outside the flow, whose changes send
    nothing).
    """
    require_role(actor, OPEN_ROLES, "open work orders from the CRM")
    _check_request(crm_reference_id, payload)
    existing = await by_crm_reference(session, crm_reference_id)
    if existing is not None:
        return existing
    # Read, not locked: the check says what the stock was when the order came in; start
    # takes the locks when it issues.
    materials = await find_materials(session, [line.material_id for line in payload.lines])
    if payload.asset_id is not None and await session.get(Asset, payload.asset_id) is None:
        raise Invalid(f"unknown asset: {payload.asset_id}", fields=("asset_id",))
    cost_center_id = payload.cost_center_id or DEFAULT_COST_CENTER
    now = dt.datetime.now(dt.UTC)
    order = CrmWorkOrder(
        work_order_id=new_key("WO"),
        crm_reference_id=crm_reference_id,
        title=payload.title,
        description=payload.description,
        customer_name=payload.customer_name,
        site_location=payload.site_location,
        priority=payload.priority,
        flow_status="received",
        asset_id=payload.asset_id,
        requested_by=payload.requested_by,
        assigned_to=payload.assigned_to,
        correlation_id=correlation_id,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():  # the same CRM id opened at the same moment
            session.add(order)
            await session.flush()
    except IntegrityError:
        winner = await by_crm_reference(session, crm_reference_id)
        if winner is None:
            raise
        return winner
    short_lines: list[tuple[str, int]] = []
    amount = Decimal("0.00")
    for line in payload.lines:
        material = materials[line.material_id]
        available = min(material.quantity, line.quantity)
        session.add(
            WorkOrderMaterial(
                work_order_id=order.work_order_id,
                material_id=line.material_id,
                quantity_required=line.quantity,
                quantity_available=available,
                unit_of_measure=line.unit_of_measure or material.unit_of_measure,
                created_at=now,
                updated_at=now,
            )
        )
        if available < line.quantity:
            short_lines.append((line.material_id, line.quantity - available))
            amount += (line.quantity - available) * (line.unit_price or Decimal("0.00"))
    if not short_lines:
        await _record(session, order, None, "materials_available", actor, "every line in stock")
        return order
    if amount > MAX_AMOUNT:
        raise Invalid(
            f"the shortage would cost {amount}, more than an approval can hold ({MAX_AMOUNT})",
            fields=("lines",),
        )
    await check_cost_center(session, cost_center_id)
    shortfall = ", ".join(f"{m} short by {q}" for m, q in short_lines)
    ticket = await tickets.create_ticket(
        session,
        TicketCreate(
            ticket_type="Finance_Approval",
            module="FI",
            title=f"Purchase for work order {order.work_order_id}"[:255],
            description=f"CRM {crm_reference_id}: {shortfall}"[:10_000],
            priority=TICKET_PRIORITY[payload.priority],
        ),
        actor,
        correlation_id,
    )
    order.ticket_id = ticket.ticket_id
    session.add(
        approvals.new_approval(
            cost_center_id,
            amount.quantize(Decimal("0.01")),
            f"Work order {order.work_order_id} (CRM {crm_reference_id}): {shortfall}",
            ticket.ticket_id,
            actor,
        )
    )
    await _record(session, order, None, "purchase_requested", actor, shortfall)
    return order


async def approval_of(session: AsyncSession, order: CrmWorkOrder) -> Approval | None:
    if order.ticket_id is None:
        return None
    found: Approval | None = await session.scalar(
        select(Approval).where(Approval.ticket_id == order.ticket_id).order_by(Approval.approval_id)
    )
    return found


async def _order_of_ticket(session: AsyncSession, ticket_id: str | None) -> CrmWorkOrder | None:
    if ticket_id is None:
        return None
    order_id = await session.scalar(
        select(CrmWorkOrder.work_order_id).where(CrmWorkOrder.ticket_id == ticket_id)
    )
    return None if order_id is None else await _locked(session, order_id)


async def decide_purchase(
    session: AsyncSession,
    order: CrmWorkOrder,
    approval: Approval,
    actor: Principal,
) -> CrmWorkOrder:
    """The FI decision applied to its order: approved, one requisition per short line (a line
    that has one already gets no second) and ``purchase_approved``; rejected,
    ``purchase_rejected`` with the reason. An order already moved that way is left as it is."""
    target = {"approved": "purchase_approved", "rejected": "purchase_rejected"}.get(
        approval.decision
    )
    if target is None:
        raise Invalid(f"approval {approval.approval_id} is not decided", fields=("decision",))
    if order.flow_status == target:
        return order
    if target not in TRANSITIONS[order.flow_status]:
        raise _conflict(order, target)
    if target == "purchase_rejected":
        return await _move(session, order, target, actor, approval.comments or "rejected by FI")
    existing = set(
        await session.scalars(
            select(Requisition.material_id).where(Requisition.ticket_id == order.ticket_id)
        )
    )
    created: list[Requisition] = []
    for line in await _lines(session, order.work_order_id):
        short = line.quantity_required - line.quantity_available
        if short <= 0 or line.material_id in existing:
            continue
        requisition = new_requisition(
            line.material_id,
            short,
            actor,
            status="approved",
            cost_center_id=approval.cost_center_id,
            justification=f"Work order {order.work_order_id}: short by {short}",
            ticket_id=order.ticket_id,
        )
        session.add(requisition)
        created.append(requisition)
    await session.flush()
    if created and order.requisition_id is None:
        order.requisition_id = created[0].requisition_id  # the model holds one: the first
    names = ", ".join(r.requisition_id for r in created) or "none new"
    return await _move(session, order, target, actor, f"requisitions: {names}")


async def decide_approval(
    session: AsyncSession, approval_id: str, decision: str, comment: str | None, actor: Principal
) -> Approval:
    """An FI decision (``approved`` / ``rejected``), and the work order it was asked for
    driven by it. A decision whose order has moved on (cancelled, say) is a 409: nothing is
    decided then."""
    # The order is locked before the approval, as cancel locks them: two transactions taking
    # both never wait for each other crosswise. An approval's ticket never changes, so the
    # unlocked read that finds the order is enough.
    ticket_id = (await approvals.get_approval(session, approval_id)).ticket_id
    order = await _order_of_ticket(session, ticket_id)
    approval = await approvals.record_decision(session, approval_id, decision, comment, actor)
    if order is not None:
        await decide_purchase(session, order, approval, actor)
    return approval


async def proceed(
    session: AsyncSession, work_order_id: str, actor: Principal, note: str | None = None
) -> CrmWorkOrder:
    """``ready_to_proceed`` once every line's stock is there (after a purchase, the goods
    received); a line still short is a 409 naming it and what is available."""
    require_role(actor, PM_ROLES, "move work orders")
    order = await _locked(session, work_order_id)
    if "ready_to_proceed" not in TRANSITIONS[order.flow_status]:
        raise _conflict(order, "ready_to_proceed")
    lines = await _lines(session, work_order_id)
    materials = await lock_materials(session, [line.material_id for line in lines])
    for line in lines:
        material = materials[line.material_id]
        if material.quantity < line.quantity_required:
            raise shortage(material, line.quantity_required)
        line.quantity_available = line.quantity_required
    return await _move(session, order, "ready_to_proceed", actor, note)


async def start(
    session: AsyncSession, work_order_id: str, actor: Principal, note: str | None = None
) -> CrmWorkOrder:
    """``in_progress``: the stock of every line issued (one issue row per line, referencing
    the order), all lines or none; a short line is a 409 naming it and what is available."""
    require_role(actor, PM_ROLES, "start work orders")
    order = await _locked(session, work_order_id)
    if "in_progress" not in TRANSITIONS[order.flow_status]:
        raise _conflict(order, "in_progress")
    lines = await _lines(session, work_order_id)
    materials = await lock_materials(session, [line.material_id for line in lines])
    for line in lines:  # every line checked before any is issued: nothing half-done
        material = materials[line.material_id]
        if material.quantity < line.quantity_required:
            raise shortage(material, line.quantity_required)
    for line in lines:
        issue_locked(
            session,
            materials[line.material_id],
            line.quantity_required,
            actor,
            reference_doc=work_order_id,
            notes=f"issued for work order {work_order_id}",
        )
    return await _move(session, order, "in_progress", actor, note)


async def complete(
    session: AsyncSession, work_order_id: str, actor: Principal, note: str | None = None
) -> CrmWorkOrder:
    require_role(actor, PM_ROLES, "complete work orders")
    order = await _locked(session, work_order_id)
    return await _move(session, order, "completed", actor, note)


async def cancel(
    session: AsyncSession, work_order_id: str, actor: Principal, note: str | None = None
) -> CrmWorkOrder:
    """``cancelled``, before the order starts (the CRM cancelled it, or an engineer). An
    order already cancelled is returned as it is (the CRM may say it twice). What was asked
    for it and is no longer needed is rejected with the reason: its FI approval if still
    pending, its requisitions not yet ordered (ordered ones stay: the goods are coming)."""
    require_role(actor, PM_ROLES, "cancel work orders")
    order = await _locked(session, work_order_id)
    if order.flow_status == "cancelled":
        return order
    if "cancelled" not in TRANSITIONS[order.flow_status]:
        raise _conflict(order, "cancelled")
    reason = f"work order {work_order_id} cancelled" + (f": {note}" if note else "")
    approval = await approval_of(session, order)
    if approval is not None and approval.decision == "pending":
        await approvals.withdraw(session, approval.approval_id, reason, actor)
    if order.ticket_id is not None:
        await requisitions.withdraw_for_ticket(session, order.ticket_id, reason, actor)
    return await _move(session, order, "cancelled", actor, note)


async def list_orders(
    session: AsyncSession,
    limit: int,
    offset: int,
    status: str | None = None,
    crm_reference_id: str | None = None,
    with_total: bool = False,
) -> tuple[list[CrmWorkOrder], int | None]:
    query = select(CrmWorkOrder)
    if status:
        query = query.where(CrmWorkOrder.flow_status == status)
    if crm_reference_id:
        query = query.where(CrmWorkOrder.crm_reference_id == crm_reference_id)
    rows = await session.scalars(
        query.order_by(CrmWorkOrder.created_at.desc(), CrmWorkOrder.work_order_id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = None
    if with_total:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return list(rows), total


async def get_order(session: AsyncSession, work_order_id: str) -> CrmWorkOrder:
    """The order with its lines and its history (oldest first)."""
    order = await session.scalar(
        select(CrmWorkOrder)
        .where(CrmWorkOrder.work_order_id == work_order_id)
        .options(selectinload(CrmWorkOrder.materials), selectinload(CrmWorkOrder.history))
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(f"work order {work_order_id} not found")
    order.history.sort(key=lambda h: h.id)
    order.materials.sort(key=lambda m: m.material_id)
    return order
