"""``POST /api/password-resets``: a user (or an agent or a service on their behalf) asks SAP
to reset a password; the flow is :mod:`servicenow.flows.password_reset`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from servicekit.db import database_of
from servicekit.messaging.outbox import Outbox
from servicenow.api.deps import Requester
from servicenow.api.schemas import TicketOut
from servicenow.flows.password_reset import PasswordResetRequest, request_password_reset

router = APIRouter(prefix="/api/password-resets", tags=["password resets"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def request_reset(
    body: PasswordResetRequest,
    principal: Requester,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> TicketOut:
    """Opens the request; a retry with the same ``Idempotency-Key`` answers 200 with the
    ticket the first one made."""
    outbox: Outbox = request.app.state.outbox
    requested = await request_password_reset(
        database_of(request), outbox, body, principal, idempotency_key
    )
    if not requested.created:
        response.status_code = status.HTTP_200_OK
    return TicketOut.model_validate(requested.ticket)
