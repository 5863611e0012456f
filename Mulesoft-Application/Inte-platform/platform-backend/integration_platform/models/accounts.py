"""Users of the platform and their API keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import UTCDateTime, choice

from .base import Base, created_at, flag

USER_ROLES = ("admin", "developer", "viewer")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(
        choice(*USER_ROLES, name="role"), default="viewer", server_default=text("'viewer'")
    )
    is_active: Mapped[bool] = flag(True)
    created_at: Mapped[dt.datetime] = created_at()


class ApiKey(Base):
    """An API key: only its hash is stored, plus a short prefix to show users which key it is."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(255), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_active: Mapped[bool] = flag(True)
    created_at: Mapped[dt.datetime] = created_at()
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
