"""The CRM work-order flow, Salesforce's part: a WorkOrder inserted with its line items is
carried into SAP, and SAP's status comes back onto it.

The flow is on when the service shares a hop key with the platform (``make run`` sets them);
without one, WorkOrders are plain CRM records and nothing is sent.

- A WorkOrder inserted in ``New`` sends ``crm.work_order.requested`` to the integration
  platform when its transaction commits — in that transaction, with the line items inserted
  with it (a ``composite/tree`` or an ``allOrNone`` composite request, say): each line's
  product (its ``ProductCode`` is the SAP material number) and quantity. Lines added by later
  requests are not sent.
- A WorkOrder moved to ``Canceled`` by a user sends ``crm.work_order.cancel_requested``; SAP
  cancels its order if it has not started (else the status that comes back says why not).
- ``crm.work_order.status`` from the platform sets Status, ``SAP_Work_Order_Id__c``,
  ``SAP_Status__c`` and ``SAP_Status_Reason__c`` through the same service function as any
  API write, as the integration (no user). SAP numbers its statuses: one older than the
  newest applied (a late delivery) changes nothing (``work_order_sap_sync``).

One correlation id for the order's whole life: ``wo-`` and its 15-character id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from salesforce_crm.api.services import records
from salesforce_crm.api.services.actors import SYSTEM
from salesforce_crm.api.services.triggers import TriggerContext, on
from salesforce_crm.models import tables as t
from salesforce_crm.sobjects import ids
from servicekit.domain import NotFound
from servicekit.messaging.flows import FlowPart, OutboxWriter, Receive, Send
from servicekit.messaging.outbox import SESSION_OUTBOX, Message, Outbox

FLOW = "crm_work_order"
PLATFORM = "mulesoft"
#: Salesforce → platform: {work_order_id, work_order_number, subject, description, priority,
#: account_name, lines: [{line_item_id, product_code, quantity, description}]}
REQUESTED = "crm.work_order.requested"
#: Salesforce → platform: {work_order_id, reason}
CANCEL_REQUESTED = "crm.work_order.cancel_requested"
#: platform → Salesforce: {work_order_id, status, sap_work_order_id, sap_status, reason,
#: sequence}
STATUS = "crm.work_order.status"

#: Where a session keeps the WorkOrders inserted in ``New`` until its commit.
_PENDING = "crm_work_orders_requested"


def correlation_id_of(work_order_id: str) -> str:
    return f"wo-{work_order_id[:15]}"


def _outbox_for(session: AsyncSession | Session, topic: str) -> Outbox | None:
    """The service's outbox when ``topic`` can travel, else None (the flow is off)."""
    outbox = session.info.get(SESSION_OUTBOX)
    return outbox if isinstance(outbox, Outbox) and outbox.can_send(topic) else None


@on("WorkOrder", "after_insert")
async def remember_new_work_order(context: TriggerContext) -> None:
    new = context.new or {}
    if new.get("Status") == "New" and _outbox_for(context.session, REQUESTED) is not None:
        context.session.info.setdefault(_PENDING, []).append(str(new["Id"]))


@on("WorkOrder", "after_update")
async def request_cancel(context: TriggerContext) -> None:
    old, new = context.old or {}, context.new or {}
    if context.actor is SYSTEM or new.get("Status") != "Canceled":
        return
    if old.get("Status") == "Canceled":
        return
    work_order_id = str(new["Id"])
    outbox = _outbox_for(context.session, CANCEL_REQUESTED)
    if outbox is not None:
        await outbox.send(
            context.session,
            topic=CANCEL_REQUESTED,
            correlation_id=correlation_id_of(work_order_id),
            payload={
                "work_order_id": work_order_id,
                "reason": f"canceled by {context.actor.username}",
            },
        )


def _request_payload(session: Session, work_order_id: str) -> dict[str, Any] | None:
    """The request of one WorkOrder, read in the committing transaction."""
    decoded = ids.decode(work_order_id)
    if decoded is None:
        return None
    row_id = decoded[1]
    order = session.execute(
        select(t.work_orders, t.accounts.c.name.label("account_name"))
        .outerjoin(t.accounts, t.accounts.c.id == t.work_orders.c.account_id)
        .where(t.work_orders.c.id == row_id, t.work_orders.c.is_deleted.is_(False))
    ).one_or_none()
    if order is None or order.status != "New":  # deleted or moved on in the same transaction
        return None
    lines = session.execute(
        select(
            t.work_order_line_items.c.id,
            t.work_order_line_items.c.quantity,
            t.work_order_line_items.c.description,
            t.products.c.product_code,
        )
        .outerjoin(t.products, t.products.c.id == t.work_order_line_items.c.product_id)
        .where(
            t.work_order_line_items.c.work_order_id == row_id,
            t.work_order_line_items.c.is_deleted.is_(False),
        )
        .order_by(t.work_order_line_items.c.id)
    ).all()
    return {
        "work_order_id": work_order_id,
        "work_order_number": order.work_order_number,
        "subject": order.subject,
        "description": order.description,
        "priority": order.priority,
        "account_name": order.account_name,
        "lines": [
            {
                "line_item_id": ids.encode("1WL", line.id),
                "product_code": line.product_code,
                "quantity": int(line.quantity) if line.quantity is not None else None,
                "description": line.description,
            }
            for line in lines
        ],
    }


@event.listens_for(Session, "before_commit")
def _send_requests(session: Session) -> None:
    """At commit, the WorkOrders inserted in ``New`` are sent with the lines they have."""
    pending: list[str] = session.info.pop(_PENDING, [])
    outbox = _outbox_for(session, REQUESTED) if pending else None
    if outbox is None:
        return
    for work_order_id in dict.fromkeys(pending):
        payload = _request_payload(session, work_order_id)
        if payload is not None:
            outbox.send_sync(session, REQUESTED, correlation_id_of(work_order_id), payload)


async def on_status(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    payload = message.payload
    work_order_id = str(payload.get("work_order_id") or "")
    obj = records.sobject("WorkOrder")
    decoded = ids.decode(work_order_id)
    if decoded is None or decoded[0] != obj.key_prefix:
        raise NotFound(f"no WorkOrder has the id {work_order_id!r}")
    row_id = decoded[1]
    sequence = int(payload.get("sequence") or 0)
    sync = t.work_order_sap_sync
    applied = await session.scalar(
        select(sync.c.sap_sequence).where(sync.c.work_order_id == row_id).with_for_update()
    )
    if applied is not None and sequence <= applied:
        return  # older than what the record shows: a late delivery
    changes: dict[str, Any] = {
        "SAP_Work_Order_Id__c": payload.get("sap_work_order_id"),
        "SAP_Status__c": payload.get("sap_status"),
        "SAP_Status_Reason__c": (
            str(payload.get("reason"))[:255] if payload.get("reason") else None
        ),
    }
    if payload.get("status"):
        changes["Status"] = payload["status"]
    await records.update(session, obj, row_id, changes, SYSTEM)
    if applied is None:
        await session.execute(sync.insert().values(work_order_id=row_id, sap_sequence=sequence))
    else:
        await session.execute(
            sync.update().where(sync.c.work_order_id == row_id).values(sap_sequence=sequence)
        )


PART = FlowPart(
    flow=FLOW,
    sends=(Send(REQUESTED, to=PLATFORM), Send(CANCEL_REQUESTED, to=PLATFORM)),
    receives=(Receive(STATUS, sender=PLATFORM, handler=on_status),),
)
