"""Password resets requested through ServiceNow (via the integration platform).

A ``password_reset.open`` message opens a ticket for an active SAP user (keyed by the flow's
correlation id: the same flow never opens two); an unknown user is answered with a rejection.
An administrator lists the open tickets and resets one — the user's password becomes a
temporary one (its argon2 hash; the user must change it at the next sign-in), shown in that
response only — or rejects it. Either outcome travels back as ``password_reset.outcome``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.api.deps import AdminOnly, ReadSession, WriteSession
from sap_clone.models import AUTH, MESSAGING, PasswordResetTicket, User
from sap_clone.models.password_reset import RESET_STATUSES
from servicekit import refresh_tokens
from servicekit.errors import conflict, not_found
from servicekit.messaging import topics
from servicekit.messaging.outbox import Handler, Message, MessagingSpec, Outbox, wake_relays
from servicekit.security import generate_password, hash_password

log = structlog.get_logger("sap_clone.password_resets")


def _comment(event: str, **details: Any) -> dict[str, Any]:
    return {"at": dt.datetime.now(dt.UTC).isoformat(), "event": event, **details}


async def open_reset(session: AsyncSession, message: Message, outbox: Outbox) -> None:
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
            destination=topics.MULESOFT,
            topic=topics.RESET_OPENED,
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
            destination=topics.MULESOFT,
            topic=topics.RESET_OUTCOME,
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
        comments=[_comment("opened", source=message.source)],
    )
    session.add(ticket)
    await session.flush()
    await outbox.send(
        session,
        destination=topics.MULESOFT,
        topic=topics.RESET_OPENED,
        correlation_id=message.correlation_id,
        payload={"sap_ticket_id": ticket.sap_ticket_id},
    )


HANDLERS: dict[str, Handler] = {topics.RESET_OPEN: open_reset}
MESSAGING_SPEC = MessagingSpec(tables=MESSAGING, handlers=HANDLERS, admin_roles=("Admin",))


class ResetTicketOut(BaseModel):
    sap_ticket_id: str
    servicenow_ticket_id: str | None
    username: str
    requester_name: str | None
    requester_email: str | None
    reason: str | None
    priority: str | None
    status: str
    assigned_to: str | None
    correlation_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ResetDone(ResetTicketOut):
    #: Shown once, here: stored nowhere in clear; the user must change it at sign-in.
    temporary_password: str
    must_change_password: bool


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


def _out(ticket: PasswordResetTicket) -> dict[str, Any]:
    return {k: getattr(ticket, k) for k in ResetTicketOut.model_fields}


router = APIRouter(prefix="/api/password-resets", tags=["password resets"])


@router.get("", summary="Password-reset tickets (open ones by default)")
async def list_resets(
    session: ReadSession,
    _: AdminOnly,
    status: Literal[(*RESET_STATUSES, "all")] = "open",  # type: ignore[valid-type]
    correlation_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ResetTicketOut]:
    query = select(PasswordResetTicket).order_by(PasswordResetTicket.id).limit(limit)
    if status != "all":
        query = query.where(PasswordResetTicket.status == status)
    if correlation_id:
        query = query.where(PasswordResetTicket.correlation_id == correlation_id)
    return [ResetTicketOut(**_out(t)) for t in await session.scalars(query)]


async def _open_ticket(session: AsyncSession, sap_ticket_id: str) -> PasswordResetTicket:
    query = select(PasswordResetTicket).where(PasswordResetTicket.sap_ticket_id == sap_ticket_id)
    ticket = await session.scalar(query.with_for_update())
    if ticket is None:
        raise not_found(f"password-reset ticket {sap_ticket_id}")
    if ticket.status not in ("open", "in_progress"):
        raise conflict(f"the ticket is {ticket.status}: only an open one can be acted on")
    return ticket


@router.post("/{sap_ticket_id}/reset", summary="Reset the user's password (shown once)")
async def reset(
    sap_ticket_id: str, session: WriteSession, admin: AdminOnly, request: Request
) -> ResetDone:
    # Hashed before the transaction begins: argon2 takes a while, and no connection or row
    # lock should be held meanwhile.
    temporary = generate_password()
    password_hash = await hash_password(temporary)
    ticket = await _open_ticket(session, sap_ticket_id)
    user = await session.scalar(
        select(User).where(User.username == ticket.username).with_for_update()
    )
    if user is None or user.status != "active":
        raise conflict(f"SAP user {ticket.username} is no longer active: reject the request")
    user.password_hash = password_hash
    user.must_change_password = True
    await refresh_tokens.revoke_user(session, AUTH, user.id)  # the old sessions end
    user.updated_at = dt.datetime.now(dt.UTC)
    ticket.status = "completed"
    ticket.assigned_to = admin.name
    ticket.comments = [*ticket.comments, _comment("reset", by=admin.name)]
    ticket.updated_at = dt.datetime.now(dt.UTC)
    outbox: Outbox = request.app.state.outbox
    await outbox.send(
        session,
        destination=topics.MULESOFT,
        topic=topics.RESET_OUTCOME,
        correlation_id=ticket.correlation_id or "",
        payload={"outcome": "completed", "reason": None, "sap_ticket_id": ticket.sap_ticket_id},
    )
    await session.commit()
    wake_relays()
    log.info("password_reset_done", sap_ticket_id=sap_ticket_id, username=ticket.username)
    return ResetDone(**_out(ticket), temporary_password=temporary, must_change_password=True)


@router.post("/{sap_ticket_id}/reject", summary="Reject the request, with the reason")
async def reject(
    sap_ticket_id: str, body: RejectBody, session: WriteSession, admin: AdminOnly, request: Request
) -> ResetTicketOut:
    ticket = await _open_ticket(session, sap_ticket_id)
    ticket.status = "cancelled"
    ticket.assigned_to = admin.name
    ticket.comments = [*ticket.comments, _comment("rejected", by=admin.name, reason=body.reason)]
    ticket.updated_at = dt.datetime.now(dt.UTC)
    outbox: Outbox = request.app.state.outbox
    await outbox.send(
        session,
        destination=topics.MULESOFT,
        topic=topics.RESET_OUTCOME,
        correlation_id=ticket.correlation_id or "",
        payload={
            "outcome": "rejected",
            "reason": body.reason,
            "sap_ticket_id": ticket.sap_ticket_id,
        },
    )
    await session.commit()
    wake_relays()
    return ResetTicketOut(**_out(ticket))
