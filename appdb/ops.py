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


def in_schema(name: str) -> str | None:
    """The schema to name in a migration's DDL: ``name``, or none on SQLite.

    SQLAlchemy's SQLite compiler leaves out a foreign key whose two tables name different
    schemas, even when schema_translate_map maps both away; so on SQLite the tables are
    created without schema names at all (the same single-file layout the map gives).
    """
    return None if dialect_name() == "sqlite" else name


def fk_target(target: str) -> str:
    """``schema.table.column`` of a foreign key target, without the schema on SQLite."""
    schema, _, rest = target.partition(".")
    qualified = in_schema(schema)
    return f"{qualified}.{rest}" if qualified else rest
