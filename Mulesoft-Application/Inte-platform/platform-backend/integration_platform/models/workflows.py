"""Records of the cross-system workflows: Salesforce cases, password resets, user creation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import Document, UTCDateTime, choice, utc_now

from .base import Base, counter, created_at, flag, json_default, updated_at

APPROVAL_STATUSES = ("pending", "approved", "rejected")


class SalesforceCase(Base):
    __tablename__ = "salesforce_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    salesforce_id: Mapped[str] = mapped_column(String(18), unique=True)
    case_number: Mapped[str | None] = mapped_column(String(40), index=True)
    subject: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(40), index=True)
    priority: Mapped[str | None] = mapped_column(String(40))
    origin: Mapped[str | None] = mapped_column(String(40))
    # Salesforce record ids (not references to this database).
    account_id: Mapped[str | None] = mapped_column(String(18), index=True)
    account_name: Mapped[str | None] = mapped_column(String(255))
    contact_id: Mapped[str | None] = mapped_column(String(18))
    contact_name: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[str | None] = mapped_column(String(18))
    owner_name: Mapped[str | None] = mapped_column(String(255))
    created_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_modified_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, server_default=utc_now())
    raw_data: Mapped[dict[str, Any] | None] = mapped_column(Document)


class PasswordResetTicket(Base):
    __tablename__ = "password_reset_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    correlation_id: Mapped[str] = mapped_column(String(64), unique=True)
    servicenow_ticket_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sap_ticket_id: Mapped[str | None] = mapped_column(String(64), index=True)
    username: Mapped[str] = mapped_column(String(255), index=True)
    user_email: Mapped[str | None] = mapped_column(String(255))
    requester_name: Mapped[str | None] = mapped_column(String(255))
    requester_email: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(
        String(50), index=True, default="pending", server_default=text("'pending'")
    )
    sap_status: Mapped[str | None] = mapped_column(String(50))
    servicenow_updated: Mapped[bool] = flag(False)
    history: Mapped[list[Any]] = mapped_column(
        Document, default=list, server_default=json_default("[]")
    )
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()


class UserCreationApproval(Base):
    __tablename__ = "user_creation_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    correlation_id: Mapped[str] = mapped_column(String(64), unique=True)
    sap_username: Mapped[str] = mapped_column(String(255), index=True)
    sap_roles: Mapped[list[Any]] = mapped_column(
        Document, default=list, server_default=json_default("[]")
    )
    servicenow_ticket_number: Mapped[str | None] = mapped_column(String(64), index=True)
    servicenow_ticket_id: Mapped[str | None] = mapped_column(String(64), index=True)
    approval_status: Mapped[str] = mapped_column(
        choice(*APPROVAL_STATUSES, name="approval_status"),
        index=True,
        default="pending",
        server_default=text("'pending'"),
    )
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    sap_event_id: Mapped[str | None] = mapped_column(String(128), index=True)
    history: Mapped[list[Any]] = mapped_column(
        Document, default=list, server_default=json_default("[]")
    )
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()


class WorkOrderFlow(Base):
    """A CRM work order carried from Salesforce into SAP, and its status back: its keys in
    both systems, the newest SAP status applied (sap_sequence: SAP numbers its status
    changes, so one delivered late never overwrites a newer one) and the newest written back
    to Salesforce."""

    __tablename__ = "work_order_flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    correlation_id: Mapped[str] = mapped_column(String(100), unique=True)
    salesforce_work_order_id: Mapped[str] = mapped_column(String(18), index=True)
    work_order_number: Mapped[str | None] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(255))
    sap_work_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sap_status: Mapped[str | None] = mapped_column(String(50))
    salesforce_status: Mapped[str | None] = mapped_column(String(40))
    status_reason: Mapped[str | None] = mapped_column(Text)
    sap_sequence: Mapped[int] = counter()
    salesforce_sequence: Mapped[int] = counter()
    history: Mapped[list[Any]] = mapped_column(
        Document, default=list, server_default=json_default("[]")
    )
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()


FLOW_RUN_STATUSES = ("received", "running", "succeeded", "failed", "dead")


class FlowRun(Base):
    """One run of a cross-app flow (a password reset), durable across restarts: where it is,
    how often its current message was tried, when it is tried next and why it last failed.
    ``succeeded``: the outcome reached the requester's system; ``failed``: it did, and the
    outcome is a rejection; ``dead``: a message of the flow failed too often (replayable)."""

    __tablename__ = "flow_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    correlation_id: Mapped[str] = mapped_column(String(100), unique=True)
    flow: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(
        choice(*FLOW_RUN_STATUSES, name="status"),
        index=True,
        default="received",
        server_default=text("'received'"),
    )
    #: The step the run is at (the topic of the last message sent or received).
    step: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = counter()
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
