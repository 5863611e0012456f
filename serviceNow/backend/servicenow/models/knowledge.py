"""Incidents, the service catalogue and the knowledge base."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import Document, choice

from .base import Base, counter, created_at, flag, updated_at

INCIDENT_PRIORITIES = ("low", "medium", "high", "critical")
INCIDENT_STATUSES = ("new", "in_progress", "resolved", "closed")


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # INC0000001
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(
        choice(*INCIDENT_PRIORITIES, name="priority"),
        index=True,
        default="medium",
        server_default=text("'medium'"),
    )
    status: Mapped[str] = mapped_column(
        choice(*INCIDENT_STATUSES, name="status"),
        index=True,
        default="new",
        server_default=text("'new'"),
    )
    reporter_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()


class ServiceCatalogItem(Base):
    __tablename__ = "service_catalog_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    is_active: Mapped[bool] = flag(True)
    created_at: Mapped[dt.datetime] = created_at()


class KnowledgeArticle(Base):
    __tablename__ = "knowledge_articles"
    __table_args__ = (
        CheckConstraint("views >= 0", name="views_non_negative"),
        CheckConstraint("helpful_votes >= 0", name="helpful_votes_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    tags: Mapped[list[str] | None] = mapped_column(Document)  # a JSON list of strings
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    views: Mapped[int] = counter()
    helpful_votes: Mapped[int] = counter()
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
