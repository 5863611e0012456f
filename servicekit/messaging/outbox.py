"""Writing a message: a row of ``outbox_messages`` in the caller's own transaction, so the
message exists exactly when the change that causes it was committed. The relay delivers it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.messaging.tables import MessagingTables

#: Relays of this process, woken when a route committed a message (no wait for the next poll).
_WAKEUPS: set[asyncio.Event] = set()


def wake_relays() -> None:
    """Call after committing a transaction that wrote outbox rows."""
    for event in list(_WAKEUPS):
        event.set()


def register_wakeup(event: asyncio.Event) -> None:
    _WAKEUPS.add(event)


def unregister_wakeup(event: asyncio.Event) -> None:
    _WAKEUPS.discard(event)


@dataclass(frozen=True)
class Message:
    """A message as delivered: who sent it, what it is about, and its data."""

    message_id: str
    topic: str
    correlation_id: str
    payload: dict[str, Any]
    source: str


class Outbox:
    """Writes this service's outgoing messages."""

    def __init__(self, tables: MessagingTables, service: str):
        self.table = tables.outbox
        self.service = service

    async def send(
        self,
        session: AsyncSession,
        *,
        destination: str,
        topic: str,
        correlation_id: str,
        payload: Mapping[str, Any],
    ) -> str:
        """Adds the message to ``session``'s transaction; the caller commits (and then calls
        :func:`wake_relays`). Returns the message id."""
        message_id = str(uuid.uuid4())
        await session.execute(
            self.table.insert().values(
                message_id=message_id,
                topic=topic,
                destination=destination,
                correlation_id=correlation_id,
                payload=dict(payload),
                next_attempt_at=dt.datetime.now(dt.UTC),
            )
        )
        return message_id


#: Applies one received message inside the inbox's transaction; may send messages.
Handler = Callable[[AsyncSession, Message, Outbox], Awaitable[None]]


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of one delivery attempt, for a service that follows its flows."""

    message_id: str
    topic: str
    destination: str
    correlation_id: str
    attempts: int
    delivered: bool
    dead: bool
    error: str | None
    next_attempt_at: dt.datetime | None


#: Called in the transaction that records an attempt's outcome.
OutcomeHook = Callable[[AsyncSession, DeliveryOutcome], Awaitable[None]]


@dataclass(frozen=True)
class MessagingSpec:
    """A service's part in the messaging: its tables, what it does with each topic it
    receives, and (optionally) what it does when one of its messages is delivered or fails."""

    tables: MessagingTables
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    on_outcome: OutcomeHook | None = None
    #: Roles that may list and replay dead messages.
    admin_roles: tuple[str, ...] = ("admin",)
