"""API keys: created for their owner and shown once, stored as a SHA-256 digest, revocable.
A key authenticates as its owner, with the owner's role, while both are active."""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from integration_platform.api.deps import ADMIN
from integration_platform.models import ApiKey, User
from servicekit.auth import Principal
from servicekit.db import Database, database_of
from servicekit.errors import not_found
from servicekit.security import NewApiKey, api_key_digest, new_api_key

KEY_LABEL = "ipk"
#: ``last_used_at`` is written at most once per this per key: a key in use says so to the
#: minute without a database write per request.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


async def create_key(
    session: AsyncSession, owner: Principal, name: str
) -> tuple[ApiKey, NewApiKey]:
    assert owner.user_id is not None
    new = new_api_key(KEY_LABEL)
    key = ApiKey(key_hash=new.digest, key_prefix=new.prefix, name=name, user_id=owner.user_id)
    session.add(key)
    await session.flush()
    await session.refresh(key)
    return key, new


def _owned_by(principal: Principal) -> list[ColumnElement[bool]]:
    return [] if ADMIN in principal.roles else [ApiKey.user_id == principal.user_id]


async def list_keys(session: AsyncSession, principal: Principal) -> list[ApiKey]:
    rows = await session.scalars(select(ApiKey).where(*_owned_by(principal)).order_by(ApiKey.id))
    return list(rows)


async def revoke_key(session: AsyncSession, principal: Principal, key_id: int) -> ApiKey:
    key: ApiKey | None = await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, *_owned_by(principal))
    )
    if key is None:
        raise not_found(f"API key {key_id}")  # another user's key is not shown either
    key.is_active = False
    await session.flush()
    return key


async def resolve_key(request: Request, key: str) -> Principal | None:
    """The owner of an active key, as a principal; None for an unknown or revoked key."""
    db = database_of(request)
    async with db.reader() as session:
        row = (
            await session.execute(
                select(
                    ApiKey.id,
                    ApiKey.key_prefix,
                    ApiKey.last_used_at,
                    User.id,
                    User.email,
                    User.role,
                )
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.key_hash == api_key_digest(key), ApiKey.is_active, User.is_active)
            )
        ).first()
    if row is None:
        return None
    key_id, prefix, last_used_at, user_id, email, role = row
    now = dt.datetime.now(dt.UTC)
    if last_used_at is None or now - last_used_at >= LAST_USED_PRECISION:
        await _mark_used(db, key_id, now)
    return Principal(str(user_id), f"{email} (key {prefix})", frozenset({role}), "user")


async def _mark_used(db: Database, key_id: int, now: dt.datetime) -> None:
    """Writes ``last_used_at``, unless another request (or replica) did in the last
    LAST_USED_PRECISION: the condition is in the UPDATE, so a burst writes once."""
    async with db.writer() as session:
        await session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                or_(
                    ApiKey.last_used_at.is_(None),
                    ApiKey.last_used_at <= now - LAST_USED_PRECISION,
                ),
            )
            .values(last_used_at=now)
        )
        await session.commit()
