"""Tickets: raise (anyone signed in, services), read (users their own), work them (agents)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from servicekit.db import ReadSession, WriteSession
from servicekit.schemas import Limit, Offset
from servicenow.api.deps import Agent, Requester
from servicenow.api.schemas import (
    TicketCreate,
    TicketOut,
    TicketState,
    TicketType,
    TicketUpdate,
    WorkNoteCreate,
    WorkNoteOut,
)
from servicenow.api.services import tickets

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_ticket(
    body: TicketCreate, principal: Requester, session: WriteSession
) -> TicketOut:
    ticket = await tickets.create_ticket(session, body, principal)
    out = TicketOut.model_validate(ticket)
    await session.commit()
    return out


@router.get("")
async def list_tickets(
    principal: Requester,
    session: ReadSession,
    limit: Limit = 50,
    offset: Offset = 0,
    state: Annotated[TicketState | None, Query(alias="status")] = None,
    ticket_type: TicketType | None = None,
) -> list[TicketOut]:
    rows = await tickets.list_tickets(session, principal, limit, offset, state, ticket_type)
    return [TicketOut.model_validate(t) for t in rows]


@router.get("/{number}")
async def get_ticket(number: str, principal: Requester, session: ReadSession) -> TicketOut:
    return TicketOut.model_validate(await tickets.get_ticket(session, principal, number))


@router.patch("/{number}")
async def update_ticket(
    number: str, body: TicketUpdate, principal: Agent, session: WriteSession
) -> TicketOut:
    ticket = await tickets.update_ticket(session, principal, number, body)
    out = TicketOut.model_validate(ticket)
    await session.commit()
    return out


@router.post("/{number}/work_notes", status_code=status.HTTP_201_CREATED)
async def add_work_note(
    number: str, body: WorkNoteCreate, principal: Agent, session: WriteSession
) -> WorkNoteOut:
    note = await tickets.add_work_note(session, principal, number, body.note)
    out = WorkNoteOut.model_validate(note)
    await session.commit()
    return out


@router.get("/{number}/work_notes")
async def list_work_notes(number: str, principal: Agent, session: ReadSession) -> list[WorkNoteOut]:
    return [
        WorkNoteOut.model_validate(n) for n in await tickets.work_notes(session, principal, number)
    ]
