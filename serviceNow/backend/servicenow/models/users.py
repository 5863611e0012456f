"""Users of the service desk."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import choice

from .base import Base, created_at, flag

USER_ROLES = ("admin", "agent", "user")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(
        choice(*USER_ROLES, name="role"), index=True, default="user", server_default=text("'user'")
    )
    hashed_password: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = flag(True)
    created_at: Mapped[dt.datetime] = created_at()
