"""Tickets and their approvals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import Money, UTCDateTime, choice

from .base import Base, created_at, updated_at

TICKET_TYPES = ("incident", "service_request", "change_request", "problem")
TICKET_STATUSES = (
    "draft",
    "submitted",
    "pending_approval",
    "approved",
    "rejected",
    "in_progress",
    "resolved",
    "closed",
    "cancelled",
)
APPROVAL_STATUSES = ("pending", "approved", "rejected")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("estimated_cost >= 0", name="estimated_cost_non_negative"),
        # Built CONCURRENTLY by 004 (tickets holds data where it runs).
        Index("ix_tickets_correlation_id", "correlation_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_number: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    ticket_type: Mapped[str] = mapped_column(
        choice(*TICKET_TYPES, name="ticket_type"),
        index=True,
        default="incident",
        server_default=text("'incident'"),
    )
    status: Mapped[str] = mapped_column(
        choice(*TICKET_STATUSES, name="status"),
        index=True,
        default="draft",
        server_default=text("'draft'"),
    )
    priority: Mapped[str] = mapped_column(
        String(20), index=True, default="medium", server_default=text("'medium'")
    )
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    subcategory: Mapped[str | None] = mapped_column(String(100))
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    assignment_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment_groups.id", ondelete="SET NULL"), index=True
    )
    contact_number: Mapped[str | None] = mapped_column(String(50))
    preferred_contact: Mapped[str | None] = mapped_column(String(50))
    urgency: Mapped[str | None] = mapped_column(String(20))
    business_justification: Mapped[str | None] = mapped_column(Text)
    estimated_cost: Mapped[Decimal | None] = mapped_column(Money)
    due_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    external_sys_id: Mapped[str | None] = mapped_column(String(64), index=True)
    external_number: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The id of the cross-app flow the ticket started (a password reset): every hop carries it.
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()


class Approval(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    approver_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(
        choice(*APPROVAL_STATUSES, name="status"),
        index=True,
        default="pending",
        server_default=text("'pending'"),
    )
    comments: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = created_at()


class IdempotencyKey(Base):
    """A request submitted with an ``Idempotency-Key``: the same key from the same caller
    again answers with the ticket the first one made instead of making another."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who sent it (a user's id or a service key's id): one caller's key is not another's.
    owner: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    ticket_number: Mapped[str] = mapped_column(String(20))
    #: SHA-256 of the request the key was first sent with: the key with another request is
    #: refused. None for keys recorded before it was kept (not compared).
    request_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created_at()
