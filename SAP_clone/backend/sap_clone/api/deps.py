"""The dependencies SAP_clone's routes share: sessions and the role rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sap_clone.api.roles import (
    ADMIN,
    FINANCE_OFFICER,
    MAINTENANCE_ENGINEER,
    STORE_MANAGER,
    TICKET_ROLES,
)
from servicekit.auth import Principal, allow
from servicekit.db import ReadSession, WriteSession

__all__ = ["ReadSession", "WriteSession"]

AdminOnly = Annotated[Principal, Depends(allow(ADMIN))]
TicketUser = Annotated[Principal, Depends(allow(*TICKET_ROLES))]
PM_RULE = allow(ADMIN, MAINTENANCE_ENGINEER)
MM_RULE = allow(ADMIN, STORE_MANAGER)
FI_RULE = allow(ADMIN, FINANCE_OFFICER)
PmUser = Annotated[Principal, Depends(PM_RULE)]
MmUser = Annotated[Principal, Depends(MM_RULE)]
FiUser = Annotated[Principal, Depends(FI_RULE)]


def correlation_id(request: Request) -> str:
    value: str = request.state.correlation_id
    return value


CorrelationId = Annotated[str, Depends(correlation_id)]
