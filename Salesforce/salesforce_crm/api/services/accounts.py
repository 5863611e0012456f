"""Users' passwords, connected apps and sign-in: the writes the REST API has no sObject for.

Users themselves are User records (created and changed through :mod:`.records` by a System
Administrator); this module sets their passwords (argon2), creates connected apps (the
consumer secret is returned once and only its argon2 hash kept), checks the two OAuth
grants, and makes the bootstrap administrator and connected app of a dev start.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from salesforce_crm.api.services.actors import ADMIN, Actor
from salesforce_crm.models import connected_apps, users
from servicekit.domain import Forbidden, Invalid, NotFound
from servicekit.security import hash_password, verify_password

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
CONSUMER_KEY_PREFIX = "3MVG9"  # what Salesforce's consumer keys begin with


def _check_password(password: object) -> str:
    if not isinstance(password, str):
        raise Invalid(
            "NewPassword must be a string", fields=("NewPassword",), error_code="JSON_PARSER_ERROR"
        )
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH or "\x00" in password:
        raise Invalid(
            f"invalid password: {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            fields=("NewPassword",),
            error_code="INVALID_NEW_PASSWORD",
        )
    return password


async def set_password(session: AsyncSession, user_id: int, password: object, actor: Actor) -> None:
    """A System Administrator sets anyone's password; a user their own."""
    if not actor.is_admin and actor.user_id != user_id:
        raise Forbidden(
            "insufficient access rights: only a System Administrator sets other users' passwords",
            error_code="INSUFFICIENT_ACCESS",
        )
    checked = _check_password(password)
    found = await session.execute(select(users.c.id).where(users.c.id == user_id))
    if found.scalar() is None:
        raise NotFound("The requested resource does not exist", error_code="NOT_FOUND")
    await session.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(
            password_hash=await hash_password(checked),
            updated_at=dt.datetime.now(dt.UTC),
            last_modified_by_id=actor.user_id,
        )
    )


async def actor_of_user(session: AsyncSession, user_id: int) -> Actor | None:
    row = (
        (await session.execute(select(users).where(users.c.id == user_id, users.c.is_active)))
        .mappings()
        .first()
    )
    return Actor(int(row["id"]), str(row["username"]), str(row["profile"])) if row else None


async def sign_in(session: AsyncSession, username: str, password: str) -> Actor | None:
    """The active user ``username`` when ``password`` is theirs; None otherwise (the same
    time either way)."""
    row = (
        (await session.execute(select(users).where(users.c.username == username)))
        .mappings()
        .first()
    )
    stored = row["password_hash"] if row is not None and row["is_active"] else None
    if not await verify_password(password, stored):
        return None
    assert row is not None
    return Actor(int(row["id"]), str(row["username"]), str(row["profile"]))


@dataclass(frozen=True)
class ConnectedApp:
    id: int
    name: str
    consumer_key: str
    run_as_user_id: int | None
    is_active: bool


async def client_of(
    session: AsyncSession, consumer_key: str, consumer_secret: str
) -> ConnectedApp | None:
    """The active connected app with this key and secret, or None."""
    row = (
        (
            await session.execute(
                select(connected_apps).where(connected_apps.c.consumer_key == consumer_key)
            )
        )
        .mappings()
        .first()
    )
    stored = row["consumer_secret_hash"] if row is not None and row["is_active"] else None
    if not await verify_password(consumer_secret, stored):
        return None
    assert row is not None
    return ConnectedApp(
        int(row["id"]),
        str(row["name"]),
        str(row["consumer_key"]),
        row["run_as_user_id"],
        bool(row["is_active"]),
    )


async def create_connected_app(
    session: AsyncSession, name: str, run_as_user_id: int | None, actor: Actor
) -> tuple[ConnectedApp, str]:
    """A new connected app and its consumer secret (shown once, stored hashed)."""
    if not actor.is_admin:
        raise Forbidden("only a System Administrator creates connected apps")
    if run_as_user_id is not None and await actor_of_user(session, run_as_user_id) is None:
        raise Invalid("run_as_user_id: no active user with that id", fields=("run_as_user_id",))
    key = CONSUMER_KEY_PREFIX + secrets.token_urlsafe(48)
    secret = secrets.token_hex(32)
    row_id = (
        await session.execute(
            insert(connected_apps)
            .values(
                name=name,
                consumer_key=key,
                consumer_secret_hash=await hash_password(secret),
                run_as_user_id=run_as_user_id,
                is_active=True,
                created_at=dt.datetime.now(dt.UTC),
            )
            .returning(connected_apps.c.id)
        )
    ).scalar_one()
    return ConnectedApp(int(row_id), name, key, run_as_user_id, True), secret


async def list_connected_apps(session: AsyncSession) -> list[ConnectedApp]:
    rows = (await session.execute(select(connected_apps).order_by(connected_apps.c.id))).mappings()
    return [
        ConnectedApp(
            int(r["id"]),
            str(r["name"]),
            str(r["consumer_key"]),
            r["run_as_user_id"],
            bool(r["is_active"]),
        )
        for r in rows
    ]


async def ensure_admin(session: AsyncSession, username: str, password: str, *, reset: bool) -> int:
    """The bootstrap System Administrator: created when missing; in dev (``reset``) made
    active, an administrator again, and given this password. Its user id."""
    row = (
        (await session.execute(select(users).where(users.c.username == username)))
        .mappings()
        .first()
    )
    now = dt.datetime.now(dt.UTC)
    if row is None:
        email = username if "@" in username else f"{username}@example.com"
        return int(
            (
                await session.execute(
                    insert(users)
                    .values(
                        username=username,
                        email=email[:128],
                        last_name="Administrator",
                        is_active=True,
                        profile=ADMIN,
                        password_hash=await hash_password(password),
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(users.c.id)
                )
            ).scalar_one()
        )
    if reset:
        await session.execute(
            update(users)
            .where(users.c.id == row["id"])
            .values(
                is_active=True,
                profile=ADMIN,
                password_hash=await hash_password(password),
                updated_at=now,
            )
        )
    return int(row["id"])


async def ensure_connected_app(
    session: AsyncSession, consumer_key: str, secret: str, run_as_user_id: int, *, reset: bool
) -> None:
    """The bootstrap connected app (client id and secret from settings), run as the
    bootstrap administrator; in dev (``reset``) its secret and user are set again."""
    row = (
        (
            await session.execute(
                select(connected_apps).where(connected_apps.c.consumer_key == consumer_key)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        await session.execute(
            insert(connected_apps).values(
                name="Bootstrap",
                consumer_key=consumer_key,
                consumer_secret_hash=await hash_password(secret),
                run_as_user_id=run_as_user_id,
                is_active=True,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    elif reset:
        await session.execute(
            update(connected_apps)
            .where(connected_apps.c.id == row["id"])
            .values(
                consumer_secret_hash=await hash_password(secret),
                run_as_user_id=run_as_user_id,
                is_active=True,
            )
        )
