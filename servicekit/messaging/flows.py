"""How an app declares its part in a cross-app flow: which topics it sends to whom, which it
accepts from whom and what it does with each.

servicekit knows no flow: each app declares its parts (``<app>/flows/<flow>.py``) and hands
them to its :class:`~servicekit.messaging.outbox.MessagingSpec`. A topic is the contract
between two apps; each side declares its own half, and the services' tests check that the
halves meet (every topic sent has one receiver at its destination expecting that sender).

With the declarations, the outbox knows where a topic goes (a message cannot be sent to the
wrong service, or sent at all if undeclared) and the inbox accepts a topic only from the
sender its flow names: a signed hop from another service claiming that topic is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.messaging.envelope import DeliveryOutcome, Message


class OutboxWriter(Protocol):
    """What a handler is given to send messages in its own transaction (the service's
    :class:`~servicekit.messaging.outbox.Outbox`)."""

    async def send(
        self,
        session: AsyncSession,
        *,
        topic: str,
        correlation_id: str,
        payload: Mapping[str, Any],
    ) -> str: ...


#: Applies one received message inside the inbox's transaction; may send messages.
Handler = Callable[[AsyncSession, Message, OutboxWriter], Awaitable[None]]
#: Called in the transaction that records an attempt to deliver one of the app's messages.
OutcomeHook = Callable[[AsyncSession, DeliveryOutcome], Awaitable[None]]


@dataclass(frozen=True)
class Send:
    """This app sends ``topic`` to the service ``to``."""

    topic: str
    to: str


@dataclass(frozen=True)
class Receive:
    """This app accepts ``topic`` from the service ``sender`` only, and applies it with
    ``handler``."""

    topic: str
    sender: str
    handler: Handler


@dataclass(frozen=True)
class FlowPart:
    """One app's part in one flow."""

    flow: str
    sends: tuple[Send, ...] = ()
    receives: tuple[Receive, ...] = ()
    #: Called when an attempt to deliver one of this part's messages ends (delivered,
    #: failed, dead), in the transaction that records it.
    on_delivery: OutcomeHook | None = None


class FlowDeclarationError(ValueError):
    """Two parts of one app claim the same topic: a programming error, found at start."""


@dataclass(frozen=True)
class Routes:
    """An app's parts, indexed: where each topic it sends goes, who may send each topic it
    receives, and the hook of each part."""

    sends: dict[str, Send]
    receives: dict[str, Receive]
    flows_of_topic: dict[str, str]
    hooks: dict[str, OutcomeHook]

    @classmethod
    def of(cls, parts: Iterable[FlowPart]) -> Routes:
        sends: dict[str, Send] = {}
        receives: dict[str, Receive] = {}
        flows: dict[str, str] = {}
        hooks: dict[str, OutcomeHook] = {}
        for part in parts:
            for send in part.sends:
                if send.topic in sends:
                    raise FlowDeclarationError(f"the topic {send.topic!r} is sent twice")
                sends[send.topic] = send
                flows[send.topic] = part.flow
            for receive in part.receives:
                if receive.topic in receives:
                    raise FlowDeclarationError(f"the topic {receive.topic!r} is received twice")
                receives[receive.topic] = receive
                flows.setdefault(receive.topic, part.flow)
            if part.on_delivery is not None:
                hooks[part.flow] = part.on_delivery
        return cls(sends, receives, flows, hooks)
