"""Schema ``pm_workflow``: the SAP PM order workflow (order → PO → GR/GI → confirmation → TECO).

Every child table references its maintenance order with ON DELETE CASCADE.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import Money, UTCDateTime, choice, utc_now
from sap_clone.models.base import (
    KEY_LENGTH,
    USER_LENGTH,
    Base,
    created_at_column,
    updated_at_column,
)

SCHEMA = "pm_workflow"
ORDER_FK = "pm_workflow.workflow_maintenance_orders.order_number"
DOC_LENGTH = 20

WORKFLOW_ORDER_TYPES = ("general", "breakdown")
WORKFLOW_ORDER_STATUSES = ("created", "planned", "released", "in_progress", "confirmed", "teco")
WORKFLOW_PRIORITIES = ("low", "normal", "high", "urgent")
PO_TYPES = ("material", "service", "combined")
PO_STATUSES = ("created", "ordered", "partially_delivered", "delivered")
CONFIRMATION_TYPES = ("internal", "external")
DOCUMENT_TYPES = ("order", "po", "gr", "gi", "confirmation", "service_entry", "teco")


def _order_number() -> Mapped[str]:
    return mapped_column(
        String(DOC_LENGTH), ForeignKey(ORDER_FK, ondelete="CASCADE"), nullable=False, index=True
    )


class WorkflowMaintenanceOrder(Base):
    __tablename__ = "workflow_maintenance_orders"
    __table_args__ = (
        CheckConstraint("planned_costs >= 0", name="planned_costs_non_negative"),
        CheckConstraint("actual_costs >= 0", name="actual_costs_non_negative"),
        {"schema": SCHEMA},
    )

    order_number: Mapped[str] = mapped_column(String(DOC_LENGTH), primary_key=True)
    order_type: Mapped[str] = mapped_column(
        choice(*WORKFLOW_ORDER_TYPES, name="order_type"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(
        choice(*WORKFLOW_ORDER_STATUSES, name="status"),
        nullable=False,
        server_default="created",
        index=True,
    )
    priority: Mapped[str] = mapped_column(
        choice(*WORKFLOW_PRIORITIES, name="priority"),
        nullable=False,
        server_default="normal",
        index=True,
    )
    description: Mapped[str] = mapped_column(Text, nullable=False)
    #: Equipment number as SAP shows it (free text; not necessarily a pm.assets row).
    equipment_id: Mapped[str | None] = mapped_column(String(KEY_LENGTH), index=True)
    functional_location: Mapped[str | None] = mapped_column(String(100), index=True)
    planned_start_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    planned_end_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    actual_start_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    actual_end_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    planned_costs: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default="0")
    actual_costs: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default="0")
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()


class WorkflowOperation(Base):
    __tablename__ = "workflow_operations"
    __table_args__ = (
        UniqueConstraint("order_number", "operation_number"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = _order_number()
    operation_number: Mapped[str] = mapped_column(String(10), nullable=False)
    work_center: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    planned_hours: Mapped[Decimal] = mapped_column(
        Numeric(10, 2), nullable=False, server_default="0"
    )
    actual_hours: Mapped[Decimal] = mapped_column(
        Numeric(10, 2), nullable=False, server_default="0"
    )
    completed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    created_at: Mapped[dt.datetime] = created_at_column()


class WorkflowComponent(Base):
    """A material an order needs. The material must exist in ``mm.materials`` (RESTRICT)."""

    __tablename__ = "workflow_components"
    __table_args__ = (
        CheckConstraint("quantity_required > 0", name="quantity_required_positive"),
        CheckConstraint("quantity_issued >= 0", name="quantity_issued_non_negative"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = _order_number()
    material_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("mm.materials.material_id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    quantity_required: Mapped[int] = mapped_column(Integer, nullable=False)
    quantity_issued: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unit_of_measure: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()


class WorkflowPurchaseOrder(Base):
    __tablename__ = "workflow_purchase_orders"
    __table_args__ = (
        CheckConstraint("total_value >= 0", name="total_value_non_negative"),
        {"schema": SCHEMA},
    )

    po_number: Mapped[str] = mapped_column(String(DOC_LENGTH), primary_key=True)
    order_number: Mapped[str] = _order_number()
    po_type: Mapped[str] = mapped_column(
        choice(*PO_TYPES, name="po_type"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(
        choice(*PO_STATUSES, name="status"), nullable=False, server_default="created", index=True
    )
    vendor: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    total_value: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default="0")
    delivery_date: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()


class WorkflowGoodsReceipt(Base):
    __tablename__ = "workflow_goods_receipts"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        {"schema": SCHEMA},
    )

    gr_number: Mapped[str] = mapped_column(String(DOC_LENGTH), primary_key=True)
    order_number: Mapped[str] = _order_number()
    po_number: Mapped[str] = mapped_column(
        String(DOC_LENGTH),
        ForeignKey("pm_workflow.workflow_purchase_orders.po_number", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    received_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    received_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now()
    )
    notes: Mapped[str | None] = mapped_column(Text)


class WorkflowGoodsIssue(Base):
    __tablename__ = "workflow_goods_issues"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        {"schema": SCHEMA},
    )

    gi_number: Mapped[str] = mapped_column(String(DOC_LENGTH), primary_key=True)
    order_number: Mapped[str] = _order_number()
    component_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("pm_workflow.workflow_components.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    issued_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    issued_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now()
    )


class WorkflowConfirmation(Base):
    __tablename__ = "workflow_confirmations"
    __table_args__ = ({"schema": SCHEMA},)

    confirmation_number: Mapped[str] = mapped_column(String(DOC_LENGTH), primary_key=True)
    order_number: Mapped[str] = _order_number()
    operation_id: Mapped[int | None] = mapped_column(
        Integer,
        ForeignKey("pm_workflow.workflow_operations.id", ondelete="CASCADE"),
        index=True,
    )
    confirmation_type: Mapped[str] = mapped_column(
        choice(*CONFIRMATION_TYPES, name="confirmation_type"), nullable=False, index=True
    )
    actual_hours: Mapped[Decimal] = mapped_column(
        Numeric(10, 2), nullable=False, server_default="0"
    )
    final_confirmation: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=false()
    )
    confirmed_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    confirmed_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now()
    )
    notes: Mapped[str | None] = mapped_column(Text)


class WorkflowMalfunctionReport(Base):
    __tablename__ = "workflow_malfunction_reports"
    __table_args__ = ({"schema": SCHEMA},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = _order_number()
    damage_code: Mapped[str | None] = mapped_column(String(20))
    cause_code: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, nullable=False)
    root_cause: Mapped[str | None] = mapped_column(Text)
    corrective_action: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    reported_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now()
    )


class WorkflowDocumentFlow(Base):
    """One document of an order's chain, linked to the document it follows
    (``predecessor_id``; the first document has none)."""

    __tablename__ = "workflow_document_flow"
    __table_args__ = ({"schema": SCHEMA},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = _order_number()
    document_type: Mapped[str] = mapped_column(
        choice(*DOCUMENT_TYPES, name="document_type"), nullable=False, index=True
    )
    document_number: Mapped[str] = mapped_column(String(DOC_LENGTH), nullable=False, index=True)
    predecessor_id: Mapped[int | None] = mapped_column(
        Integer,
        ForeignKey("pm_workflow.workflow_document_flow.id", ondelete="SET NULL"),
        index=True,
    )
    description: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()


class WorkflowCostSummary(Base):
    """Planned and actual costs of one order (one row per order)."""

    __tablename__ = "workflow_cost_summaries"
    __table_args__ = ({"schema": SCHEMA},)

    order_number: Mapped[str] = mapped_column(
        String(DOC_LENGTH), ForeignKey(ORDER_FK, ondelete="CASCADE"), primary_key=True
    )
    planned_labor_cost: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default="0")
    planned_material_cost: Mapped[Decimal] = mapped_column(
        Money, nullable=False, server_default="0"
    )
    planned_external_cost: Mapped[Decimal] = mapped_column(
        Money, nullable=False, server_default="0"
    )
    actual_labor_cost: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default="0")
    actual_material_cost: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default="0")
    actual_external_cost: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default="0")
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default="EUR")
    updated_at: Mapped[dt.datetime] = updated_at_column()
