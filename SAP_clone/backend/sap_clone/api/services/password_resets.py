"""An administrator acts on a password-reset ticket: resets the user's password (a temporary
one, its argon2 hash stored, must-change-password set, the clear text returned once) or
rejects the request. Either outcome goes back to the flow in the same transaction."""

from __future__ import annotations

import datetime as dt

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.flows.password_reset import comment, send_outcome
from sap_clone.models import AUTH, PasswordResetTicket, User
from servicekit import refresh_tokens
from servicekit.domain import Conflict, NotFound
from servicekit.messaging.flows import OutboxWriter
from servicekit.security import generate_password, hash_password

log = structlog.get_logger("sap_clone.password_resets")


async def _open_ticket(session: AsyncSession, sap_ticket_id: str) -> PasswordResetTicket:
    query = select(PasswordResetTicket).where(PasswordResetTicket.sap_ticket_id == sap_ticket_id)
    ticket = await session.scalar(query.with_for_update())
    if ticket is None:
        raise NotFound(f"password-reset ticket {sap_ticket_id} not found")
    if ticket.status not in ("open", "in_progress"):
        raise Conflict(f"the ticket is {ticket.status}: only an open one can be acted on")
    return ticket


async def reset_password(
    session: AsyncSession, outbox: OutboxWriter, sap_ticket_id: str, admin: str
) -> tuple[PasswordResetTicket, str]:
    """The ticket, completed, and the temporary password (to show once). Commits."""
    # Hashed before the transaction begins: argon2 takes a while, and no connection or row
    # lock should be held meanwhile.
    temporary = generate_password()
    password_hash = await hash_password(temporary)
    ticket = await _open_ticket(session, sap_ticket_id)
    user = await session.scalar(
        select(User).where(User.username == ticket.username).with_for_update()
    )
    if user is None or user.status != "active":
        raise Conflict(f"SAP user {ticket.username} is no longer active: reject the request")
    now = dt.datetime.now(dt.UTC)
    user.password_hash = password_hash
    user.must_change_password = True
    await refresh_tokens.revoke_user(session, AUTH, user.id)  # the old sessions end
    user.updated_at = now
    ticket.status = "completed"
    ticket.assigned_to = admin
    ticket.comments = [*ticket.comments, comment("reset", by=admin)]
    ticket.updated_at = now
    await send_outcome(session, outbox, ticket, "completed", None)
    await session.commit()
    log.info("password_reset_done", sap_ticket_id=sap_ticket_id, username=ticket.username)
    return ticket, temporary


async def reject_reset(
    session: AsyncSession, outbox: OutboxWriter, sap_ticket_id: str, admin: str, reason: str
) -> PasswordResetTicket:
    """The ticket, cancelled with the reason. Commits."""
    ticket = await _open_ticket(session, sap_ticket_id)
    ticket.status = "cancelled"
    ticket.assigned_to = admin
    ticket.comments = [*ticket.comments, comment("rejected", by=admin, reason=reason)]
    ticket.updated_at = dt.datetime.now(dt.UTC)
    await send_outcome(session, outbox, ticket, "rejected", reason)
    await session.commit()
    return ticket
