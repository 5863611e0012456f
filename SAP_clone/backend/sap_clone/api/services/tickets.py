"""Tickets on core.tickets: numbered without races, status changes that follow the workflow,
an audit entry for every change."""

from __future__ import annotations

import datetime as dt
import zlib

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.api.roles import ALL_MODULES, modules_of
from sap_clone.api.schemas import TicketCreate, TicketUpdate
from sap_clone.models.core import AuditEntry, Ticket
from servicekit.auth import Principal
from servicekit.errors import conflict, forbidden, not_found

#: Where a ticket may go from each status, one step forward along
#: Open -> Assigned -> In_Progress -> Closed (the README's workflow); anything else is a 409.
TRANSITIONS: dict[str, frozenset[str]] = {
    "Open": frozenset({"Assigned"}),
    "Assigned": frozenset({"In_Progress"}),
    "In_Progress": frozenset({"Closed"}),
    "Closed": frozenset(),
}
#: Six digits: a day's tickets of one module stay in order as text up to 999,999.
NUMBER_DIGITS = 6


async def _next_ticket_id(session: AsyncSession, module: str, day: dt.date) -> str:
    """TKT-PM-20240115-000001: the next number of the module's day.

    Two creations must not read the same last number. On PostgreSQL a transaction-level
    advisory lock per prefix queues them; on SQLite the write session already holds the
    database's write lock (BEGIN IMMEDIATE). Either way the lock ends with the transaction.
    """
    prefix = f"TKT-{module}-{day:%Y%m%d}-"
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(prefix.encode())
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    last = await session.scalar(
        select(func.max(Ticket.ticket_id)).where(Ticket.ticket_id.like(f"{prefix}%"))
    )
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:0{NUMBER_DIGITS}d}"


def _audit(ticket_id: str, action: str, old: str | None, new: str | None, by: str) -> AuditEntry:
    return AuditEntry(
        ticket_id=ticket_id, action=action, old_value=old, new_value=new, performed_by=by
    )


async def create_ticket(
    session: AsyncSession, body: TicketCreate, principal: Principal, correlation_id: str | None
) -> Ticket:
    if body.module not in modules_of(principal):
        raise forbidden(f"your role does not open module {body.module}")
    ticket_id = await _next_ticket_id(session, body.module, dt.datetime.now(dt.UTC).date())
    now = dt.datetime.now(dt.UTC)
    ticket = Ticket(
        ticket_id=ticket_id,
        ticket_type=body.ticket_type,
        module=body.module,
        priority=body.priority,
        status="Assigned" if body.assigned_to else "Open",
        title=body.title,
        description=body.description,
        sla_deadline=body.sla_deadline,
        assigned_to=body.assigned_to,
        created_by=principal.name,
        correlation_id=correlation_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.add(_audit(ticket_id, "created", None, ticket.status, principal.name))
    await session.flush()
    return ticket


async def list_tickets(
    session: AsyncSession,
    principal: Principal,
    limit: int,
    offset: int,
    module: str | None,
    status: str | None,
    with_total: bool,
) -> tuple[list[Ticket], int | None]:
    modules = modules_of(principal)
    query = select(Ticket)
    if modules != ALL_MODULES:  # no filter at all when every module is visible: index-only order
        query = query.where(Ticket.module.in_(sorted(modules)))
    if module:
        query = query.where(Ticket.module == module)
    if status:
        query = query.where(Ticket.status == status)
    rows = await session.scalars(
        query.order_by(Ticket.created_at.desc(), Ticket.ticket_id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = None
    if with_total:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return list(rows), total


async def get_ticket(session: AsyncSession, principal: Principal, ticket_id: str) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.module not in modules_of(principal):
        raise not_found(f"ticket {ticket_id}")  # another module's tickets are not shown
    return ticket


async def update_ticket(
    session: AsyncSession, principal: Principal, ticket_id: str, body: TicketUpdate
) -> Ticket:
    ticket = await get_ticket(session, principal, ticket_id)
    by = principal.name
    changed = False
    if body.status is not None and body.status != ticket.status:
        if body.status not in TRANSITIONS[ticket.status]:
            allowed = ", ".join(sorted(TRANSITIONS[ticket.status])) or "none (it is closed)"
            raise conflict(
                f"a ticket in status {ticket.status} cannot move to {body.status}; "
                f"allowed: {allowed}"
            )
        session.add(_audit(ticket_id, "status_changed", ticket.status, body.status, by))
        ticket.status = body.status
        changed = True
    elif ticket.status == "Closed" and (body.priority or body.assigned_to):
        raise conflict("a closed ticket cannot be changed")
    if body.priority is not None and body.priority != ticket.priority:
        session.add(_audit(ticket_id, "priority_changed", ticket.priority, body.priority, by))
        ticket.priority = body.priority
        changed = True
    if body.assigned_to is not None and body.assigned_to != ticket.assigned_to:
        session.add(_audit(ticket_id, "assigned", ticket.assigned_to, body.assigned_to, by))
        ticket.assigned_to = body.assigned_to
        changed = True
    if body.comment:
        session.add(_audit(ticket_id, "comment", None, body.comment, by))
        changed = True
    if changed:
        ticket.updated_at = dt.datetime.now(dt.UTC)
        await session.flush()
    return ticket


async def audit_trail(
    session: AsyncSession, principal: Principal, ticket_id: str
) -> list[AuditEntry]:
    await get_ticket(session, principal, ticket_id)
    rows = await session.scalars(
        select(AuditEntry).where(AuditEntry.ticket_id == ticket_id).order_by(AuditEntry.id)
    )
    return list(rows)
