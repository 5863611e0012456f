"""ServiceNow's roles and the rules its routes use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from servicekit.auth import SERVICE_ROLE, Principal, allow

ADMIN, AGENT, USER = "admin", "agent", "user"
ROLES = (ADMIN, AGENT, USER)

ADMIN_RULE = allow(ADMIN)
#: Anyone may raise a ticket; other services too.
Requester = Annotated[Principal, Depends(allow(ADMIN, AGENT, USER, SERVICE_ROLE))]
#: Working tickets (state, assignment, work notes, the Table API): agents and services.
Agent = Annotated[Principal, Depends(allow(ADMIN, AGENT, SERVICE_ROLE))]


def sees_all_tickets(principal: Principal) -> bool:
    """Plain users see only the tickets they raised."""
    return bool(principal.roles & {ADMIN, AGENT, SERVICE_ROLE})
