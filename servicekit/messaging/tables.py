"""The two tables every service has for its messages, defined once on each app's metadata.

``outbox_messages``: what this service must deliver, written in the same transaction as the
change that causes it; the relay claims the due ones (``status``, ``next_attempt_at``).
``inbox_messages``: the id of every message this service applied, written in the same
transaction as its effect, so that a redelivery is recognised and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, text

from appdb.types import Document, UTCDateTime, choice, utc_now

#: pending: to deliver (again) at next_attempt_at; delivered: the receiver answered 2xx;
#: dead: it failed too often, waits for an administrator's replay.
OUTBOX_STATUSES = ("pending", "delivered", "dead")
MESSAGE_ID_LENGTH = 36
TOPIC_LENGTH = 100
SERVICE_NAME_LENGTH = 50
CORRELATION_ID_LENGTH = 100
SIGNATURE_LENGTH = 64


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def define_messaging_tables(metadata: MetaData) -> MessagingTables:
    """Adds both tables to ``metadata`` (the app's models) and returns them."""
    outbox = Table(
        "outbox_messages",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("message_id", String(MESSAGE_ID_LENGTH), nullable=False, unique=True),
        Column("topic", String(TOPIC_LENGTH), nullable=False),
        Column("destination", String(SERVICE_NAME_LENGTH), nullable=False),
        Column("correlation_id", String(CORRELATION_ID_LENGTH), nullable=False, index=True),
        Column("payload", Document, nullable=False),
        Column(
            "status",
            choice(*OUTBOX_STATUSES, name="status"),
            nullable=False,
            server_default=text("'pending'"),
        ),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("next_attempt_at", UTCDateTime, nullable=False, server_default=utc_now()),
        Column("last_error", Text),
        Column("created_at", UTCDateTime, nullable=False, server_default=utc_now()),
        Column("delivered_at", UTCDateTime),
        # The relay's claim: due pending messages, oldest first.
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )
    inbox = Table(
        "inbox_messages",
        metadata,
        Column("message_id", String(MESSAGE_ID_LENGTH), primary_key=True),
        Column("topic", String(TOPIC_LENGTH), nullable=False),
        Column("source", String(SERVICE_NAME_LENGTH), nullable=False),
        Column("correlation_id", String(CORRELATION_ID_LENGTH), nullable=False, index=True),
        # The signature it was first delivered with: the same request again is a replay.
        Column("signature", String(SIGNATURE_LENGTH), nullable=False),
        Column("received_at", UTCDateTime, nullable=False, server_default=utc_now()),
    )
    return MessagingTables(outbox, inbox)
