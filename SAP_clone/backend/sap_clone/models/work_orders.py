"""Schema ``pm``: work orders arriving from the CRM and their material check flow."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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

FLOW_STATUSES = (
    "received",
    "pending_material_check",
    "materials_available",
    "materials_shortage",
    "purchase_requested",
    "purchase_approved",
    "purchase_rejected",
    "ready_to_proceed",
    "in_progress",
    "completed",
    "cancelled",  # 014: the CRM (or an engineer) cancelled it before it started
)
#: No closed set is specified for a CRM work order's priority; these follow the CRM's.
WORK_ORDER_PRIORITIES = ("low", "medium", "high", "urgent")


class CrmWorkOrder(Base):
    __tablename__ = "crm_work_orders"
    __table_args__ = (
        Index("ux_crm_work_orders_correlation_id", "correlation_id", unique=True),
        {"schema": "pm"},
    )

    work_order_id: Mapped[str] = key_column()
    #: The CRM's own id of the case / work order (one SAP work order per CRM record).
    crm_reference_id: Mapped[str] = mapped_column(
        String(100), nullable=False, unique=True, index=True
    )
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    customer_name: Mapped[str | None] = mapped_column(String(255))
    site_location: Mapped[str | None] = mapped_column(String(255))
    priority: Mapped[str] = mapped_column(
        choice(*WORK_ORDER_PRIORITIES, name="priority"),
        nullable=False,
        server_default="medium",
        index=True,
    )
    flow_status: Mapped[str] = mapped_column(
        choice(*FLOW_STATUSES, name="flow_status"),
        nullable=False,
        server_default="received",
        index=True,
    )
    asset_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH), ForeignKey("pm.assets.asset_id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH), ForeignKey("core.tickets.ticket_id", ondelete="SET NULL"), index=True
    )
    requisition_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("mm.requisitions.requisition_id", ondelete="SET NULL"),
        index=True,
    )
    requested_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    assigned_to: Mapped[str | None] = mapped_column(String(USER_LENGTH), index=True)
    #: The CRM work-order flow's correlation id (015): SAP's status messages go under it;
    #: None for an order opened by hand, which belongs to no flow.
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    materials: Mapped[list[WorkOrderMaterial]] = relationship(
        back_populates="work_order", cascade="all, delete-orphan", passive_deletes=True
    )
    history: Mapped[list[WorkOrderFlowHistory]] = relationship(
        back_populates="work_order", cascade="all, delete-orphan", passive_deletes=True
    )


class WorkOrderMaterial(Base):
    """A line of a work order: a material with its required and available quantities."""

    __tablename__ = "work_order_materials"
    __table_args__ = (
        UniqueConstraint("work_order_id", "material_id"),
        CheckConstraint("quantity_required > 0", name="quantity_required_positive"),
        CheckConstraint("quantity_available >= 0", name="quantity_available_non_negative"),
        {"schema": "pm"},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("pm.crm_work_orders.work_order_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    material_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("mm.materials.material_id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    quantity_required: Mapped[int] = mapped_column(Integer, nullable=False)
    quantity_available: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unit_of_measure: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    work_order: Mapped[CrmWorkOrder] = relationship(back_populates="materials")


class WorkOrderFlowHistory(Base):
    """Every flow-status change of a work order: from, to, by, when, note."""

    __tablename__ = "work_order_flow_history"
    __table_args__ = ({"schema": "pm"},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("pm.crm_work_orders.work_order_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    from_status: Mapped[str | None] = mapped_column(choice(*FLOW_STATUSES, name="from_status"))
    to_status: Mapped[str] = mapped_column(choice(*FLOW_STATUSES, name="to_status"), nullable=False)
    changed_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    changed_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now(), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)

    work_order: Mapped[CrmWorkOrder] = relationship(back_populates="history")
