"""Finds each app's migrations: the right Source for its kind (and, for SQL files, dialect)."""

from __future__ import annotations

from netapps.config import Target
from netapps.source import Source


def source_for(target: Target) -> Source:
    if target.app.kind == "alembic":
        from netapps.alembic_source import AlembicSource

        return AlembicSource(target.app)
    from netapps.sql_source import SqlSource

    return SqlSource(target.app, target.url.get_backend_name())
