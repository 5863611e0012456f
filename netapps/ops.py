"""Helpers for migration files that must run the same on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import op
from sqlalchemy.schema import CreateSchema, DropSchema


def dialect_name() -> str:
    """The dialect the migration runs against, online or offline (--sql)."""
    return op.get_context().dialect.name


def create_schema(name: str) -> None:
    """CREATE SCHEMA where schemas exist; on SQLite, schemas are mapped away (nothing to do)."""
    if dialect_name() != "sqlite":
        op.execute(CreateSchema(name, if_not_exists=True))


def drop_schema(name: str) -> None:
    if dialect_name() != "sqlite":
        op.execute(DropSchema(name, if_exists=True))
