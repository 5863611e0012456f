"""Engines for the apps' databases, the same way for every app, sync or async, SQLite or
PostgreSQL.

Two things are easy to get wrong and are done here once:

* pysqlite does not run DDL inside a transaction (it commits before it). We take control of
  BEGIN, as SQLAlchemy's documentation shows, so that a migration that fails or is killed on
  SQLite leaves no half-applied schema.
* SQLite has no schemas. An app whose models use schemas (SAP: core, pm, mm, fi, pm_workflow)
  gets them translated away on SQLite: every table lives in the one file under its own name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import BLANK_SCHEMA

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option: how a transaction begins on SQLite ("BEGIN" or "BEGIN IMMEDIATE").
SQLITE_BEGIN = "netapps_sqlite_begin"


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_async(url: URL) -> bool:
    """Whether the URL's driver speaks asyncio (SQLAlchemy then needs an AsyncEngine)."""
    return bool(getattr(url.get_dialect(), "is_async", False))


def schemas_of(metadata: MetaData | None) -> tuple[str, ...]:
    if metadata is None:
        return ()
    return tuple(sorted({t.schema for t in metadata.tables.values() if t.schema}))


def schema_translate_map(url: URL, schemas: Iterable[str]) -> dict[str | None, str | None] | None:
    """On SQLite, every schema maps to the one database file; elsewhere nothing changes."""
    names = list(schemas)
    if not is_sqlite(url) or not names:
        return None
    return {name: None for name in names}


def flatten_for(url: URL, metadata: MetaData) -> MetaData:
    """The models as the database holds them: on SQLite, the same tables without schemas."""
    if not is_sqlite(url) or not schemas_of(metadata):
        return metadata
    flat = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        # schema=None: the new MetaData's (none); BLANK_SCHEMA: referred tables lose theirs too.
        table.to_metadata(
            flat,
            schema=None,  # type: ignore[arg-type]
            referred_schema_fn=lambda *_: BLANK_SCHEMA,  # type: ignore[arg-type]
        )
    return flat


def _make_sqlite_transactional(sync_engine: Engine, begin: str, foreign_keys: bool) -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand BEGIN to us: pysqlite would otherwise commit before every DDL statement.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if foreign_keys:
            # SQLite ignores foreign keys (and their ON DELETE rules) unless asked, per connection.
            cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(SQLITE_BEGIN, begin))


def make_engine(
    url: URL,
    *,
    schemas: Iterable[str] = (),
    for_migrations: bool = False,
    **kwargs: Any,
) -> Any:
    """An engine for ``url``; async URLs give an AsyncEngine.

    ``for_migrations`` leaves SQLite's foreign-key enforcement off: batch mode rebuilds tables
    by copy-and-rename, which an enforcing connection would turn into cascading deletes.
    Every other connection enforces them.
    """
    options: dict[str, Any] = {"poolclass": NullPool, **kwargs}
    engine: Any
    if is_async(url):
        # Imported only for async URLs: the asyncio extension pulls in the ORM and greenlet.
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(url, **options)
        sync_engine = engine.sync_engine
    else:
        engine = sync_engine = create_engine(url, **options)
    if is_sqlite(url):
        _make_sqlite_transactional(sync_engine, "BEGIN", not for_migrations)
    translate = schema_translate_map(url, schemas)
    if translate:
        engine = engine.execution_options(schema_translate_map=translate)
    return engine
