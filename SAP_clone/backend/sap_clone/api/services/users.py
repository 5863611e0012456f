"""Users: the account store for login, and the Admin's user management."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.api.schemas import PasswordSet, UserCreate
from sap_clone.models.auth import AUTH
from sap_clone.models.users import User, UserRole
from servicekit import refresh_tokens
from servicekit.accounts import Account, utc_now
from servicekit.auth import Principal
from servicekit.domain import Conflict
from servicekit.errors import conflict, not_found
from servicekit.security import hash_password

ADMIN = "Admin"


def _account(user: User) -> Account:
    return Account(
        id=user.id,
        login=user.username,
        password_hash=user.password_hash,
        roles=user.role_names,
        active=user.status == "active",
        must_change_password=user.must_change_password,
    )


class SapAccounts:
    """SAP's users as servicekit's login routes see them."""

    async def by_login(self, session: AsyncSession, login: str) -> Account | None:
        user = await session.scalar(select(User).where(User.username == login))
        return _account(user) if user else None

    async def by_id(self, session: AsyncSession, user_id: int) -> Account | None:
        user = await session.get(User, user_id)
        return _account(user) if user else None

    async def record_login(self, session: AsyncSession, user_id: int) -> None:
        await session.execute(
            update(User).where(User.id == user_id).values(last_login_at=utc_now())
        )

    async def set_password_hash(
        self, session: AsyncSession, user_id: int, password_hash: str
    ) -> None:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_hash=password_hash, must_change_password=False, updated_at=utc_now())
        )


async def list_users(session: AsyncSession, limit: int, offset: int) -> list[User]:
    rows = await session.scalars(select(User).order_by(User.id).limit(limit).offset(offset))
    return list(rows)


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise not_found(f"user {user_id}")
    return user


async def create_user(session: AsyncSession, body: UserCreate) -> User:
    if await session.scalar(select(User.id).where(User.username == body.username)):
        raise conflict(f"the user name {body.username} is taken")
    user = User(
        username=body.username,
        email=body.email,
        full_name=body.full_name,
        password_hash=await hash_password(body.password),
        status=body.status,
        must_change_password=body.must_change_password,
        roles=[UserRole(role=r) for r in sorted(set(body.roles))],
    )
    session.add(user)
    await session.flush()
    return user


async def disable_user(session: AsyncSession, user_id: int, caller: Principal) -> User:
    """Disables a user and revokes their refresh tokens. Nobody disables themselves, and the
    last active Admin stays (409): someone must be able to administer."""
    if caller.user_id == user_id:
        raise Conflict("you cannot disable your own account; ask another administrator")
    user = await get_user(session, user_id)
    if user.status == "active" and ADMIN in user.role_names:
        await _keep_another_admin(session, user_id)
    user.status = "disabled"
    await refresh_tokens.revoke_user(session, AUTH, user_id)
    await session.flush()
    return user


async def _keep_another_admin(session: AsyncSession, user_id: int) -> None:
    """409 unless an active Admin other than ``user_id`` remains. Every active Admin's row is
    locked, in id order (PostgreSQL; SQLite's write session holds the database's lock): two
    Admins disabling each other at once are serialised, and the second finds itself alone."""
    admins = await session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == ADMIN, User.status == "active")
        .order_by(User.id)
        .with_for_update(of=User)
    )
    if not [i for i in admins if i != user_id]:
        raise Conflict(f"user {user_id} is the last active administrator")


async def activate_user(session: AsyncSession, user_id: int) -> User:
    """Approves a pending user, or re-enables a disabled one."""
    user = await get_user(session, user_id)
    user.status = "active"
    await session.flush()
    return user


async def set_password(session: AsyncSession, user_id: int, body: PasswordSet) -> User:
    user = await get_user(session, user_id)
    user.password_hash = await hash_password(body.password)
    user.must_change_password = body.must_change_password
    await refresh_tokens.revoke_user(session, AUTH, user_id)  # the old sessions end
    await session.flush()
    return user


async def ensure_admin(session: AsyncSession, username: str, password: str, reset: bool) -> None:
    """The bootstrap administrator: created when missing; its password reset when ``reset``."""
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        session.add(
            User(
                username=username,
                password_hash=await hash_password(password),
                status="active",
                must_change_password=False,
                roles=[UserRole(role="Admin")],
            )
        )
    elif reset:
        user.password_hash = await hash_password(password)
        user.status = "active"
        if "Admin" not in user.role_names:
            user.roles.append(UserRole(role="Admin"))
    await session.commit()
