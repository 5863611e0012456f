"""The CRM work-order flow, SAP's part.

``crm.work_order.open`` (from the integration platform) opens one SAP order per CRM id
(:func:`sap_clone.api.services.work_orders.open_from_crm`: a replay finds the same order);
``crm.work_order.cancel`` cancels it before it starts. Every transition of an order from the
CRM — whoever makes it: the flow, an engineer's start or complete, FI's decision — sends
``sap.work_order.status_changed`` in its own transaction (a hook on the work-order service),
numbered by the order's history (``sequence``) so that the platform and Salesforce never let
an older status overwrite a newer one.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.api.services import work_order_hooks, work_orders
from sap_clone.api.work_order_schemas import WorkOrderLineIn, WorkOrderRequest
from sap_clone.models.work_orders import CrmWorkOrder, WorkOrderFlowHistory
from servicekit.auth import SERVICE_ROLE, Principal
from servicekit.domain import Conflict, Invalid
from servicekit.messaging.flows import FlowPart, OutboxWriter, Receive, Send
from servicekit.messaging.outbox import Message, outbox_of

FLOW = "crm_work_order"
PLATFORM = "mulesoft"
#: platform → SAP: {crm_reference_id, work_order_number, subject, description, priority,
#: account_name, lines: [{line_item_id, product_code, quantity, description}]}
OPEN = "crm.work_order.open"
#: platform → SAP: {crm_reference_id, reason}
CANCEL = "crm.work_order.cancel"
#: SAP → platform: {crm_reference_id, sap_work_order_id, status, reason, sequence}
STATUS_CHANGED = "sap.work_order.status_changed"
#: Sent instead of an order when SAP cannot open one (an unknown material, a bad line).
REFUSED = "rejected"

#: Who the flow acts as in SAP (history, audit).
FLOW_ACTOR = Principal("crm-flow", "CRM work-order flow", frozenset({SERVICE_ROLE}), "service")
#: Salesforce's WorkOrder priority → SAP's.
PRIORITY = {"Low": "low", "Medium": "medium", "High": "high", "Critical": "urgent"}


async def _sequence(session: AsyncSession, order: CrmWorkOrder) -> int:
    """The number of the order's newest status: its history rows, counted in the
    transaction that holds the order's lock."""
    count = await session.scalar(
        select(func.count())
        .select_from(WorkOrderFlowHistory)
        .where(WorkOrderFlowHistory.work_order_id == order.work_order_id)
    )
    return int(count or 0)


async def _send_status(
    session: AsyncSession, outbox: OutboxWriter, order: CrmWorkOrder, note: str | None
) -> None:
    await outbox.send(
        session,
        topic=STATUS_CHANGED,
        correlation_id=order.correlation_id or "",
        payload={
            "crm_reference_id": order.crm_reference_id,
            "sap_work_order_id": order.work_order_id,
            "status": order.flow_status,
            "reason": note,
            "sequence": await _sequence(session, order),
        },
    )


@work_order_hooks.register
async def status_changed(
    session: AsyncSession,
    order: CrmWorkOrder,
    from_status: str | None,
    to_status: str,
    note: str | None,
) -> None:
    """Every transition of an order that came from the CRM tells the CRM."""
    if order.correlation_id:
        await _send_status(session, outbox_of(session), order, note)


def _request(payload: dict[str, Any]) -> WorkOrderRequest:
    lines = [
        WorkOrderLineIn(
            material_id=str(line.get("product_code") or ""),
            quantity=line.get("quantity"),
            unit_price=line.get("unit_price"),
        )
        for line in payload.get("lines") or []
    ]
    title = payload.get("subject") or f"CRM work order {payload.get('work_order_number')}"
    return WorkOrderRequest(
        title=str(title)[:255],
        description=payload.get("description"),
        customer_name=payload.get("account_name"),
        priority=PRIORITY.get(str(payload.get("priority")), "medium"),
        requested_by=payload.get("requested_by"),
        lines=lines,
    )


async def on_open(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    crm_id = str(message.payload.get("crm_reference_id") or "")
    existing = await work_orders.by_crm_reference(session, crm_id)
    if existing is not None:  # the flow asked again (a replay): say where the order is
        await _send_status(session, outbox, existing, "already open")
        return
    try:
        request = _request(message.payload)
        await work_orders.open_from_crm(
            session, crm_id, request, FLOW_ACTOR, message.correlation_id
        )
    except (ValidationError, Invalid) as exc:
        reason = _refusal(exc)
        await outbox.send(
            session,
            topic=STATUS_CHANGED,
            correlation_id=message.correlation_id,
            payload={
                "crm_reference_id": crm_id,
                "sap_work_order_id": None,
                "status": REFUSED,
                "reason": f"SAP cannot open the work order: {reason}",
                "sequence": 1,
            },
        )


def _refusal(exc: ValidationError | Invalid) -> str:
    if isinstance(exc, Invalid):
        return exc.detail
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}"


async def on_cancel(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    crm_id = str(message.payload.get("crm_reference_id") or "")
    reason = message.payload.get("reason") or "cancelled in the CRM"
    order = await work_orders.by_crm_reference(session, crm_id)
    if order is None:
        # The order's own message has not been applied yet: refuse, the relay tries again.
        raise Conflict(f"no work order is open for the CRM record {crm_id} yet")
    try:
        await work_orders.cancel(session, order.work_order_id, FLOW_ACTOR, str(reason))
    except Conflict as exc:
        # Too late (the work has started): recorded, and the CRM is told where it stands.
        order = await work_orders.get_order(session, order.work_order_id)
        note = f"cancel refused: {exc.detail}"
        session.add(
            WorkOrderFlowHistory(
                work_order_id=order.work_order_id,
                from_status=order.flow_status,
                to_status=order.flow_status,
                changed_by=FLOW_ACTOR.name,
                note=note,
            )
        )
        await session.flush()
        await _send_status(session, outbox, order, note)


PART = FlowPart(
    flow=FLOW,
    sends=(Send(STATUS_CHANGED, to=PLATFORM),),
    receives=(
        Receive(OPEN, sender=PLATFORM, handler=on_open),
        Receive(CANCEL, sender=PLATFORM, handler=on_cancel),
    ),
)
