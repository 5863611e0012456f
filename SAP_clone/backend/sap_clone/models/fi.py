"""Schema ``fi`` (finance): cost centers, cost entries, approvals. Money is Numeric(15, 2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import Money, UTCDateTime, choice, utc_now
from sap_clone.models.base import (
    KEY_LENGTH,
    USER_LENGTH,
    Base,
    created_at_column,
    key_column,
    updated_at_column,
)

COST_TYPES = ("CAPEX", "OPEX")
DECISIONS = ("pending", "approved", "rejected")


class CostCenter(Base):
    __tablename__ = "cost_centers"
    __table_args__ = (
        CheckConstraint("budget_amount >= 0", name="budget_amount_non_negative"),
        {"schema": "fi"},
    )

    cost_center_id: Mapped[str] = key_column()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    budget_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default="0")
    fiscal_year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    responsible_manager: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()


class CostEntry(Base):
    __tablename__ = "cost_entries"
    __table_args__ = ({"schema": "fi"},)

    entry_id: Mapped[str] = key_column()
    cost_center_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("fi.cost_centers.cost_center_id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    ticket_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH), ForeignKey("core.tickets.ticket_id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    cost_type: Mapped[str] = mapped_column(
        choice(*COST_TYPES, name="cost_type"), nullable=False, index=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    entry_date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)


class Approval(Base):
    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        {"schema": "fi"},
    )

    approval_id: Mapped[str] = key_column()
    cost_center_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("fi.cost_centers.cost_center_id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    ticket_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH), ForeignKey("core.tickets.ticket_id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    justification: Mapped[str] = mapped_column(Text, nullable=False)
    decision: Mapped[str] = mapped_column(
        choice(*DECISIONS, name="decision"), nullable=False, server_default="pending", index=True
    )
    requested_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    requested_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now()
    )
    decided_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    comments: Mapped[str | None] = mapped_column(Text)
