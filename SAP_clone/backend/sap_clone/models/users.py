"""Schema ``core``: the people who sign in to SAP_clone, and their roles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from appdb.types import UTCDateTime, choice, flag
from sap_clone.models.base import USER_LENGTH, Base, created_at_column, updated_at_column

#: Admin manages users; each other role opens one module (PM, MM, FI).
USER_ROLES = ("Admin", "Maintenance_Engineer", "Store_Manager", "Finance_Officer")
#: pending_approval: created through a request and not yet approved; cannot sign in.
USER_STATUSES = ("active", "pending_approval", "disabled")


class User(Base):
    """A login. Only an argon2 hash of the password is stored (``password_hash``)."""

    __tablename__ = "users"
    __table_args__ = ({"schema": "core"},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False, unique=True)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(
        choice(*USER_STATUSES, name="status"),
        nullable=False,
        default="active",
        server_default=text("'active'"),
        index=True,
    )
    must_change_password: Mapped[bool] = flag(False)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="UserRole.role",
    )

    @property
    def role_names(self) -> list[str]:
        return [r.role for r in self.roles]


class UserRole(Base):
    """One role of a user: a row per role, so each is a value of a closed set."""

    __tablename__ = "user_roles"
    __table_args__ = ({"schema": "core"},)

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("core.users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(choice(*USER_ROLES, name="role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")
