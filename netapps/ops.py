"""Old import path of :mod:`appdb.ops`: the migration files already written import from here,
and a migration file is never edited once applied (its checksum would change)."""

from appdb.ops import create_schema, dialect_name, drop_schema, fk_target, in_schema

__all__ = ["create_schema", "dialect_name", "drop_schema", "fk_target", "in_schema"]
