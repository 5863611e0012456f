"""The declarative Base of the service desk and the column shapes its tables share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Integer, false, text, true
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column

from netapps.model_types import UTCDateTime, new_metadata, utc_now


class Base(DeclarativeBase):
    metadata = new_metadata()


def created_at() -> MappedColumn[dt.datetime]:
    """When the row was written; set by the database."""
    return mapped_column(UTCDateTime, nullable=False, server_default=utc_now())


def updated_at() -> MappedColumn[dt.datetime]:
    """When the row last changed: the database sets it on insert, the ORM on every update."""
    return mapped_column(UTCDateTime, nullable=False, server_default=utc_now(), onupdate=utc_now())


def flag(default: bool) -> MappedColumn[bool]:
    """A NOT NULL boolean with a server-side default."""
    return mapped_column(
        Boolean, nullable=False, default=default, server_default=true() if default else false()
    )


def counter() -> MappedColumn[int]:
    """A NOT NULL integer count starting at zero."""
    return mapped_column(Integer, nullable=False, default=0, server_default=text("0"))


def json_default(literal: str) -> Any:
    """Server default for a JSON column, e.g. ``json_default("[]")``."""
    return text(f"'{literal}'")
