"""The notification queue and its history (e-mail and webhook)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import Document, UTCDateTime, choice

from .base import Base, counter, created_at, updated_at

NOTIFICATION_TYPES = (
    "sla_warning",
    "sla_breach",
    "ticket_assigned",
    "ticket_updated",
    "ticket_resolved",
    "approval_required",
    "approval_completed",
)
NOTIFICATION_STATUSES = ("pending", "sent", "failed", "cancelled")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (CheckConstraint("retry_count >= 0", name="retry_count_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_type: Mapped[str] = mapped_column(
        choice(*NOTIFICATION_TYPES, name="notification_type"), index=True
    )
    status: Mapped[str] = mapped_column(
        choice(*NOTIFICATION_STATUSES, name="status"),
        index=True,
        default="pending",
        server_default=text("'pending'"),
    )
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    recipient_email: Mapped[str | None] = mapped_column(String(255))
    recipient_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment_groups.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    sla_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_slas.id", ondelete="SET NULL"), index=True
    )
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_payload: Mapped[dict[str, Any] | None] = mapped_column(Document)
    webhook_response: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error_message: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = counter()
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
