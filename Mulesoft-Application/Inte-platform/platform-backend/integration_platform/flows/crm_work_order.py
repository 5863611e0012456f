"""The CRM work-order flow, the platform's part: a work order created in Salesforce is
carried into SAP, and every status SAP gives it is written back to Salesforce.

Salesforce ──crm.work_order.requested──▶ platform ──crm.work_order.open──▶ SAP
Salesforce ──crm.work_order.cancel_requested──▶ platform ──crm.work_order.cancel──▶ SAP
                         platform ◀──sap.work_order.status_changed── SAP
Salesforce ◀──crm.work_order.status── platform

One correlation id per work order, from Salesforce's id: every message of the order carries
it. SAP numbers its status changes (``sequence``); one delivered late (the relay delivers
concurrently) never overwrites a newer one, here or in Salesforce. The run ends when
Salesforce accepted a final status: ``succeeded`` (completed, or cancelled as asked) or
``failed`` (the purchase was rejected).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from integration_platform.flows.runs import event, log_hop, now, register_integration, run_of
from integration_platform.models import MESSAGING, FlowRun, WorkOrderFlow
from servicekit.domain import NotFound
from servicekit.messaging.flows import FlowPart, OutboxWriter, Receive, Send
from servicekit.messaging.outbox import DeliveryOutcome, Message

FLOW = "crm_work_order"
SAP, SALESFORCE = "sap", "salesforce"
#: Salesforce → platform: {work_order_id, work_order_number, subject, description, priority,
#: account_name, lines: [{line_item_id, product_code, quantity, description}]}
REQUESTED = "crm.work_order.requested"
#: Salesforce → platform: {work_order_id, reason}
CANCEL_REQUESTED = "crm.work_order.cancel_requested"
#: platform → SAP: the request's fields, ``crm_reference_id`` the Salesforce id.
OPEN = "crm.work_order.open"
#: platform → SAP: {crm_reference_id, reason}
CANCEL = "crm.work_order.cancel"
#: SAP → platform: {crm_reference_id, sap_work_order_id, status, reason, sequence}
STATUS_CHANGED = "sap.work_order.status_changed"
#: platform → Salesforce: {work_order_id, status, sap_work_order_id, sap_status, reason,
#: sequence}
STATUS = "crm.work_order.status"

register_integration(
    FLOW,
    "CRM work orders: Salesforce → SAP",
    "Work orders created in Salesforce, carried out in SAP, their status written back",
)

#: SAP's status → the WorkOrder's Status in Salesforce.
SALESFORCE_STATUS = {
    "received": "New",
    "pending_material_check": "New",
    "materials_available": "New",
    "ready_to_proceed": "New",
    "purchase_approved": "New",
    "materials_shortage": "On Hold",
    "purchase_requested": "On Hold",
    "in_progress": "In Progress",
    "completed": "Completed",
    "purchase_rejected": "Canceled",
    "cancelled": "Canceled",
    # SAP could not open the order at all (an unknown material, say): no SAP order exists.
    "rejected": "Canceled",
}
#: SAP statuses that end the order, and how the run ends once Salesforce has them.
FINAL = {
    "completed": "succeeded",
    "cancelled": "succeeded",
    "purchase_rejected": "failed",
    "rejected": "failed",
}
_FORWARDED = (
    "work_order_number",
    "subject",
    "description",
    "priority",
    "account_name",
    "lines",
)


def correlation_id_of(work_order_id: str) -> str:
    """The one correlation id of a work order's whole life, from its Salesforce id (15 or
    18 characters: the 15 case-sensitive ones identify it)."""
    return f"wo-{work_order_id[:15]}"


async def flow_of(session: AsyncSession, correlation_id: str) -> WorkOrderFlow | None:
    query = select(WorkOrderFlow).where(WorkOrderFlow.correlation_id == correlation_id)
    return await session.scalar(query.with_for_update())


async def _known(session: AsyncSession, message: Message) -> tuple[WorkOrderFlow, FlowRun]:
    flow = await flow_of(session, message.correlation_id)
    run = await run_of(session, message.correlation_id)
    if flow is None or run is None:
        raise NotFound(f"no work-order flow has the correlation id {message.correlation_id}")
    return flow, run


async def on_requested(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    cid, payload = message.correlation_id, message.payload
    if await flow_of(session, cid) is not None:  # asked again: already under way
        return
    work_order_id = str(payload.get("work_order_id", ""))
    flow = WorkOrderFlow(
        correlation_id=cid,
        salesforce_work_order_id=work_order_id,
        work_order_number=payload.get("work_order_number"),
        subject=payload.get("subject"),
        history=[event("received", source=message.source)],
    )
    session.add(flow)
    session.add(FlowRun(correlation_id=cid, flow=FLOW, status="running", step=OPEN))
    lines = payload.get("lines") or []
    await log_hop(
        session,
        FLOW,
        cid,
        f"received {message.topic} from {message.source} "
        f"(work order {flow.work_order_number or work_order_id}, {len(lines)} line(s))",
    )
    forwarded: dict[str, Any] = {k: payload.get(k) for k in _FORWARDED}
    forwarded["crm_reference_id"] = work_order_id
    await outbox.send(session, topic=OPEN, correlation_id=cid, payload=forwarded)
    flow.history = [*flow.history, event("sent_to_sap")]
    await log_hop(session, FLOW, cid, f"queued {OPEN} for sap")


async def on_cancel_requested(
    session: AsyncSession, message: Message, outbox: OutboxWriter
) -> None:
    flow, run = await _known(session, message)
    reason = message.payload.get("reason")
    flow.history = [*flow.history, event("cancel_requested", reason=reason)]
    flow.updated_at = now()
    run.step = CANCEL
    run.updated_at = now()
    await outbox.send(
        session,
        topic=CANCEL,
        correlation_id=message.correlation_id,
        payload={"crm_reference_id": flow.salesforce_work_order_id, "reason": reason},
    )
    await log_hop(
        session,
        FLOW,
        message.correlation_id,
        f"received {message.topic} from {message.source}; queued {CANCEL} for sap",
    )


async def on_status_changed(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    flow, run = await _known(session, message)
    payload = message.payload
    sequence = int(payload.get("sequence") or 0)
    status = str(payload.get("status") or "")
    reason = payload.get("reason")
    if sequence <= flow.sap_sequence:  # older than what we have: a late delivery
        await log_hop(
            session,
            FLOW,
            message.correlation_id,
            f"ignored {message.topic} #{sequence} ({status}): #{flow.sap_sequence} is newer",
        )
        return
    flow.sap_sequence = sequence
    flow.sap_status = status
    flow.sap_work_order_id = payload.get("sap_work_order_id") or flow.sap_work_order_id
    flow.salesforce_status = SALESFORCE_STATUS.get(status, flow.salesforce_status)
    flow.status_reason = reason
    flow.history = [*flow.history, event(f"sap_{status}", sequence=sequence, reason=reason)]
    flow.updated_at = now()
    run.step = STATUS if status in FINAL else f"sap_{status}"
    run.updated_at = now()
    await log_hop(
        session,
        FLOW,
        message.correlation_id,
        f"received {message.topic} from {message.source}: {status} (#{sequence})"
        + (f" ({reason})" if reason else ""),
        "WARNING" if status == "purchase_rejected" else "INFO",
    )
    await outbox.send(
        session,
        topic=STATUS,
        correlation_id=message.correlation_id,
        payload={
            "work_order_id": flow.salesforce_work_order_id,
            "status": flow.salesforce_status,
            "sap_work_order_id": flow.sap_work_order_id,
            "sap_status": status,
            "reason": reason,
            "sequence": sequence,
        },
    )


async def on_delivery(session: AsyncSession, outcome: DeliveryOutcome) -> None:
    """Salesforce accepted a status: remembered; a final one ends the run."""
    if not outcome.delivered or outcome.topic != STATUS:
        return
    flow = await flow_of(session, outcome.correlation_id)
    run = await run_of(session, outcome.correlation_id)
    if flow is None or run is None:
        return
    outbox = MESSAGING.outbox
    payload = await session.scalar(
        select(outbox.c.payload).where(outbox.c.message_id == outcome.message_id)
    )
    sequence = int((payload or {}).get("sequence") or 0)
    if sequence <= flow.salesforce_sequence:
        return
    flow.salesforce_sequence = sequence
    flow.history = [
        *flow.history,
        event("salesforce_updated", status=(payload or {}).get("status"), sequence=sequence),
    ]
    flow.updated_at = now()
    # Only the newest status ends the run: an older one delivered after it does not.
    if sequence == flow.sap_sequence and flow.sap_status in FINAL:
        run.status = FINAL[flow.sap_status]
        run.step = "done"


PART = FlowPart(
    flow=FLOW,
    sends=(Send(OPEN, to=SAP), Send(CANCEL, to=SAP), Send(STATUS, to=SALESFORCE)),
    receives=(
        Receive(REQUESTED, sender=SALESFORCE, handler=on_requested),
        Receive(CANCEL_REQUESTED, sender=SALESFORCE, handler=on_cancel_requested),
        Receive(STATUS_CHANGED, sender=SAP, handler=on_status_changed),
    ),
    on_delivery=on_delivery,
)
