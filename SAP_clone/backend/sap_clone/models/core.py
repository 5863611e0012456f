"""Schema ``core``: tickets and their audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from appdb.types import UTCDateTime, choice, utc_now
from sap_clone.models.base import (
    KEY_LENGTH,
    USER_LENGTH,
    Base,
    created_at_column,
    key_column,
    updated_at_column,
)

TICKET_TYPES = ("Incident", "Maintenance", "Procurement", "Finance_Approval")
MODULES = ("PM", "MM", "FI")
PRIORITIES = ("P1", "P2", "P3", "P4")
TICKET_STATUSES = ("Open", "Assigned", "In_Progress", "Closed")


class Ticket(Base):
    """A ticket (TKT-PM-20240115-0001) raised in one module."""

    __tablename__ = "tickets"
    __table_args__ = (
        # Listing newest first, all modules or one (011_index_tickets_by_created_at).
        Index("ix_tickets_created_at_ticket_id", "created_at", "ticket_id"),
        Index("ix_tickets_module_created_at_ticket_id", "module", "created_at", "ticket_id"),
        {"schema": "core"},
    )

    ticket_id: Mapped[str] = key_column()
    ticket_type: Mapped[str] = mapped_column(
        choice(*TICKET_TYPES, name="ticket_type"), nullable=False, index=True
    )
    module: Mapped[str] = mapped_column(choice(*MODULES, name="module"), nullable=False, index=True)
    priority: Mapped[str] = mapped_column(
        choice(*PRIORITIES, name="priority"), nullable=False, server_default="P3", index=True
    )
    status: Mapped[str] = mapped_column(
        choice(*TICKET_STATUSES, name="status"), nullable=False, server_default="Open", index=True
    )
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    sla_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    assigned_to: Mapped[str | None] = mapped_column(String(USER_LENGTH), index=True)
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    correlation_id: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    audit_entries: Mapped[list[AuditEntry]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", passive_deletes=True
    )


class AuditEntry(Base):
    """One change to a ticket; deleted with its ticket."""

    __tablename__ = "audit_entries"
    __table_args__ = ({"schema": "core"},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("core.tickets.ticket_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    performed_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    performed_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now(), index=True
    )

    ticket: Mapped[Ticket] = relationship(back_populates="audit_entries")
