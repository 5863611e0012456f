"""Alembic's SQLite implementation, taught that SQLite has no schemas.

netapps maps schema names away on SQLite with SQLAlchemy's ``schema_translate_map`` (see
appdb.engine). SQLAlchemy's own DDL honours that map; Alembic's ALTER constructs (rename
table, add or drop column — what batch mode emits) render the schema literally. This subclass
applies the connection's map to them too, so SAP's migrations say ``schema="core"`` once and
run on both engines. Importing this module registers it for the "sqlite" dialect.
"""

from __future__ import annotations

from typing import Any

from alembic.ddl.base import AlterTable
from alembic.ddl.sqlite import SQLiteImpl


class SchemaMappingSQLiteImpl(SQLiteImpl):
    __dialect__ = "sqlite"

    def _exec(self, construct: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(construct, AlterTable) and construct.schema and self.connection is not None:
            translate = self.connection.get_execution_options().get("schema_translate_map") or {}
            if construct.schema in translate:
                construct.schema = translate[construct.schema]
        return super()._exec(construct, *args, **kwargs)
