"""``password_reset_tickets`` (default schema): password resets requested through ServiceNow."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from appdb.types import Document, choice
from sap_clone.models.base import USER_LENGTH, Base, created_at_column, updated_at_column

RESET_STATUSES = ("open", "in_progress", "completed", "failed", "cancelled")

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_temp_password(password: str) -> str:
    """A salted scrypt hash: ``scrypt$n$r$p$salt$hash`` (salt and hash base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    encoded = [base64.b64encode(x).decode() for x in (salt, digest)]
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_temp_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        password.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
    )
    return hmac.compare_digest(actual, expected)


class PasswordResetTicket(Base):
    """A password reset request (the guide's 17 columns).

    ``temp_password`` keeps its name for the users of this table but never holds the temporary
    password itself: it holds a salted scrypt hash (:func:`hash_temp_password`). Set it with
    :meth:`set_temp_password`, check a candidate with :meth:`check_temp_password`; the clear
    password is handed to the requester once and not stored.
    """

    __tablename__ = "password_reset_tickets"
    __table_args__ = (
        Index("ux_password_reset_tickets_correlation_id", "correlation_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sap_ticket_id: Mapped[str] = mapped_column(String(50), nullable=False, unique=True, index=True)
    servicenow_ticket_id: Mapped[str | None] = mapped_column(String(50), index=True)
    username: Mapped[str] = mapped_column(String(USER_LENGTH), nullable=False, index=True)
    user_email: Mapped[str | None] = mapped_column(String(255))
    requester_name: Mapped[str | None] = mapped_column(String(255))
    requester_email: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    #: The requester's priority as ServiceNow sent it (no closed set is specified).
    priority: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(
        choice(*RESET_STATUSES, name="status"), nullable=False, server_default="open", index=True
    )
    assigned_to: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    #: The flow's correlation id, unique: SAP's idempotency key for opening the ticket
    #: (013 builds the unique index CONCURRENTLY).
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    callback_url: Mapped[str | None] = mapped_column(Text)
    #: A salted hash of the temporary password, never the password itself.
    temp_password: Mapped[str | None] = mapped_column(String(255))
    comments: Mapped[list[Any]] = mapped_column(
        Document, nullable=False, server_default=text("'[]'")
    )
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = updated_at_column()

    def set_temp_password(self, password: str) -> None:
        self.temp_password = hash_temp_password(password)

    def check_temp_password(self, password: str) -> bool:
        return verify_temp_password(password, self.temp_password)
