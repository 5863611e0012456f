"""Bodies of the CRM work-order routes and of the flow that opens orders from the CRM."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sap_clone.api.fields import Comment, Key, LongText, Name, Price, Quantity, ShortText, Unit
from sap_clone.models.work_orders import FLOW_STATUSES, WORK_ORDER_PRIORITIES
from servicekit.schemas import ORMModel

FlowStatus = Literal[
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
    "cancelled",
]
WorkOrderPriority = Literal["low", "medium", "high", "urgent"]
assert set(FlowStatus.__args__) == set(FLOW_STATUSES)  # type: ignore[attr-defined]
assert set(WorkOrderPriority.__args__) == set(WORK_ORDER_PRIORITIES)  # type: ignore[attr-defined]
#: At most this many lines on one order.
MAX_LINES = 200


class WorkOrderLineIn(BaseModel):
    """A material the work needs: its SAP material number and how many."""

    model_config = ConfigDict(extra="forbid")
    material_id: Key = Field(description="The SAP material number, e.g. MAT-CBL-001")
    quantity: Quantity
    #: The CRM's price per unit, when it has one: it prices a shortage's FI approval.
    unit_price: Price | None = None
    unit_of_measure: Unit | None = None


class WorkOrderRequest(BaseModel):
    """A work order as the CRM sends it (the CRM's own id travels beside it)."""

    model_config = ConfigDict(extra="forbid")
    title: Name
    description: LongText | None = None
    customer_name: Name | None = None
    site_location: Name | None = None
    priority: WorkOrderPriority = "medium"
    asset_id: Key | None = None
    requested_by: ShortText | None = None
    assigned_to: ShortText | None = None
    #: The cost center a shortage's approval and requisitions are booked on (default below).
    cost_center_id: Key | None = None
    lines: list[WorkOrderLineIn] = Field(default_factory=list, max_length=MAX_LINES)


class TransitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Comment | None = None


class WorkOrderLineOut(ORMModel):
    material_id: str
    quantity_required: int
    quantity_available: int
    unit_of_measure: str | None


class HistoryOut(ORMModel):
    from_status: str | None
    to_status: str
    changed_by: str
    changed_at: dt.datetime
    note: str | None


class WorkOrderOut(ORMModel):
    work_order_id: str
    crm_reference_id: str
    title: str
    description: str | None
    customer_name: str | None
    site_location: str | None
    priority: str
    flow_status: str
    asset_id: str | None
    ticket_id: str | None
    requisition_id: str | None
    requested_by: str | None
    assigned_to: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WorkOrderDetail(WorkOrderOut):
    materials: list[WorkOrderLineOut]
    history: list[HistoryOut]


class WorkOrderPage(BaseModel):
    items: list[WorkOrderOut]
    total: int | None = Field(None, description="Only when asked for (count=true)")
    limit: int
    offset: int
