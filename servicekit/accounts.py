"""Login, refresh and "me", written once over each app's own users table.

An app describes its users with an :class:`AccountStore` (find by login name, by id, record
a login); :func:`auth_router` gives the three routes. Unknown user, wrong password and
inactive user all get the same 401, after the same password-hashing work, and count as one
failed sign-in (:mod:`servicekit.ratelimit`; successes are not counted). Refresh tokens are
recorded, used once and rotated, a reuse revoking their family (:mod:`servicekit.refresh_tokens`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import refresh_tokens
from servicekit.auth import PUBLIC, SIGNED_IN, Principal, allow, authenticate
from servicekit.auth_tables import AuthTables
from servicekit.db import WriteSession
from servicekit.errors import Problem, unauthorized
from servicekit.ratelimit import LoginLimiter
from servicekit.security import InvalidToken, TokenService, hash_password, verify_password


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    password_hash: str
    roles: list[str]
    active: bool
    must_change_password: bool = False


class AccountStore(Protocol):
    async def by_login(self, session: AsyncSession, login: str) -> Account | None: ...
    async def by_id(self, session: AsyncSession, user_id: int) -> Account | None: ...
    async def record_login(self, session: AsyncSession, user_id: int) -> None: ...
    async def set_password_hash(
        self, session: AsyncSession, user_id: int, password_hash: str
    ) -> None: ...


#: The authenticated caller (the route's rule has already let them in; FastAPI runs
#: ``authenticate`` once per request however many dependencies ask for it).
Caller = Annotated[Principal, Depends(authenticate)]


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=255, description="User name or e-mail")
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=12, max_length=256)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the access token is valid")
    must_change_password: bool = False


class Me(BaseModel):
    id: str
    name: str
    roles: list[str]
    kind: str
    must_change_password: bool = False


async def _pair(
    session: AsyncSession, request: Request, account: Account, family_id: str | None = None
) -> TokenPair:
    """New tokens for ``account``; the refresh token recorded (in ``family_id``'s family, or a
    new family at a login) when the service keeps its refresh tokens."""
    tokens: TokenService = request.app.state.tokens
    tables: AuthTables | None = request.app.state.auth_tables
    subject = str(account.id)
    token_id = refresh_tokens.new_token_id()
    if tables is not None:
        await refresh_tokens.record(
            session, tables, token_id, family_id or token_id, account.id, tokens.lifetime("refresh")
        )
    return TokenPair(
        access_token=tokens.issue(
            subject, account.login, account.roles, "access", account.must_change_password
        ),
        refresh_token=tokens.issue(
            subject, account.login, account.roles, "refresh", token_id=token_id
        ),
        expires_in=int(tokens.lifetime("access").total_seconds()),
        must_change_password=account.must_change_password,
    )


def auth_router(
    store: AccountStore, user_roles: tuple[str, ...], prefix: str = "/api/auth"
) -> APIRouter:
    """Login, refresh and "me"; and a user's own password change (users' roles only: a
    service calling with an API key has no password)."""
    router = APIRouter(prefix=prefix, tags=["auth"])
    password_rule = allow(*user_roles, before_password_change=True)

    @router.post("/login", dependencies=[Depends(PUBLIC)], summary="Sign in")
    async def login(body: LoginRequest, request: Request, session: WriteSession) -> TokenPair:
        limiter: LoginLimiter = request.app.state.login_limiter
        await limiter.check(session, request, body.username)
        account = await store.by_login(session, body.username)
        valid = await verify_password(body.password, account.password_hash if account else None)
        if account is None or not valid or not account.active:
            await limiter.record_failure(session, request, body.username)
            await session.commit()
            raise unauthorized("wrong user name or password, or the account is not active")
        await store.record_login(session, account.id)
        pair = await _pair(session, request, account)
        await session.commit()
        return pair

    @router.post("/refresh", dependencies=[Depends(PUBLIC)], summary="New tokens")
    async def refresh(body: RefreshRequest, request: Request, session: WriteSession) -> TokenPair:
        """Exchanges a refresh token, once, for a new pair; a token used a second time
        revokes its family (every token descended from the same login)."""
        tokens: TokenService = request.app.state.tokens
        tables: AuthTables | None = request.app.state.auth_tables
        try:
            claims = tokens.decode(body.refresh_token, "refresh")
        except InvalidToken:
            raise unauthorized("the refresh token is invalid or expired") from None
        family_id = None
        if tables is not None:
            family_id = await refresh_tokens.use(session, tables, claims.token_id)
            if family_id is None:
                await session.commit()  # a reuse's revocation of the family stands
                raise unauthorized("the refresh token was used already, revoked or expired")
        # Re-read the user: a disabled user or a changed role takes effect here.
        account = await store.by_id(session, int(claims.subject))
        if account is None or not account.active:
            await session.commit()
            raise unauthorized("the account is not active")
        pair = await _pair(session, request, account, family_id)
        await session.commit()
        return pair

    @router.get("/me", summary="Who am I")
    async def me(principal: Annotated[Principal, Depends(SIGNED_IN)]) -> Me:
        return Me(
            id=principal.subject,
            name=principal.name,
            roles=sorted(principal.roles),
            kind=principal.kind,
            must_change_password=principal.must_change_password,
        )

    @router.post("/password", dependencies=[Depends(password_rule)], summary="Change my password")
    async def change_password(
        body: PasswordChange, request: Request, session: WriteSession, principal: Caller
    ) -> Me:
        """Clears the must-change-password flag; checked against the current password."""
        limiter: LoginLimiter = request.app.state.login_limiter
        await limiter.check(session, request, principal.name)
        account = await store.by_id(session, principal.user_id or 0)
        valid = await verify_password(
            body.current_password, account.password_hash if account else None
        )
        if account is None or not valid or not account.active:
            await limiter.record_failure(session, request, principal.name)
            await session.commit()
            raise unauthorized("the current password is wrong, or the account is not active")
        if body.new_password == body.current_password:
            raise Problem(422, "the new password must differ from the current one")
        await store.set_password_hash(session, account.id, await hash_password(body.new_password))
        # Every refresh token of the account goes: a thief who had one, or the old password,
        # keeps nothing (the caller signs in again with the new password).
        tables: AuthTables | None = request.app.state.auth_tables
        if tables is not None:
            await refresh_tokens.revoke_user(session, tables, account.id)
        await session.commit()
        return Me(
            id=principal.subject,
            name=principal.name,
            roles=sorted(principal.roles),
            kind=principal.kind,
        )

    return router


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
