"""Schema ``mm`` (materials management): materials, stock movements, requisitions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import UTCDateTime, choice, utc_now
from sap_clone.models.base import (
    KEY_LENGTH,
    USER_LENGTH,
    Base,
    created_at_column,
    key_column,
    updated_at_column,
)

TRANSACTION_TYPES = ("receipt", "issue", "adjustment")
REQUISITION_STATUSES = ("pending", "approved", "rejected", "ordered", "received")


class Material(Base):
    __tablename__ = "materials"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("reorder_level >= 0", name="reorder_level_non_negative"),
        {"schema": "mm"},
    )

    material_id: Mapped[str] = key_column()
    description: Mapped[str] = mapped_column(String(255), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unit_of_measure: Mapped[str] = mapped_column(String(20), nullable=False)
    reorder_level: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    storage_location: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()


class StockTransaction(Base):
    """A stock movement. Materials with movements cannot be deleted (RESTRICT)."""

    __tablename__ = "stock_transactions"
    __table_args__ = ({"schema": "mm"},)

    transaction_id: Mapped[str] = key_column()
    material_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("mm.materials.material_id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    quantity_change: Mapped[int] = mapped_column(Integer, nullable=False)
    transaction_type: Mapped[str] = mapped_column(
        choice(*TRANSACTION_TYPES, name="transaction_type"), nullable=False, index=True
    )
    transaction_date: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now(), index=True
    )
    performed_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    reference_doc: Mapped[str | None] = mapped_column(String(100), index=True)
    notes: Mapped[str | None] = mapped_column(Text)


class Requisition(Base):
    """A purchase requisition.

    ``cost_center_id`` references ``fi.cost_centers``; that table is created after this one
    (revision 005), so the foreign key is added there.
    """

    __tablename__ = "requisitions"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        {"schema": "mm"},
    )

    requisition_id: Mapped[str] = key_column()
    material_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("mm.materials.material_id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    cost_center_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("fi.cost_centers.cost_center_id", ondelete="RESTRICT"),
        index=True,
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    justification: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        choice(*REQUISITION_STATUSES, name="status"),
        nullable=False,
        server_default="pending",
        index=True,
    )
    ticket_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH), ForeignKey("core.tickets.ticket_id", ondelete="SET NULL"), index=True
    )
    requested_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()
