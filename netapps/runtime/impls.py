"""Alembic's DDL implementations for the engines netapps supports, taught two things.

* **A version table wide enough for our revision ids.** Our ids are descriptive
  (``008_create_work_order_flow_tables``); Alembic's version table holds 32 characters.
  ``version_table_impl`` is Alembic's hook for the table's shape (Alembic >= 1.14): the same
  VARCHAR(64) table online and in offline SQL (``--sql``), so the SQL Alembic prints applies.
* **SQLite has no schemas.** netapps maps schema names away on SQLite with SQLAlchemy's
  ``schema_translate_map``. SQLAlchemy's own DDL honours that map; Alembic's ALTER constructs
  (rename table, add or drop column — what batch mode emits) render the schema literally. The
  SQLite implementation applies the connection's map to them too, so SAP's migrations say
  ``schema="core"`` once and run on both engines.

Importing this module registers both, for the "sqlite" and "postgresql" dialects, as Alembic
registers its own implementations by ``__dialect__``.
"""

from __future__ import annotations

from typing import Any

from alembic.ddl.base import AlterTable
from alembic.ddl.postgresql import PostgresqlImpl
from alembic.ddl.sqlite import SQLiteImpl
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table

from netapps.sources.revision_ids import MAX_ID_LENGTH

#: The width of ``alembic_version.version_num`` netapps creates (Alembic's own: 32).
VERSION_LENGTH = MAX_ID_LENGTH


def wide_version_table(
    version_table: str, version_table_schema: str | None, version_table_pk: bool
) -> Table:
    """Alembic's version table, with room for ``VERSION_LENGTH`` characters."""
    table = Table(
        version_table,
        MetaData(),
        Column("version_num", String(VERSION_LENGTH), nullable=False),
        schema=version_table_schema,
    )
    if version_table_pk:
        table.append_constraint(PrimaryKeyConstraint("version_num", name=f"{version_table}_pkc"))
    return table


class WideVersionTable:
    def version_table_impl(
        self,
        *,
        version_table: str,
        version_table_schema: str | None,
        version_table_pk: bool,
        **_kw: Any,
    ) -> Table:
        return wide_version_table(version_table, version_table_schema, version_table_pk)


class NetappsPostgresqlImpl(WideVersionTable, PostgresqlImpl):
    __dialect__ = "postgresql"


class SchemaMappingSQLiteImpl(WideVersionTable, SQLiteImpl):
    __dialect__ = "sqlite"

    def _exec(self, construct: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(construct, AlterTable) and construct.schema and self.connection is not None:
            translate = self.connection.get_execution_options().get("schema_translate_map") or {}
            if construct.schema in translate:
                construct.schema = translate[construct.schema]
        return super()._exec(construct, *args, **kwargs)
