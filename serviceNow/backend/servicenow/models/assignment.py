"""Assignment groups, their members and the category rules that route tickets to them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import UTCDateTime

from .base import Base, counter, created_at, flag, updated_at


class AssignmentGroup(Base):
    __tablename__ = "assignment_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(255))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_active: Mapped[bool] = flag(True)
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()


class AssignmentGroupMember(Base):
    __tablename__ = "assignment_group_members"
    # The unique constraint's index leads with group_id and serves as that foreign key's index.
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        CheckConstraint("assignment_count >= 0", name="assignment_count_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("assignment_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_active: Mapped[bool] = flag(True)
    assignment_count: Mapped[int] = counter()
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = created_at()


class CategoryAssignmentMapping(Base):
    __tablename__ = "category_assignment_mappings"
    # The unique constraint's index leads with category and serves its look-ups.
    __table_args__ = (UniqueConstraint("category", "subcategory"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(100))
    subcategory: Mapped[str | None] = mapped_column(String(100))
    group_id: Mapped[int] = mapped_column(
        ForeignKey("assignment_groups.id", ondelete="RESTRICT"), index=True
    )
    priority_override: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = created_at()
