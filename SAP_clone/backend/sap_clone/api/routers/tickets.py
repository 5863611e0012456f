"""Tickets on core.tickets. Each role sees the tickets of its module; Admin and services all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from sap_clone.api.deps import CorrelationId, ReadSession, TicketUser, WriteSession
from sap_clone.api.schemas import (
    AuditOut,
    Module,
    TicketCreate,
    TicketOut,
    TicketPage,
    TicketStatus,
    TicketUpdate,
)
from sap_clone.api.services import tickets
from servicekit.schemas import Limit, Offset

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_ticket(
    body: TicketCreate, principal: TicketUser, session: WriteSession, correlation: CorrelationId
) -> TicketOut:
    ticket = await tickets.create_ticket(session, body, principal, correlation)
    out = TicketOut.model_validate(ticket)
    await session.commit()
    return out


@router.get("")
async def list_tickets(
    principal: TicketUser,
    session: ReadSession,
    limit: Limit = 50,
    offset: Offset = 0,
    module: Module | None = None,
    ticket_status: Annotated[TicketStatus | None, Query(alias="status")] = None,
    count: bool = False,
) -> TicketPage:
    rows, total = await tickets.list_tickets(
        session, principal, limit, offset, module, ticket_status, count
    )
    return TicketPage(
        items=[TicketOut.model_validate(t) for t in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{ticket_id}")
async def get_ticket(ticket_id: str, principal: TicketUser, session: ReadSession) -> TicketOut:
    return TicketOut.model_validate(await tickets.get_ticket(session, principal, ticket_id))


@router.patch("/{ticket_id}")
async def update_ticket(
    ticket_id: str, body: TicketUpdate, principal: TicketUser, session: WriteSession
) -> TicketOut:
    ticket = await tickets.update_ticket(session, principal, ticket_id, body)
    out = TicketOut.model_validate(ticket)
    await session.commit()
    return out


@router.get("/{ticket_id}/audit")
async def ticket_audit(
    ticket_id: str, principal: TicketUser, session: ReadSession
) -> list[AuditOut]:
    rows = await tickets.audit_trail(session, principal, ticket_id)
    return [AuditOut.model_validate(a) for a in rows]
