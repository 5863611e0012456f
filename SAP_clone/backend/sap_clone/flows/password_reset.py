"""The password-reset flow, SAP's part.

``password_reset.open`` (from the integration platform) opens a ticket for an active SAP user,
keyed by the flow's correlation id (the same flow never opens two) and answers
``password_reset.opened``; an unknown user is answered with a rejection. An administrator's
reset or rejection (:mod:`sap_clone.api.services.password_resets`) sends
``password_reset.outcome``. No message ever carries a password.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.models import PasswordResetTicket, User
from servicekit.messaging.flows import FlowPart, OutboxWriter, Receive, Send
from servicekit.messaging.outbox import Message

FLOW = "password_reset"
PLATFORM = "mulesoft"
#: platform → SAP: {servicenow_ticket_id, username, requester_name, requester_email, reason,
#: priority}: open a reset ticket.
OPEN = "password_reset.open"
#: SAP → platform: {sap_ticket_id}
OPENED = "password_reset.opened"
#: SAP → platform: {outcome: "completed" | "rejected", reason, sap_ticket_id}
OUTCOME = "password_reset.outcome"


def comment(event: str, **details: Any) -> dict[str, Any]:
    return {"at": dt.datetime.now(dt.UTC).isoformat(), "event": event, **details}


async def send_outcome(
    session: AsyncSession,
    outbox: OutboxWriter,
    ticket: PasswordResetTicket,
    outcome: str,
    reason: str | None,
) -> None:
    await outbox.send(
        session,
        topic=OUTCOME,
        correlation_id=ticket.correlation_id or "",
        payload={"outcome": outcome, "reason": reason, "sap_ticket_id": ticket.sap_ticket_id},
    )


async def open_reset(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    payload = message.payload
    username = str(payload.get("username", ""))
    existing = await session.scalar(
        select(PasswordResetTicket).where(
            PasswordResetTicket.correlation_id == message.correlation_id
        )
    )
    if existing is not None:  # the flow asked again (a replay): answer as the first time
        await outbox.send(
            session,
            topic=OPENED,
            correlation_id=message.correlation_id,
            payload={"sap_ticket_id": existing.sap_ticket_id},
        )
        return
    user = await session.scalar(
        select(User).where(User.username == username, User.status == "active")
    )
    if user is None:
        await outbox.send(
            session,
            topic=OUTCOME,
            correlation_id=message.correlation_id,
            payload={
                "outcome": "rejected",
                "reason": f"SAP has no active user named {username!r}",
                "sap_ticket_id": None,
            },
        )
        return
    ticket = PasswordResetTicket(
        sap_ticket_id=f"PRT-{uuid.uuid4().hex[:16].upper()}",
        servicenow_ticket_id=payload.get("servicenow_ticket_id"),
        username=user.username,
        user_email=user.email,
        requester_name=payload.get("requester_name"),
        requester_email=payload.get("requester_email"),
        reason=payload.get("reason"),
        priority=payload.get("priority"),
        status="open",
        correlation_id=message.correlation_id,
        comments=[comment("opened", source=message.source)],
    )
    session.add(ticket)
    await session.flush()
    await outbox.send(
        session,
        topic=OPENED,
        correlation_id=message.correlation_id,
        payload={"sap_ticket_id": ticket.sap_ticket_id},
    )


PART = FlowPart(
    flow=FLOW,
    sends=(Send(OPENED, to=PLATFORM), Send(OUTCOME, to=PLATFORM)),
    receives=(Receive(OPEN, sender=PLATFORM, handler=open_reset),),
)
