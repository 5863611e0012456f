"""The one place the services use netapps: which database an app has, engines on it, where
its migrations stand, and migrating it.

Kept in one small module so that netapps can be redesigned and this re-pointed without
touching the services.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from appdb.engine import SQLITE_BEGIN, make_engine, schemas_of
from netapps.config import load_project
from netapps.sources import sql_runner
from netapps.sources.revisions import heads_of, read_alembic_folder
from netapps.sources.sql_files import discover
from netapps.urls import mask

#: The async driver of each dialect: the services run on asyncio.
_ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}

#: Execution option value that makes a SQLite transaction take the write lock at BEGIN.
SQLITE_BEGIN_IMMEDIATE = {SQLITE_BEGIN: "BEGIN IMMEDIATE"}


@dataclass(frozen=True)
class AppDatabase:
    """An app's database as the service uses it."""

    app: str
    url: URL
    folder: Path
    schemas: tuple[str, ...]
    #: How its migrations are kept: "alembic" (alembic_version) or "sql" (numbered SQL files
    #: recorded in schema_version).
    kind: str = "alembic"

    @property
    def display_url(self) -> str:
        """The URL with its password masked: the only form that is ever printed or logged."""
        return mask(self.url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def app_database(app: str, metadata: MetaData) -> AppDatabase:
    """The database netapps.toml and the environment (``SAP_DATABASE_URL`` …) give ``app``,
    with its driver switched to the asyncio one."""
    project = load_project()
    target = project.target(project.find(app))
    backend = target.url.get_backend_name()
    driver = _ASYNC_DRIVERS.get(backend)
    url = target.url.set(drivername=f"{backend}+{driver}") if driver else target.url
    return AppDatabase(app, url, target.app.folder, schemas_of(metadata), target.app.kind)


def create_engine(database: AppDatabase, **options: Any) -> AsyncEngine:
    """An async engine on the app's database, SAP's PostgreSQL schemas mapped away on SQLite
    exactly as the migrations do."""
    engine: AsyncEngine = make_engine(database.url, schemas=database.schemas, **options)
    return engine


def expected_heads(database: AppDatabase) -> tuple[str, ...]:
    """The head revision(s) of the migration files this code ships with, read as text: the
    Alembic heads, or the newest SQL file's version (netapps' own readers, for both)."""
    if database.kind == "sql":
        migrations = discover(database.folder / "migrations", database.url.get_backend_name())
        return (migrations[-1].version,) if migrations else ()
    return heads_of(read_alembic_folder(database.folder / "alembic" / "versions", ids_only=True))


async def current_revisions(
    engine: AsyncEngine, database: AppDatabase | None = None
) -> tuple[str, ...] | None:
    """The revisions the database is at; None when it was never migrated. ``database``
    tells an SQL-kind app (its ``schema_version``) from an Alembic one (the default)."""
    async with engine.connect() as conn:
        if database is not None and database.kind == "sql":
            try:
                version = await conn.run_sync(sql_runner.current_version)
            except Exception:  # an unreadable version table: as never migrated
                return None
            return (version,) if version else None
        try:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        except Exception:  # no version table: never migrated
            return None
        return tuple(sorted(r[0] for r in rows))


def behind_message(
    database: AppDatabase, current: tuple[str, ...] | None, heads: tuple[str, ...]
) -> str:
    at = ", ".join(current) if current else "no revision"
    return (
        f"{database.app}: the database {database.display_url} is at {at}, this code needs "
        f"{', '.join(heads)}; run `netapps migrate {database.app}` "
        "(or start with MIGRATE_ON_START=1)"
    )


def migrate(app: str) -> tuple[int, str]:
    """``netapps migrate APP`` in this process, under netapps' migration lock.

    Returns (exit code, what netapps printed). Must not run inside an event loop (netapps
    drives async URLs with asyncio.run); the services call it in a worker thread.
    """
    from netapps.entry import main

    out = io.StringIO()
    with redirect_stdout(out):
        try:
            code = main(["migrate", app])
        except SystemExit as exc:  # the full CLI exits rather than returns on some errors
            code = int(exc.code or 0)
    return code, out.getvalue()


def migrate_all() -> int:
    """``netapps migrate`` for every app, its progress shown; the exit code.

    One database after the other, in this process: a Ctrl-C then reaches ``make run`` alone
    (netapps answers 130), where worker processes would each print a KeyboardInterrupt."""
    from netapps.entry import main

    try:
        return main(["migrate", "--parallel", "1"])
    except SystemExit as exc:
        return int(exc.code or 0)
