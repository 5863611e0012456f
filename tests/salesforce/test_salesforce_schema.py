"""The service's hand-written tables match the database its SQL migrations build, on SQLite
and PostgreSQL; readiness reads the SQL kind's version table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from salesforce_crm.models import METADATA
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    create_engine,
    inspect,
)
from sqlalchemy.engine import URL, Engine
from sqlalchemy.types import TypeDecorator, TypeEngine
from tests_paths import SALESFORCE_MIGRATIONS

from servicekit.migrations import AppDatabase, expected_heads


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_tables_match_the_migrated_database(engine: str, netapps_db: Callable[..., URL]) -> None:
    url = netapps_db("salesforce", engine=engine)
    database = create_engine(url)
    try:
        inspector = inspect(database)
        declared = _sqlite_declared_types(database) if engine == "sqlite" else {}
        for table in METADATA.tables.values():
            reflected = {c["name"]: c for c in inspector.get_columns(table.name)}
            assert list(reflected) == [c.name for c in table.columns], table.name
            for column in table.columns:
                assert reflected[column.name]["nullable"] == column.nullable, (
                    f"{table.name}.{column.name}"
                )
                found = (
                    _declared(declared[table.name][column.name])
                    if engine == "sqlite"
                    else _kind(reflected[column.name]["type"])
                )
                assert found == _kind(column.type), f"{table.name}.{column.name}: {found}"
            primary = inspector.get_pk_constraint(table.name)["constrained_columns"]
            assert primary == [c.name for c in table.primary_key.columns], table.name
            indexes = {i["name"] for i in inspector.get_indexes(table.name)}
            assert {i.name for i in table.indexes} <= indexes, table.name
            foreign = {
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table.name)
            }
            assert foreign == {
                (tuple(c.parent.name for c in k.elements), k.referred_table.name)
                for k in table.foreign_key_constraints
            }, table.name
    finally:
        database.dispose()


def _kind(column_type: TypeEngine[Any]) -> tuple[str, int | None]:
    """A column type as both engines reflect it: its family, and a string's length."""
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    for family in (Boolean, Integer, Numeric, DateTime, Date, JSON, Text):
        if isinstance(column_type, family):
            return family.__name__, None
    if isinstance(column_type, String):
        return "String", column_type.length
    return type(column_type).__name__, None


def _sqlite_declared_types(database: Engine) -> dict[str, dict[str, str]]:
    """SQLite reflects a type it does not know (TIMESTAMP WITH TIME ZONE) by its affinity:
    the declared text is what the SQL said."""
    with database.connect() as conn:
        return {
            table.name: {
                row[1]: row[2] for row in conn.exec_driver_sql(f"PRAGMA table_info({table.name})")
            }
            for table in METADATA.tables.values()
        }


_DECLARED = {
    "TIMESTAMP": "DateTime",
    "BOOLEAN": "Boolean",
    "INTEGER": "Integer",
    "NUMERIC": "Numeric",
    "DATE": "Date",
    "JSON": "JSON",
    "TEXT": "Text",
}


def _declared(text: str) -> tuple[str, int | None]:
    upper = text.upper()
    if upper.startswith("VARCHAR("):
        return "String", int(upper[len("VARCHAR(") : -1])
    return _DECLARED.get(upper.split(" ")[0].split("(")[0], upper), None


def test_the_head_of_an_sql_app_is_its_newest_file() -> None:
    newest = sorted(p.name[:3] for p in SALESFORCE_MIGRATIONS.glob("*.up*.sql"))[-1]
    database = AppDatabase(
        "salesforce",
        URL.create("sqlite", database="unused.db"),
        SALESFORCE_MIGRATIONS.parent,
        (),
        "sql",
    )
    assert expected_heads(database) == (newest,)
