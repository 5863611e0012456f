"""Request and response bodies of ServiceNow's API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from servicekit.schemas import MAX_INTEGER, ORMModel

TicketType = Literal["incident", "service_request", "change_request", "problem"]
TicketState = Literal[
    "draft",
    "submitted",
    "pending_approval",
    "approved",
    "rejected",
    "in_progress",
    "resolved",
    "closed",
    "cancelled",
]
Priority = Literal["low", "medium", "high", "critical"]


class TicketCreate(BaseModel):
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=10_000)
    ticket_type: TicketType = "incident"
    priority: Priority = "medium"
    category: str | None = Field(None, max_length=100)
    subcategory: str | None = Field(None, max_length=100)
    #: Raised on behalf of another user (agents, admins and services only).
    requester_email: str | None = Field(None, max_length=255)
    external_sys_id: str | None = Field(None, max_length=64)
    external_number: str | None = Field(None, max_length=64)
    #: Start submitted (the default) rather than as a draft.
    submit: bool = True


class TicketUpdate(BaseModel):
    status: TicketState | None = None
    priority: Priority | None = None
    assigned_to_id: int | None = Field(None, ge=1, le=MAX_INTEGER)
    resolution_notes: str | None = Field(None, max_length=10_000)


class TicketOut(ORMModel):
    id: int
    ticket_number: str
    title: str
    description: str | None
    ticket_type: str
    status: str
    priority: str
    category: str | None
    subcategory: str | None
    requester_id: int
    assigned_to_id: int | None
    estimated_cost: Decimal | None
    resolution_notes: str | None
    external_sys_id: str | None
    external_number: str | None
    #: The cross-app flow the ticket started (a password reset), if any.
    correlation_id: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class WorkNoteCreate(BaseModel):
    note: str = Field(min_length=1, max_length=10_000)


class WorkNoteOut(ORMModel):
    id: int
    ticket_id: int
    author_id: int | None
    author_name: str
    note: str
    created_at: dt.datetime


class TableResult(BaseModel):
    """The Table API's envelope."""

    result: list[dict[str, object]]
