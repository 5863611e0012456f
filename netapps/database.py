"""Engines and connections, the same way for every app, sync or async, SQLite or PostgreSQL.

Two things are easy to get wrong and are done here once:

* pysqlite does not run DDL inside a transaction (it commits before it). We take control of
  BEGIN, as SQLAlchemy's documentation shows, so that a migration that fails or is killed on
  SQLite leaves no half-applied schema.
* SQLite has no schemas. An app whose models use schemas (SAP: core, pm, mm, fi, pm_workflow)
  gets them translated away on SQLite: every table lives in the one file under its own name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import BLANK_SCHEMA

from netapps.config import Target
from netapps.errors import NetappsError, UnreachableError
from netapps.urls import check_driver, is_async, is_sqlite

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option: how a transaction begins on SQLite ("BEGIN" or "BEGIN IMMEDIATE").
SQLITE_BEGIN = "netapps_sqlite_begin"


def write_transactions(connection: Connection) -> None:
    """From now on this SQLite connection takes the write lock when a transaction begins, so
    two writers queue at BEGIN instead of failing half-way with "database is locked". Taken
    only while holding the migration lock: reads before it must not block behind a migrator."""
    if connection.dialect.name == "sqlite":
        connection.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})


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


def run_with_connection(
    url: URL,
    work: Callable[[Connection], T],
    *,
    schemas: Iterable[str] = (),
    for_migrations: bool = False,
) -> T:
    """Run ``work`` with one synchronous Connection, whether the URL's driver is sync or async.

    One code path for both: with an async driver the work runs inside ``run_sync`` on the
    async connection, which hands it the same Connection API.
    """
    engine = make_engine(url, schemas=schemas, for_migrations=for_migrations)
    if is_async(url):
        return asyncio.run(_run_async(engine, work))
    try:
        with engine.connect() as connection:
            return work(connection)
    finally:
        engine.dispose()


async def _run_async(engine: Any, work: Callable[[Connection], T]) -> T:
    try:
        async with engine.connect() as connection:
            result: T = await connection.run_sync(work)
            return result
    finally:
        await engine.dispose()


def run_on_target(
    target: Target,
    work: Callable[[Connection], T],
    *,
    schemas: Iterable[str] = (),
    for_migrations: bool = False,
) -> T:
    """:func:`run_with_connection` for an app's database, with failures to connect turned
    into one line that names the app and the masked URL."""
    check_driver(target.url, app=target.app.name)
    started = False

    def run(connection: Connection) -> T:
        nonlocal started
        started = True
        if target.schema:
            use_schema(connection, target.schema, create=for_migrations)
        return work(connection)

    try:
        return run_with_connection(target.url, run, schemas=schemas, for_migrations=for_migrations)
    except NetappsError:
        raise
    except Exception as exc:
        if started:
            raise
        raise UnreachableError(
            f"{target.name}: cannot connect to {target.display_url}: "
            f"{scrub(first_line(exc), target.url)}; check that the server runs and the "
            "credentials are right"
        ) from exc


def use_schema(connection: Connection, schema: str, *, create: bool) -> None:
    """Point this session at a tenant's PostgreSQL schema: its tables, its version table and
    its ledger all live there (unqualified names resolve through search_path)."""
    quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
    if create:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
    connection.exec_driver_sql(f"SET search_path TO {quoted}")
    connection.commit()


def first_line(exc: BaseException) -> str:
    lines = [line for line in str(getattr(exc, "orig", None) or exc).splitlines() if line.strip()]
    return lines[0].strip() if lines else type(exc).__name__


def scrub(message: str, url: URL) -> str:
    """Never let a password reach the screen, even inside a driver's error message."""
    if url.password:
        message = message.replace(str(url.password), "***")
    return message
