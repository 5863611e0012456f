"""Work notes: the agents' running commentary on a ticket, newest last."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, created_at


class WorkNote(Base):
    __tablename__ = "work_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # A user's note names the user; a note from another service (no user) only its name.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()
