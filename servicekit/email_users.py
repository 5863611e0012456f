"""Users signed in by e-mail with one role each — ServiceNow's and the integration platform's
``users`` tables have the same shape — : the account store, the administrator's routes and
the bootstrap administrator, written once for both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal, Protocol

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field, create_model
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from servicekit import refresh_tokens
from servicekit.accounts import Account, Caller
from servicekit.auth import Principal
from servicekit.auth_tables import AuthTables
from servicekit.db import ReadSession, WriteSession
from servicekit.domain import Conflict, NotFound
from servicekit.errors import conflict, not_found
from servicekit.schemas import Limit, Offset, ORMModel, RowId
from servicekit.security import hash_password

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class EmailUser(Protocol):
    """The columns both apps' ``users`` tables have."""

    id: int
    email: str
    full_name: str | None
    role: str
    hashed_password: str
    is_active: bool
    created_at: dt.datetime


class UserOut(ORMModel):
    id: int
    email: str
    full_name: str | None
    role: str
    is_active: bool
    created_at: dt.datetime


class EmailAccounts:
    """The account store over a users model with e-mail logins."""

    def __init__(self, model: type[Any], auth_tables: AuthTables | None = None):
        self.model = model
        self.email: InstrumentedAttribute[str] = model.email
        #: The app's refresh tokens, revoked when a user is disabled.
        self.auth_tables = auth_tables

    def _account(self, user: EmailUser) -> Account:
        return Account(user.id, user.email, user.hashed_password, [user.role], user.is_active)

    async def by_login(self, session: AsyncSession, login: str) -> Account | None:
        user = await session.scalar(select(self.model).where(self.email == login.lower()))
        return self._account(user) if user else None

    async def by_id(self, session: AsyncSession, user_id: int) -> Account | None:
        user = await session.get(self.model, user_id)
        return self._account(user) if user else None

    async def record_login(self, session: AsyncSession, user_id: int) -> None:
        """These tables keep no last-login time; the access log has the event."""

    async def set_password_hash(
        self, session: AsyncSession, user_id: int, password_hash: str
    ) -> None:
        user = await session.get(self.model, user_id)
        if user is not None:
            user.hashed_password = password_hash

    async def ensure_admin(
        self, session: AsyncSession, email: str, password: str, admin_role: str, reset: bool
    ) -> None:
        user = await session.scalar(select(self.model).where(self.email == email.lower()))
        if user is None:
            session.add(
                self.model(
                    email=email.lower(),
                    full_name="Administrator",
                    role=admin_role,
                    hashed_password=await hash_password(password),
                    is_active=True,
                )
            )
        elif reset:
            user.hashed_password = await hash_password(password)
            user.role = admin_role
            user.is_active = True
        await session.commit()


def users_router(
    accounts: EmailAccounts, roles: tuple[str, ...], admin_rule: Callable[..., Any]
) -> APIRouter:
    """Administrators list, create, get and disable users. Nobody registers themselves.
    ``roles`` lists the administrators' role first."""
    model = accounts.model
    admin_role = roles[0]
    role_type: Any = Literal[roles]
    user_create: type[BaseModel] = create_model(
        "UserCreate",
        email=(str, Field(max_length=255, pattern=EMAIL_PATTERN)),
        password=(str, Field(min_length=12, max_length=256)),
        full_name=(str | None, Field(None, max_length=255)),
        role=(role_type, roles[-1]),
    )
    router = APIRouter(prefix="/api/users", tags=["users"], dependencies=[Depends(admin_rule)])

    async def _get(session: AsyncSession, user_id: int) -> Any:
        user = await session.get(model, user_id)
        if user is None:
            raise not_found(f"user {user_id}")
        return user

    @router.get("")
    async def list_users(
        session: ReadSession, limit: Limit = 100, offset: Offset = 0
    ) -> list[UserOut]:
        rows = await session.scalars(select(model).order_by(model.id).limit(limit).offset(offset))
        return [UserOut.model_validate(u) for u in rows]

    async def create_user(body: Any, session: WriteSession) -> UserOut:
        fields = body.model_dump()
        email = fields["email"].lower()
        if await session.scalar(select(model.id).where(accounts.email == email)):
            raise conflict(f"a user with the e-mail {email} exists")
        user = model(
            email=email,
            full_name=fields["full_name"],
            role=fields["role"],
            hashed_password=await hash_password(fields["password"]),
            is_active=True,
        )
        session.add(user)
        await session.flush()
        out = UserOut.model_validate(user)
        await session.commit()
        return out

    create_user.__annotations__["body"] = user_create
    router.add_api_route(
        "", create_user, methods=["POST"], status_code=status.HTTP_201_CREATED, summary="Create"
    )

    @router.get("/{user_id}")
    async def get_user(user_id: RowId, session: ReadSession) -> UserOut:
        return UserOut.model_validate(await _get(session, user_id))

    @router.post("/{user_id}/disable")
    async def disable_user(user_id: RowId, session: WriteSession, caller: Caller) -> UserOut:
        user = await disable(accounts, session, user_id, caller, admin_role)
        out = UserOut.model_validate(user)
        await session.commit()
        return out

    return router


async def disable(
    accounts: EmailAccounts, session: AsyncSession, user_id: int, caller: Principal, admin_role: str
) -> Any:
    """Disables a user and revokes their refresh tokens. Nobody disables themselves, and the
    last active administrator stays (409): someone must be able to administer."""
    model = accounts.model
    if caller.user_id == user_id:
        raise Conflict("you cannot disable your own account; ask another administrator")
    user = await session.get(model, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    if user.is_active and user.role == admin_role:
        # Every active administrator's row locked, in id order (PostgreSQL; SQLite's write
        # session holds the database's lock): two administrators disabling each other at
        # once are serialised, and the second finds only itself left.
        admins = await session.scalars(
            select(model.id)
            .where(model.role == admin_role, model.is_active.is_(True))
            .order_by(model.id)
            .with_for_update()
        )
        if not [i for i in admins if i != user_id]:
            raise Conflict(f"user {user_id} is the last active administrator")
        await session.refresh(user)
    user.is_active = False
    if accounts.auth_tables is not None:
        await refresh_tokens.revoke_user(session, accounts.auth_tables, user_id)
    await session.flush()
    return user
