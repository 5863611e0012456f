"""Schema ``pm`` (plant maintenance): assets, maintenance orders, incidents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
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

ASSET_TYPES = ("substation", "transformer", "feeder")
ASSET_STATUSES = ("operational", "under_maintenance", "out_of_service", "decommissioned")
ORDER_TYPES = ("preventive", "corrective", "emergency")
ORDER_STATUSES = ("planned", "in_progress", "completed", "cancelled")
FAULT_TYPES = ("fault", "outage", "degradation")


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = ({"schema": "pm"},)

    asset_id: Mapped[str] = key_column()
    asset_type: Mapped[str] = mapped_column(
        choice(*ASSET_TYPES, name="asset_type"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    location: Mapped[str] = mapped_column(String(255), nullable=False)
    installation_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(
        choice(*ASSET_STATUSES, name="status"),
        nullable=False,
        server_default="operational",
        index=True,
    )
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    maintenance_orders: Mapped[list[MaintenanceOrder]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", passive_deletes=True
    )
    incidents: Mapped[list[Incident]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", passive_deletes=True
    )


class MaintenanceOrder(Base):
    __tablename__ = "maintenance_orders"
    __table_args__ = ({"schema": "pm"},)

    order_id: Mapped[str] = key_column()
    asset_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("pm.assets.asset_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    ticket_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH), ForeignKey("core.tickets.ticket_id", ondelete="SET NULL"), index=True
    )
    order_type: Mapped[str] = mapped_column(
        choice(*ORDER_TYPES, name="order_type"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(
        choice(*ORDER_STATUSES, name="status"), nullable=False, server_default="planned", index=True
    )
    description: Mapped[str] = mapped_column(Text, nullable=False)
    scheduled_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    completed_date: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    asset: Mapped[Asset] = relationship(back_populates="maintenance_orders")


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = ({"schema": "pm"},)

    incident_id: Mapped[str] = key_column()
    asset_id: Mapped[str] = mapped_column(
        String(KEY_LENGTH),
        ForeignKey("pm.assets.asset_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    ticket_id: Mapped[str | None] = mapped_column(
        String(KEY_LENGTH), ForeignKey("core.tickets.ticket_id", ondelete="SET NULL"), index=True
    )
    fault_type: Mapped[str] = mapped_column(
        choice(*FAULT_TYPES, name="fault_type"), nullable=False, index=True
    )
    description: Mapped[str] = mapped_column(Text, nullable=False)
    reported_by: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False)
    reported_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), nullable=False, server_default=utc_now(), index=True
    )
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    asset: Mapped[Asset] = relationship(back_populates="incidents")
