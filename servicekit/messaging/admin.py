"""Administrators' view of the outbox: list messages (the dead ones above all) and replay one
(it becomes due again with a fresh count of attempts)."""

# No `from __future__ import annotations`: the routes below are made in a function, and
# FastAPI must see their dependencies (local names) as objects, not strings.

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select, update

from servicekit.auth import Principal, allow
from servicekit.db import database_of
from servicekit.errors import conflict, not_found
from servicekit.messaging.outbox import MessagingSpec, wake_relays


class OutboxMessageOut(BaseModel):
    message_id: str
    topic: str
    destination: str
    correlation_id: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


def _out(row: Any) -> OutboxMessageOut:
    m = row._mapping
    return OutboxMessageOut(**{k: m[k] for k in OutboxMessageOut.model_fields})


async def replay_messages(session: Any, spec: MessagingSpec, *conditions: Any) -> int:
    """Makes the dead messages matching ``conditions`` due now, attempts from zero."""
    t = spec.tables.outbox
    result = await session.execute(
        update(t)
        .where(t.c.status == "dead", *conditions)
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=dt.datetime.now(dt.UTC),
        )
    )
    return int(result.rowcount or 0)


def outbox_admin_router(*admin_roles: str) -> APIRouter:
    router = APIRouter(prefix="/api/messages/outbox", tags=["messages"])
    Admin = Annotated[Principal, Depends(allow(*admin_roles))]

    @router.get("", summary="Outgoing messages (status=dead: those waiting for a replay)")
    async def list_outbox(
        request: Request,
        _: Admin,
        status: Literal["pending", "delivered", "dead"] | None = None,
        correlation_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[OutboxMessageOut]:
        spec: MessagingSpec = request.app.state.messaging
        t = spec.tables.outbox
        query = select(t).order_by(t.c.id.desc()).limit(limit)
        if status:
            query = query.where(t.c.status == status)
        if correlation_id:
            query = query.where(t.c.correlation_id == correlation_id)
        async with database_of(request).reader() as session:
            return [_out(r) for r in (await session.execute(query)).all()]

    @router.post("/{message_id}/replay", summary="Deliver a dead message again")
    async def replay(request: Request, message_id: str, _: Admin) -> OutboxMessageOut:
        spec: MessagingSpec = request.app.state.messaging
        t = spec.tables.outbox
        async with database_of(request).writer() as session:
            row = (
                await session.execute(select(t).where(t.c.message_id == message_id))
            ).one_or_none()
            if row is None:
                raise not_found("message")
            if row._mapping["status"] != "dead":
                raise conflict(f"the message is {row._mapping['status']}, not dead")
            await replay_messages(session, spec, t.c.message_id == message_id)
            await session.commit()
            row = (await session.execute(select(t).where(t.c.message_id == message_id))).one()
        wake_relays()
        return _out(row)

    return router
