"""Role checks inside service functions: the routes check roles first, but the flows call the
same functions without a route, so each function states whom it serves."""

from __future__ import annotations

from servicekit.auth import Principal
from servicekit.domain import Forbidden


def require_role(actor: Principal, roles: tuple[str, ...], what: str) -> None:
    if not actor.roles & set(roles):
        raise Forbidden(f"your role does not allow you to {what}")
