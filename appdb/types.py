"""Column types and conventions every app's models share (the rules for every table).

One naming convention for every constraint, so a later migration can alter or drop it by a
stable name; timestamps that are timezone-aware and stored in UTC; closed sets of values as
CHECK-constrained strings that behave the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    Integer,
    MetaData,
    Numeric,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """The MetaData an app's declarative Base uses."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp stored in UTC.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as UTC
    and come back marked as UTC. Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column; attach a time zone")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite rows written by server defaults come back as text
            value = dt.datetime.fromisoformat(value)
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


#: Money: fixed point, never float.
Money = Numeric(15, 2)

#: Structured documents (JSON on both engines).
Document: TypeEngine[Any] = JSON()


def choice(*values: str, name: str) -> Enum:
    """A closed set of values: a string column with a named CHECK constraint, not a native
    enum, so that adding a value is an ordinary migration on both engines."""
    return Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values),
        validate_strings=True,
    )


def utc_now() -> Any:
    """Server-side default for created_at / updated_at."""
    return func.now()


# Column shapes the apps' tables share.


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
