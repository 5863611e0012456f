"""What travels and what is reported: a message as delivered, and the outcome of one attempt
to deliver one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    """A message as delivered: who sent it, what it is about, and its data."""

    message_id: str
    topic: str
    correlation_id: str
    payload: dict[str, Any]
    source: str


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
