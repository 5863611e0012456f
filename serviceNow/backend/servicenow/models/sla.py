"""SLA policies and the SLA clocks running on tickets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import UTCDateTime, choice

from .base import Base, counter, created_at, flag, updated_at

TICKET_SLA_STATUSES = ("active", "paused", "breached", "achieved", "cancelled")


class SlaDefinition(Base):
    __tablename__ = "sla_definitions"
    __table_args__ = (
        CheckConstraint(
            "warning_threshold_percent BETWEEN 1 AND 100", name="warning_threshold_percent"
        ),
        CheckConstraint("response_time_minutes > 0", name="response_time_minutes_positive"),
        CheckConstraint("resolution_time_hours > 0", name="resolution_time_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(String(20), index=True)
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    response_time_minutes: Mapped[int] = mapped_column(Integer)
    resolution_time_hours: Mapped[int] = mapped_column(Integer)
    business_hours_only: Mapped[bool] = flag(False)
    warning_threshold_percent: Mapped[int] = mapped_column(
        Integer, default=80, server_default=text("80")
    )
    is_active: Mapped[bool] = flag(True)
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()


class TicketSla(Base):
    __tablename__ = "ticket_slas"
    __table_args__ = (
        CheckConstraint("total_pause_minutes >= 0", name="total_pause_minutes_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    sla_definition_id: Mapped[int] = mapped_column(
        ForeignKey("sla_definitions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(
        choice(*TICKET_SLA_STATUSES, name="status"),
        index=True,
        default="active",
        server_default=text("'active'"),
    )
    response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    response_met_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    response_breached: Mapped[bool] = flag(False)
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_met_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_breached: Mapped[bool] = flag(False)
    pause_start_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    total_pause_minutes: Mapped[int] = counter()
    warning_sent: Mapped[bool] = flag(False)
    breach_notified: Mapped[bool] = flag(False)
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
