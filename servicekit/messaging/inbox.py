"""Receiving messages: ``POST /api/messages``, open only to signed hops.

The message is applied once: its id goes into ``inbox_messages`` in the same transaction as
the handler's changes (and the messages the handler sends). The same message delivered again
(a relay retry, re-signed) answers 200 ``duplicate`` and changes nothing; the very same signed
request sent again (a replay) is refused with 401, as is a forged, altered or stale one.
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from servicekit.auth import RoleRule
from servicekit.db import database_of
from servicekit.errors import Problem, forbidden, unauthorized
from servicekit.messaging import signing
from servicekit.messaging.outbox import Message, MessagingSpec, Outbox, wake_relays
from servicekit.messaging.relay import MESSAGES_PATH
from servicekit.messaging.tables import (
    CORRELATION_ID_LENGTH,
    MESSAGE_ID_LENGTH,
    TOPIC_LENGTH,
)
from servicekit.settings import ServiceSettings

log = structlog.get_logger("servicekit.inbox")

#: The role a signed hop has (no user or API key has it).
HOP_ROLE = "hop"


class _SignedHopRule(RoleRule):
    """Only another service's signed request: a user or an API key is refused (403), an
    unsigned, forged, altered or stale request too (401)."""

    async def __call__(self, request: Request) -> signing.SignedHop:
        settings: ServiceSettings = request.app.state.settings
        if not signing.is_signed(request.headers):
            if "authorization" in request.headers or "x-api-key" in request.headers:
                raise forbidden("only another service's signed hop may deliver messages")
            raise unauthorized("a message must come as a signed hop")
        if not settings.hops_configured:
            raise Problem(
                503, f"hops are not configured: set {settings.env_prefix}HOP_SECRET", title=None
            )
        secret = settings.hop_key_for(request.headers.get(signing.SOURCE_HEADER, ""))
        if secret is None:
            raise unauthorized("this service shares no hop key with the claimed sender")
        body = await request.body()
        try:
            return signing.verify(
                secret,
                request.method,
                request.url.path,
                request.headers,
                body,
                settings.hop_window_seconds,
            )
        except signing.HopRefused as exc:
            log.warning("hop_refused", reason=str(exc))
            raise unauthorized(str(exc)) from None


SIGNED_HOP = _SignedHopRule(frozenset({HOP_ROLE}))


class Envelope(BaseModel):
    message_id: str = Field(min_length=1, max_length=MESSAGE_ID_LENGTH)
    topic: str = Field(min_length=1, max_length=TOPIC_LENGTH)
    correlation_id: str = Field(min_length=1, max_length=CORRELATION_ID_LENGTH)
    payload: dict[str, Any]


class Receipt(BaseModel):
    message_id: str
    status: str  # applied | duplicate


router = APIRouter(tags=["messages"])


@router.post(MESSAGES_PATH, summary="Deliver a message (signed hops from the other services)")
async def receive(
    request: Request,
    envelope: Envelope,
    hop: Annotated[signing.SignedHop, Depends(SIGNED_HOP)],
) -> Receipt:
    spec: MessagingSpec = request.app.state.messaging
    outbox: Outbox = request.app.state.outbox
    receive = spec.routes.receives.get(envelope.topic)
    if receive is None:
        raise Problem(422, f"this service does not handle the topic {envelope.topic!r}")
    if receive.sender != hop.source:
        log.warning("hop_wrong_sender", topic=envelope.topic, source=hop.source)
        raise forbidden(f"the topic {envelope.topic!r} is accepted from {receive.sender} only")
    handler = receive.handler
    inbox = spec.tables.inbox
    message = Message(
        envelope.message_id, envelope.topic, envelope.correlation_id, envelope.payload, hop.source
    )
    db = database_of(request)
    async with db.writer() as session:
        seen = (
            await session.execute(
                select(inbox.c.signature).where(inbox.c.message_id == envelope.message_id)
            )
        ).scalar_one_or_none()
        if seen is not None:
            if seen == hop.signature:
                raise unauthorized("this signed request was already received (a replay)")
            return Receipt(message_id=envelope.message_id, status="duplicate")
        try:
            # First, so that a concurrent delivery of the same message waits on this row
            # and then fails instead of applying it a second time.
            await session.execute(
                inbox.insert().values(
                    message_id=envelope.message_id,
                    topic=envelope.topic,
                    source=hop.source,
                    correlation_id=envelope.correlation_id,
                    signature=hop.signature,
                )
            )
            await session.flush()
        except IntegrityError:
            await session.rollback()
            return Receipt(message_id=envelope.message_id, status="duplicate")
        await handler(session, message, outbox)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return Receipt(message_id=envelope.message_id, status="duplicate")
    wake_relays()
    log.info(
        "message_applied",
        topic=envelope.topic,
        source=hop.source,
        message_id=envelope.message_id,
    )
    return Receipt(message_id=envelope.message_id, status="applied")
