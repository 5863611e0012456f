"""Migration sources: an app's migrations read into one revision graph, whatever their kind.

``base`` plans (names, steps), ``revisions`` reads Alembic files as text, ``alembic`` runs
them through Alembic, ``sql_files`` reads numbered SQL files, ``sql_runner`` runs them and
keeps their version table, ``sql`` is the SQL kind's Source. A new kind of migration is one
Source subclass here, chosen in :func:`source_for`. Importing this package imports nothing
heavy: the no-op fast path reads ``revisions`` and ``sql_files`` too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netapps.config import Target
    from netapps.sources.base import Source


def source_for(target: Target) -> Source:
    """The right Source for the app's kind (and, for SQL files, the database's engine)."""
    if target.app.kind == "alembic":
        from netapps.sources.alembic import AlembicSource

        return AlembicSource(target.app)
    from netapps.sources.sql import SqlSource

    return SqlSource(target.app, target.engine.name)
