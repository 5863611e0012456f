"""Query locators: the cursors behind ``nextRecordsUrl``, one row each in ``query_locators``
(migration 004). A locator belongs to the user who ran the query and lives 15 minutes after
its last use; expired ones are refused at once and deleted lazily, when the next one is
stored."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from salesforce_crm.soql.errors import SoqlError

#: Salesforce keeps a cursor about 15 minutes after its last use.
LIFETIME = dt.timedelta(minutes=15)
PREFIX = "0r8"
_ALPHABET = string.ascii_letters + string.digits
#: ``0r8`` and 15 random characters, then ``-`` and the position of the next page.
_IN_URL = re.compile(r"(0r8[0-9A-Za-z]{15})-(\d{1,10})")

QUERY_LOCATORS = Table(
    "query_locators",
    MetaData(),
    Column("locator", String(18), primary_key=True),
    Column("soql", Text, nullable=False),
    Column("include_deleted", Boolean, nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("total_size", Integer, nullable=False),
    Column("owner_id", String(18), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Locator:
    locator: str
    soql: str
    include_deleted: bool
    batch_size: int
    total_size: int


def invalid() -> SoqlError:
    return SoqlError("INVALID_QUERY_LOCATOR", "invalid query locator")


def split(text: str) -> tuple[str, int]:
    """(locator, position) of ``0r8…-2000`` as it appears in a nextRecordsUrl."""
    matched = _IN_URL.fullmatch(text) if isinstance(text, str) else None
    if matched is None:
        raise invalid()
    return matched.group(1), int(matched.group(2))


async def store(
    session: AsyncSession,
    *,
    soql: str,
    include_deleted: bool,
    batch_size: int,
    total_size: int,
    owner_id: str,
    now: dt.datetime,
) -> str:
    """A new locator for this query's result; the caller commits."""
    if not 0 < len(owner_id) <= 18:  # the column's width: a caller's mistake, not a client's
        raise ValueError("owner_id must be a user id of 1 to 18 characters")
    await _delete_expired(session, now)
    locator = PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(15))
    await session.execute(
        QUERY_LOCATORS.insert().values(
            locator=locator,
            soql=soql,
            include_deleted=include_deleted,
            batch_size=batch_size,
            total_size=total_size,
            owner_id=owner_id,
            expires_at=now + LIFETIME,
        )
    )
    return locator


async def claim(session: AsyncSession, locator: str, owner_id: str, now: dt.datetime) -> Locator:
    """The live locator ``locator`` of ``owner_id``, its life extended (one UPDATE … RETURNING);
    the caller commits. Unknown, expired and other users' locators are all the same error:
    which of them it was is nobody else's business."""
    table = QUERY_LOCATORS
    row = (
        await session.execute(
            update(table)
            .where(
                table.c.locator == locator,
                table.c.owner_id == owner_id,
                table.c.expires_at >= now,
            )
            .values(expires_at=now + LIFETIME)
            .returning(
                table.c.soql, table.c.include_deleted, table.c.batch_size, table.c.total_size
            )
        )
    ).first()
    if row is None:
        raise invalid()
    return Locator(locator, row.soql, bool(row.include_deleted), row.batch_size, row.total_size)


async def _delete_expired(session: AsyncSession, now: dt.datetime) -> None:
    await session.execute(delete(QUERY_LOCATORS).where(QUERY_LOCATORS.c.expires_at < now))
