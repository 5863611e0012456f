"""Password resets requested through ServiceNow (via the integration platform): an
administrator lists the open tickets and resets one — the temporary password is in that
response only — or rejects it. The flow is :mod:`sap_clone.flows.password_reset`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from sap_clone.api.deps import AdminOnly, ReadSession, WriteSession
from sap_clone.api.services.password_resets import reject_reset, reset_password
from sap_clone.models import PasswordResetTicket
from sap_clone.models.password_reset import RESET_STATUSES
from servicekit.messaging.outbox import Outbox, wake_relays


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


@router.post("/{sap_ticket_id}/reset", summary="Reset the user's password (shown once)")
async def reset(
    sap_ticket_id: str, session: WriteSession, admin: AdminOnly, request: Request
) -> ResetDone:
    outbox: Outbox = request.app.state.outbox
    ticket, temporary = await reset_password(session, outbox, sap_ticket_id, admin.name)
    wake_relays()
    return ResetDone(**_out(ticket), temporary_password=temporary, must_change_password=True)


@router.post("/{sap_ticket_id}/reject", summary="Reject the request, with the reason")
async def reject(
    sap_ticket_id: str, body: RejectBody, session: WriteSession, admin: AdminOnly, request: Request
) -> ResetTicketOut:
    outbox: Outbox = request.app.state.outbox
    ticket = await reject_reset(session, outbox, sap_ticket_id, admin.name, body.reason)
    wake_relays()
    return ResetTicketOut(**_out(ticket))
