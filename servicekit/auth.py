"""Who is calling, and may they: the authentication and role rules every route declares.

Every route names its rule with one of :func:`allow` (these roles) or :data:`PUBLIC`
(anyone, e.g. login). The rules are objects the tests can find on each route, so a route
added without one fails the authorisation matrix test.

Callers authenticate with a bearer access token (users) or an ``X-API-Key`` header (other
services, or an integration platform user's key). Roles come from the token's claims: no
database round trip per request; a disabled user keeps access only until the access token
expires (minutes), since refreshing re-reads the user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from servicekit.errors import forbidden, unauthorized
from servicekit.security import InvalidToken, TokenService

#: The role a service calling with one of the configured API keys has.
SERVICE_ROLE = "service"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str  # a user's id, or the API key's id / digest prefix
    name: str  # user name or e-mail, or the key's name
    roles: frozenset[str]
    kind: Literal["user", "service"]
    #: Signed in with a password an administrator set: only changing it is allowed.
    must_change_password: bool = False

    @property
    def user_id(self) -> int | None:
        return int(self.subject) if self.kind == "user" and self.subject.isdigit() else None


#: Resolves an API key to a principal, or None when the key is unknown or revoked.
ApiKeyResolver = Callable[[Request, str], Awaitable[Principal | None]]

_bearer = HTTPBearer(auto_error=False, description="An access token from the login route")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key of a service or user"
)


async def authenticate(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    if bearer is not None:
        tokens: TokenService = request.app.state.tokens
        try:
            claims = tokens.decode(bearer.credentials, "access")
        except InvalidToken:
            raise unauthorized("the access token is invalid or expired") from None
        return Principal(
            claims.subject, claims.name, claims.roles, "user", claims.must_change_password
        )
    if api_key:
        resolve: ApiKeyResolver = request.app.state.api_key_resolver
        principal = await resolve(request, api_key)
        if principal is None:
            raise unauthorized("the API key is invalid or revoked")
        return principal
    raise unauthorized()


class RoleRule:
    """A route's authorisation rule: public, any signed-in caller, or these roles."""

    def __init__(
        self,
        roles: frozenset[str],
        *,
        public: bool = False,
        any_role: bool = False,
        before_password_change: bool = False,
    ):
        self.roles = roles
        self.public = public
        self.any_role = any_role
        #: Open to a user who must change their password first (the change itself, "me").
        self.before_password_change = before_password_change

    def check_password_state(self, principal: Principal) -> None:
        if principal.must_change_password and not self.before_password_change:
            raise forbidden("change your password first (POST /api/auth/password)")

    def allows(self, roles: frozenset[str]) -> bool:
        return self.public or self.any_role or bool(roles & self.roles)

    def __repr__(self) -> str:
        if self.public:
            return "PUBLIC"
        return "SIGNED_IN" if self.any_role else f"allow({', '.join(sorted(self.roles))})"


class _Allow(RoleRule):
    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not (principal.roles & self.roles):
            raise forbidden()
        self.check_password_state(principal)
        return principal


class _Public(RoleRule):
    async def __call__(self) -> None:
        return None


class _SignedIn(RoleRule):
    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        return principal


def allow(*roles: str, before_password_change: bool = False) -> _Allow:
    """The rule of a route open to these roles; use as ``Depends(allow(...))``."""
    if not roles:
        raise ValueError("name at least one role; use PUBLIC for an open route")
    return _Allow(frozenset(roles), before_password_change=before_password_change)


#: Anyone, signed in or not (login, health).
PUBLIC = _Public(frozenset(), public=True)
#: Any authenticated caller, whatever the role ("me").
SIGNED_IN = _SignedIn(frozenset(), any_role=True, before_password_change=True)


def rule_of(dependant: object) -> RoleRule | None:
    """The rule found among a route's dependencies (FastAPI's Dependant tree)."""
    call = getattr(dependant, "call", None)
    if isinstance(call, RoleRule):
        return call
    for sub in getattr(dependant, "dependencies", ()):
        found = rule_of(sub)
        if found is not None:
            return found
    return None


def route_rules(app: FastAPI) -> list[tuple[str, str, RoleRule | None]]:
    """(method, path, rule) of every API route of ``app`` (the docs routes aside); a route
    without a rule has None."""
    found = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        for method in sorted(context.methods or ()):
            found.append((method, str(context.path), rule_of(context.dependant)))
    return found
