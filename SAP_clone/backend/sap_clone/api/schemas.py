"""Request and response bodies of SAP_clone's API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from sap_clone.models.core import MODULES, PRIORITIES, TICKET_STATUSES, TICKET_TYPES
from sap_clone.models.users import USER_ROLES
from servicekit.schemas import ORMModel

Role = Literal["Admin", "Maintenance_Engineer", "Store_Manager", "Finance_Officer"]
Module = Literal["PM", "MM", "FI"]
Priority = Literal["P1", "P2", "P3", "P4"]
TicketStatus = Literal["Open", "Assigned", "In_Progress", "Closed"]
TicketType = Literal["Incident", "Maintenance", "Procurement", "Finance_Approval"]
assert set(Role.__args__) == set(USER_ROLES)  # type: ignore[attr-defined]
assert set(Module.__args__) == set(MODULES)  # type: ignore[attr-defined]
assert set(Priority.__args__) == set(PRIORITIES)  # type: ignore[attr-defined]
assert set(TicketStatus.__args__) == set(TICKET_STATUSES)  # type: ignore[attr-defined]
assert set(TicketType.__args__) == set(TICKET_TYPES)  # type: ignore[attr-defined]

Password = Field(min_length=12, max_length=256)


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Password
    email: str | None = Field(None, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    full_name: str | None = Field(None, max_length=255)
    roles: list[Role] = Field(min_length=1)
    must_change_password: bool = True
    #: pending_approval: the account exists but cannot sign in until approved (activated).
    status: Literal["active", "pending_approval"] = "active"


class PasswordSet(BaseModel):
    password: str = Password
    must_change_password: bool = True


class UserOut(ORMModel):
    id: int
    username: str
    email: str | None
    full_name: str | None
    status: str
    roles: list[str] = Field(validation_alias="role_names")
    must_change_password: bool
    last_login_at: dt.datetime | None
    created_at: dt.datetime


class TicketCreate(BaseModel):
    ticket_type: TicketType
    module: Module
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=10_000)
    priority: Priority = "P3"
    assigned_to: str | None = Field(None, max_length=100)
    sla_deadline: dt.datetime | None = None


class TicketUpdate(BaseModel):
    status: TicketStatus | None = None
    priority: Priority | None = None
    assigned_to: str | None = Field(None, max_length=100)
    comment: str | None = Field(None, max_length=2_000)


class TicketOut(ORMModel):
    ticket_id: str
    ticket_type: str
    module: str
    priority: str
    status: str
    title: str
    description: str | None
    sla_deadline: dt.datetime | None
    assigned_to: str | None
    created_by: str
    correlation_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AuditOut(ORMModel):
    id: int
    ticket_id: str
    action: str
    old_value: str | None
    new_value: str | None
    performed_by: str
    performed_at: dt.datetime


class TicketPage(BaseModel):
    items: list[TicketOut]
    total: int | None = Field(None, description="Only when asked for (count=true)")
    limit: int
    offset: int
