"""Writing a message: a row of ``outbox_messages`` in the caller's own transaction, so the
message exists exactly when the change that causes it was committed. The relay delivers it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from servicekit.domain import Unavailable
from servicekit.messaging.envelope import DeliveryOutcome, Message
from servicekit.messaging.flows import FlowPart, Handler, OutcomeHook, Routes
from servicekit.messaging.tables import MessagingTables

__all__ = [
    "DeliveryOutcome",
    "Handler",
    "Message",
    "MessagingSpec",
    "Outbox",
    "OutcomeHook",
    "outbox_of",
    "wake_relays",
]

#: Relays of this process, woken when a route committed a message (no wait for the next poll).
_WAKEUPS: set[asyncio.Event] = set()


def wake_relays() -> None:
    """Wakes this process's relays (done after every commit that wrote messages)."""
    for wakeup in list(_WAKEUPS):
        wakeup.set()


def register_wakeup(event: asyncio.Event) -> None:
    _WAKEUPS.add(event)


def unregister_wakeup(event: asyncio.Event) -> None:
    _WAKEUPS.discard(event)


@dataclass(frozen=True)
class MessagingSpec:
    """A service's part in the messaging: its tables, its parts in the flows (what it sends
    to whom, what it accepts from whom and how it applies it), and optionally what it does
    whenever one of its messages is delivered or fails."""

    tables: MessagingTables
    parts: Sequence[FlowPart] = ()
    on_outcome: OutcomeHook | None = None
    #: Roles that may list and replay dead messages.
    admin_roles: tuple[str, ...] = ("admin",)
    routes: Routes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", Routes.of(self.parts))

    async def report(self, session: AsyncSession, outcome: DeliveryOutcome) -> None:
        """The outcome of one delivery attempt, to the service's hook and then to the hook
        of the flow the topic belongs to."""
        if self.on_outcome is not None:
            await self.on_outcome(session, outcome)
        flow = self.routes.flows_of_topic.get(outcome.topic)
        hook = self.routes.hooks.get(flow) if flow else None
        if hook is not None:
            await hook(session, outcome)


#: The key of the service's outbox in a write session's ``info``.
SESSION_OUTBOX = "outbox"
#: Set in a session's ``info`` when its transaction wrote a message.
_WROTE = "outbox_wrote"


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    """A committed transaction that wrote messages wakes this process's relays at once,
    whichever route or rule wrote them."""
    if session.info.pop(_WROTE, False):
        wake_relays()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)


def outbox_of(session: AsyncSession) -> Outbox:
    """The outbox of the service whose write session this is: a service function (or a hook
    it calls) sends its message in the transaction it is part of."""
    outbox = session.info.get(SESSION_OUTBOX)
    if not isinstance(outbox, Outbox):
        raise RuntimeError("this session belongs to no service with messaging")
    return outbox


class UndeclaredTopic(LookupError):
    """A message on a topic none of the service's flow parts sends: a programming error."""


class Outbox:
    """Writes this service's outgoing messages, to the destination its flows declare."""

    def __init__(
        self,
        spec: MessagingSpec,
        service: str,
        keys: Callable[[str], str | None] = lambda _peer: None,
        setting: str = "HOP_SECRETS",
    ):
        self.table = spec.tables.outbox
        self.routes = spec.routes
        self.service = service
        #: The hop key shared with a peer: a message to a peer without one could never be
        #: delivered, so it is refused before anything is written.
        self.keys = keys
        self.setting = setting

    def can_send(self, topic: str) -> bool:
        """Whether a message on ``topic`` could travel: declared, and a hop key shared with
        its destination (for a rule that sends only when its flow is switched on)."""
        declared = self.routes.sends.get(topic)
        return declared is not None and self.keys(declared.to) is not None

    def send_sync(
        self, session: Session, topic: str, correlation_id: str, payload: Mapping[str, Any]
    ) -> str:
        """:meth:`send` from a synchronous session event (a ``before_commit`` hook: the
        message is written as the transaction commits). Returns the message id."""
        row = self._row(topic, correlation_id, payload)
        session.execute(self.table.insert().values(**row))
        session.info[_WROTE] = True
        message_id: str = row["message_id"]
        return message_id

    def _row(self, topic: str, correlation_id: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        declared = self.routes.sends.get(topic)
        if declared is None:
            raise UndeclaredTopic(f"{self.service} declares no flow that sends {topic!r}")
        if self.keys(declared.to) is None:
            raise Unavailable(
                f"messaging to {declared.to} is not configured on this service "
                f"(set {self.setting}): nothing was changed"
            )
        return {
            "message_id": str(uuid.uuid4()),
            "topic": topic,
            "destination": declared.to,
            "correlation_id": correlation_id,
            "payload": dict(payload),
            "next_attempt_at": dt.datetime.now(dt.UTC),
        }

    async def send(
        self,
        session: AsyncSession,
        *,
        topic: str,
        correlation_id: str,
        payload: Mapping[str, Any],
    ) -> str:
        """Adds the message to ``session``'s transaction; the caller commits (and then calls
        :func:`wake_relays`). Returns the message id."""
        row = self._row(topic, correlation_id, payload)
        await session.execute(self.table.insert().values(**row))
        session.info[_WROTE] = True
        message_id: str = row["message_id"]
        return message_id
