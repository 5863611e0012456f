"""Integration flows, their logs, the API endpoints exposed and the connectors to other systems."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import Document, UTCDateTime, choice, utc_now

from .base import Base, created_at, flag, json_default, updated_at

INTEGRATION_STATUSES = ("draft", "deployed", "stopped", "error")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
CONNECTOR_TYPES = ("sap", "salesforce", "servicenow", "http", "database")


class Integration(Base):
    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    flow_config: Mapped[dict[str, Any]] = mapped_column(
        Document, default=dict, server_default=json_default("{}")
    )
    status: Mapped[str] = mapped_column(
        choice(*INTEGRATION_STATUSES, name="status"),
        index=True,
        default="draft",
        server_default=text("'draft'"),
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()


class IntegrationLog(Base):
    __tablename__ = "integration_logs"
    # Leads with integration_id, so it also serves as the foreign key's index.
    __table_args__ = (
        Index("ix_integration_logs_integration_id_logged_at", "integration_id", "logged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(
        choice(*LOG_LEVELS, name="level"), default="INFO", server_default=text("'INFO'")
    )
    message: Mapped[str] = mapped_column(Text)
    # The X-Correlation-ID of the request that caused the entry: one flow across the apps.
    correlation_id: Mapped[str | None] = mapped_column(String(100), index=True)
    logged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, server_default=utc_now())


class ApiEndpoint(Base):
    __tablename__ = "api_endpoints"
    __table_args__ = (
        UniqueConstraint("path", "method"),
        CheckConstraint("rate_limit > 0", name="rate_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(500))
    method: Mapped[str] = mapped_column(String(10))
    # Requests per minute; NULL means no limit.
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    ip_whitelist: Mapped[list[str] | None] = mapped_column(Document)
    requires_auth: Mapped[bool] = flag(True)
    is_active: Mapped[bool] = flag(True)
    created_at: Mapped[dt.datetime] = created_at()


class Connector(Base):
    """A connection to an external system. ``connection_config`` holds no secrets:
    ``credentials_ref`` names where the credentials are kept."""

    __tablename__ = "connectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_name: Mapped[str] = mapped_column(String(255), unique=True)
    connector_type: Mapped[str] = mapped_column(
        choice(*CONNECTOR_TYPES, name="connector_type"), index=True
    )
    connection_config: Mapped[dict[str, Any]] = mapped_column(
        Document, default=dict, server_default=json_default("{}")
    )
    credentials_ref: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(
        String(50), index=True, default="active", server_default=text("'active'")
    )
    health_check_url: Mapped[str | None] = mapped_column(String(500))
    last_health_check: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    health_status: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
