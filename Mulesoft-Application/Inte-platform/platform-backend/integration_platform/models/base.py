"""The declarative Base of the integration platform; the column shapes are netapps'."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from appdb.types import (
    counter,
    created_at,
    flag,
    json_default,
    new_metadata,
    updated_at,
)


class Base(DeclarativeBase):
    metadata = new_metadata()


__all__ = ["Base", "counter", "created_at", "flag", "json_default", "updated_at"]
