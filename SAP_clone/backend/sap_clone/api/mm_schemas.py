"""Request and response bodies of the MM write routes: materials, stock movements and
purchase requisitions."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from sap_clone.api.fields import Key, LongText, Name, Quantity, ShortText, StockLevel, Unit
from sap_clone.models.mm import REQUISITION_STATUSES
from servicekit.schemas import ORMModel

RequisitionStatus = Literal["pending", "approved", "rejected", "ordered", "received"]
assert set(RequisitionStatus.__args__) == set(REQUISITION_STATUSES)  # type: ignore[attr-defined]


class StrictBody(BaseModel):
    """A body whose unknown fields are refused (``quantity`` on a material update, say)."""

    model_config = ConfigDict(extra="forbid")


class MaterialCreate(StrictBody):
    """A new material; its stock starts at 0 and moves only through stock transactions."""

    material_id: Key
    description: Name
    unit_of_measure: Unit
    reorder_level: StockLevel = 0
    storage_location: ShortText | None = None


class MaterialUpdate(StrictBody):
    """What may change of a material; never its quantity (post a stock transaction)."""

    description: Name | None = None
    unit_of_measure: Unit | None = None
    reorder_level: StockLevel | None = None
    storage_location: ShortText | None = None


class MaterialOut(ORMModel):
    material_id: str
    description: str
    quantity: int
    unit_of_measure: str
    reorder_level: int
    storage_location: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class StockMovement(StrictBody):
    """A receipt adds ``quantity`` to the stock, an issue takes it away (never below 0)."""

    material_id: Key
    transaction_type: Literal["receipt", "issue"]
    quantity: Quantity
    reference_doc: ShortText | None = None
    notes: LongText | None = None


class StockTransactionOut(ORMModel):
    transaction_id: str
    material_id: str
    quantity_change: int
    transaction_type: str
    transaction_date: dt.datetime
    performed_by: str
    reference_doc: str | None
    notes: str | None


class RequisitionCreate(StrictBody):
    material_id: Key
    quantity: Quantity
    cost_center_id: Key | None = None
    justification: LongText | None = None
    ticket_id: Key | None = None


class RequisitionStatusChange(StrictBody):
    status: RequisitionStatus
    note: LongText | None = None


class RequisitionOut(ORMModel):
    requisition_id: str
    material_id: str
    cost_center_id: str | None
    quantity: int
    justification: str | None
    status: str
    ticket_id: str | None
    requested_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
