"""Tickets: ServiceNow-style numbers, state changes that follow the workflow, work notes."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.auth import Principal
from servicekit.errors import Problem, conflict, forbidden, not_found
from servicenow.api.deps import sees_all_tickets
from servicenow.api.schemas import TicketCreate, TicketUpdate
from servicenow.models import Ticket, User, WorkNote

#: The number's prefix per ticket type, as ServiceNow names its tables' records.
NUMBER_PREFIX = {
    "incident": "INC",
    "service_request": "REQ",
    "change_request": "CHG",
    "problem": "PRB",
}
#: Numbers start at 0010001 (INC0010001), as a new ServiceNow instance's do.
NUMBER_BASE = 10_000

#: Where a ticket may go from each state; anything else is a 409.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "cancelled"}),
    "submitted": frozenset({"pending_approval", "in_progress", "cancelled"}),
    "pending_approval": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"in_progress", "cancelled"}),
    "rejected": frozenset({"closed"}),
    "in_progress": frozenset({"resolved", "cancelled"}),
    "resolved": frozenset({"closed", "in_progress"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


def ticket_number(ticket_type: str, ticket_id: int) -> str:
    return f"{NUMBER_PREFIX[ticket_type]}{NUMBER_BASE + ticket_id:07d}"


async def _requester_id(session: AsyncSession, body: TicketCreate, principal: Principal) -> int:
    if body.requester_email is None:
        if principal.user_id is None:
            raise Problem(422, "a service must name the requester (requester_email)")
        return principal.user_id
    if not sees_all_tickets(principal):
        raise forbidden("only agents and services raise tickets for someone else")
    found = await session.scalar(
        select(User.id).where(User.email == body.requester_email.lower(), User.is_active)
    )
    if found is None:
        raise Problem(422, f"no active user has the e-mail {body.requester_email}")
    return found


async def create_ticket(session: AsyncSession, body: TicketCreate, principal: Principal) -> Ticket:
    """The number comes from the row's own id, which the database hands out: two tickets
    created at once can never share one. The row is inserted with a unique placeholder
    number and numbered in the same transaction."""
    now = dt.datetime.now(dt.UTC)
    ticket = Ticket(
        ticket_number=f"~{uuid.uuid4().hex[:19]}",
        title=body.title,
        description=body.description,
        ticket_type=body.ticket_type,
        status="submitted" if body.submit else "draft",
        priority=body.priority,
        category=body.category,
        subcategory=body.subcategory,
        requester_id=await _requester_id(session, body, principal),
        external_sys_id=body.external_sys_id,
        external_number=body.external_number,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    await session.flush()
    ticket.ticket_number = ticket_number(ticket.ticket_type, ticket.id)
    # A value of our own: without it the ORM would expire updated_at (its onupdate is the
    # database's now()) and reading it back would be one more round trip.
    ticket.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    return ticket


def _visible(principal: Principal) -> list[ColumnElement[bool]]:
    if sees_all_tickets(principal):
        return []
    return [Ticket.requester_id == principal.user_id]


async def list_tickets(
    session: AsyncSession,
    principal: Principal,
    limit: int,
    offset: int,
    status: str | None,
    ticket_type: str | None,
) -> list[Ticket]:
    query = select(Ticket).where(*_visible(principal))
    if status:
        query = query.where(Ticket.status == status)
    if ticket_type:
        query = query.where(Ticket.ticket_type == ticket_type)
    rows = await session.scalars(query.order_by(Ticket.id.desc()).limit(limit).offset(offset))
    return list(rows)


async def get_ticket(session: AsyncSession, principal: Principal, number: str) -> Ticket:
    ticket = await session.scalar(
        select(Ticket).where(Ticket.ticket_number == number.upper(), *_visible(principal))
    )
    if ticket is None:
        raise not_found(f"ticket {number}")
    return ticket


async def update_ticket(
    session: AsyncSession, principal: Principal, number: str, body: TicketUpdate
) -> Ticket:
    ticket = await get_ticket(session, principal, number)
    if body.status is not None and body.status != ticket.status:
        if body.status not in TRANSITIONS[ticket.status]:
            allowed = ", ".join(sorted(TRANSITIONS[ticket.status])) or "none"
            raise conflict(
                f"a ticket in state {ticket.status} cannot move to {body.status}; "
                f"allowed: {allowed}"
            )
        ticket.status = body.status
    elif ticket.status in ("closed", "cancelled"):
        raise conflict(f"a {ticket.status} ticket cannot be changed")
    if body.priority is not None:
        ticket.priority = body.priority
    if body.assigned_to_id is not None:
        assignee = await session.get(User, body.assigned_to_id)
        if assignee is None or not assignee.is_active or assignee.role == "user":
            raise Problem(422, f"user {body.assigned_to_id} is not an active agent")
        ticket.assigned_to_id = body.assigned_to_id
    if body.resolution_notes is not None:
        ticket.resolution_notes = body.resolution_notes
    ticket.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    return ticket


async def add_work_note(
    session: AsyncSession, principal: Principal, number: str, note: str
) -> WorkNote:
    ticket = await get_ticket(session, principal, number)
    entry = WorkNote(
        ticket_id=ticket.id,
        author_id=principal.user_id,
        author_name=principal.name,
        note=note,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(entry)
    # A note is a change of the ticket: its updated_at follows.
    await session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(updated_at=entry.created_at)
    )
    await session.flush()
    return entry


async def work_notes(session: AsyncSession, principal: Principal, number: str) -> list[WorkNote]:
    ticket = await get_ticket(session, principal, number)
    rows = await session.scalars(
        select(WorkNote).where(WorkNote.ticket_id == ticket.id).order_by(WorkNote.id)
    )
    return list(rows)
