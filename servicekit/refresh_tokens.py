"""Refresh tokens that are rotated, detect reuse and can be revoked.

Each refresh token is a row (:mod:`servicekit.auth_tables`). Refreshing uses the token up
(``used_at``) and hands out a new one of the same family. A token presented after it was used
was copied — by a thief or by the client it was stolen from —: the whole family is revoked,
so neither can go on. Disabling a user and changing a password revoke all of that user's
tokens. The access token is not looked up (no database read per request): it lives out its
minutes (``ACCESS_TOKEN_MINUTES``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.auth_tables import AuthTables


def new_token_id() -> str:
    return uuid.uuid4().hex


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def record(
    session: AsyncSession,
    tables: AuthTables,
    token_id: str,
    family_id: str,
    user_id: int,
    lifetime: dt.timedelta,
) -> None:
    """Stores a token just issued (committed by the caller). The user's expired tokens go
    at the same time: the table holds live tokens only."""
    table = tables.refresh_tokens
    now = _now()
    await session.execute(delete(table).where(table.c.user_id == user_id, table.c.expires_at < now))
    await session.execute(
        insert(table).values(
            token_id=token_id,
            family_id=family_id,
            user_id=user_id,
            issued_at=now,
            expires_at=now + lifetime,
        )
    )


async def use(session: AsyncSession, tables: AuthTables, token_id: str) -> str | None:
    """Uses a token up: its family when it was live and unused; None otherwise, and when it
    had been used already its family is revoked (the caller commits either way).

    The check and the use are one UPDATE, so two refreshes with one token at the same moment
    cannot both win: the second finds it used, and revokes the family.
    """
    table = tables.refresh_tokens
    now = _now()
    result = await session.execute(
        update(table)
        .where(
            table.c.token_id == token_id,
            table.c.used_at.is_(None),
            table.c.revoked_at.is_(None),
            table.c.expires_at > now,
        )
        .values(used_at=now)
    )
    family: str | None = await session.scalar(
        select(table.c.family_id).where(table.c.token_id == token_id)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount == 1:
        return family
    if family is not None:
        await revoke_family(session, tables, family)
    return None


async def revoke_family(session: AsyncSession, tables: AuthTables, family_id: str) -> None:
    table = tables.refresh_tokens
    await session.execute(
        update(table)
        .where(table.c.family_id == family_id, table.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


async def revoke_user(session: AsyncSession, tables: AuthTables, user_id: int) -> None:
    """Revokes every refresh token of the user (disabled, password changed)."""
    table = tables.refresh_tokens
    await session.execute(
        update(table)
        .where(table.c.user_id == user_id, table.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
