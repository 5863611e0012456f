"""The password-reset flow, ServiceNow's part: a user asks here, SAP does it, the outcome
comes back as a resolved or rejected ticket.

``request_password_reset`` opens a service request (category User Account / Password Reset)
in ``submitted`` and, in the same transaction, sends ``password_reset.requested`` to the
integration platform under a new correlation id. With an ``Idempotency-Key``, the same caller
retrying with the same key gets the first request's ticket back and nothing new is made; the
same key with a different request is refused (422, as the IETF Idempotency-Key draft answers).
The platform's messages move the ticket to ``in_progress``, then ``resolved`` or ``rejected``
with a work note saying why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass

import structlog
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.auth import Principal
from servicekit.db import Database
from servicekit.domain import Invalid, NotFound
from servicekit.messaging.flows import FlowPart, OutboxWriter, Receive, Send
from servicekit.messaging.outbox import Message, wake_relays
from servicenow.api.schemas import Priority, TicketCreate
from servicenow.api.services.tickets import create_ticket
from servicenow.models import IdempotencyKey, Ticket, User, WorkNote

log = structlog.get_logger("servicenow.password_resets")

FLOW = "password_reset"
PLATFORM = "mulesoft"
#: ServiceNow → platform: {servicenow_ticket_id, username, requester_name, requester_email,
#: reason, priority}
REQUESTED = "password_reset.requested"
#: platform → ServiceNow: {status: "in_progress"}
PROGRESS = "password_reset.progress"
#: platform → ServiceNow: {outcome: "completed" | "rejected", reason, sap_ticket_id}
RESOLVED = "password_reset.resolved"

CATEGORY, SUBCATEGORY = "User Account", "Password Reset"
#: Who the work notes of the flow are from.
FLOW_AUTHOR = "Integration platform"
#: A ticket in one of these has its outcome: later messages change nothing.
FINAL = frozenset({"resolved", "rejected", "closed", "cancelled"})


class PasswordResetRequest(BaseModel):
    sap_username: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(None, max_length=1000)
    priority: Priority = "medium"
    #: Raised on behalf of another user (agents, admins and services only).
    requester_email: str | None = Field(None, max_length=255)


@dataclass(frozen=True)
class Requested:
    ticket: Ticket
    #: False when an Idempotency-Key found the first request's ticket.
    created: bool


def request_digest(body: PasswordResetRequest) -> str:
    """The request an Idempotency-Key stands for, as a SHA-256 of its canonical JSON."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _existing(session: AsyncSession, owner: str, key: str, digest: str) -> Ticket | None:
    """The ticket a key made; the key reused with another request is refused, never answered
    with the first request's ticket."""
    row = (
        await session.execute(
            select(IdempotencyKey.ticket_number, IdempotencyKey.request_digest).where(
                IdempotencyKey.owner == owner, IdempotencyKey.idempotency_key == key
            )
        )
    ).first()
    if row is None:
        return None
    number, first_digest = row
    if first_digest is not None and first_digest != digest:
        raise Invalid(
            "this Idempotency-Key was used with another request; use a new key for a new request",
            fields=("Idempotency-Key",),
        )
    return await session.scalar(select(Ticket).where(Ticket.ticket_number == number))


async def request_password_reset(
    db: Database,
    outbox: OutboxWriter,
    body: PasswordResetRequest,
    principal: Principal,
    idempotency_key: str | None,
) -> Requested:
    """The flow's first step: the ticket and its message, committed together."""
    owner = principal.subject
    digest = request_digest(body)
    async with db.writer() as session:
        if idempotency_key:
            found = await _existing(session, owner, idempotency_key, digest)
            if found is not None:
                return Requested(found, created=False)
        correlation_id = uuid.uuid4().hex
        create = TicketCreate(
            title=f"Password reset for SAP user {body.sap_username}",
            description=body.reason,
            ticket_type="service_request",
            priority=body.priority,
            category=CATEGORY,
            subcategory=SUBCATEGORY,
            requester_email=body.requester_email,
        )
        ticket = await create_ticket(session, create, principal)
        ticket.correlation_id = correlation_id
        # Our own value: the database's onupdate would expire it, and reading it back after
        # the commit would need another round trip.
        ticket.updated_at = dt.datetime.now(dt.UTC)
        if idempotency_key:
            session.add(
                IdempotencyKey(
                    owner=owner,
                    idempotency_key=idempotency_key,
                    ticket_number=ticket.ticket_number,
                    request_digest=digest,
                )
            )
        requester = await session.get(User, ticket.requester_id)
        await outbox.send(
            session,
            topic=REQUESTED,
            correlation_id=correlation_id,
            payload={
                "servicenow_ticket_id": ticket.ticket_number,
                "username": body.sap_username,
                "requester_name": requester.full_name if requester else None,
                "requester_email": requester.email if requester else None,
                "reason": body.reason,
                "priority": body.priority,
            },
        )
        try:
            await session.commit()
        except IntegrityError:  # the same key, sent twice at once: the other one won
            await session.rollback()
            if idempotency_key and (
                found := await _existing(session, owner, idempotency_key, digest)
            ):
                return Requested(found, created=False)
            raise
    wake_relays()
    log.info(
        "password_reset_requested",
        ticket=ticket.ticket_number,
        flow_correlation_id=correlation_id,
    )
    return Requested(ticket, created=True)


async def _ticket_of(session: AsyncSession, message: Message) -> Ticket:
    ticket = await session.scalar(
        select(Ticket).where(Ticket.correlation_id == message.correlation_id).with_for_update()
    )
    if ticket is None:
        raise NotFound(f"no ticket has the correlation id {message.correlation_id}")
    return ticket


async def on_progress(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    ticket = await _ticket_of(session, message)
    if ticket.status == "submitted":
        ticket.status = "in_progress"
        ticket.updated_at = dt.datetime.now(dt.UTC)


async def on_resolved(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    ticket = await _ticket_of(session, message)
    if ticket.status in FINAL:
        return
    now = dt.datetime.now(dt.UTC)
    outcome = message.payload.get("outcome")
    sap_ticket = message.payload.get("sap_ticket_id")
    if outcome == "completed":
        ticket.status = "resolved"
        note = (
            f"SAP reset the password (SAP ticket {sap_ticket}); the SAP administrator gave "
            "the temporary password to the user, who must change it at the next sign-in."
        )
    else:
        ticket.status = "rejected"
        note = f"SAP rejected the password reset: {message.payload.get('reason') or 'no reason'}"
    ticket.resolution_notes = note
    ticket.updated_at = now
    session.add(
        WorkNote(
            ticket_id=ticket.id, author_id=None, author_name=FLOW_AUTHOR, note=note, created_at=now
        )
    )


PART = FlowPart(
    flow=FLOW,
    sends=(Send(REQUESTED, to=PLATFORM),),
    receives=(
        Receive(PROGRESS, sender=PLATFORM, handler=on_progress),
        Receive(RESOLVED, sender=PLATFORM, handler=on_resolved),
    ),
)
