"""The database session: one async engine per service, a session per request.

Two kinds of session. A write session on SQLite takes the write lock when it begins (BEGIN
IMMEDIATE): two writers that both read first and then write would otherwise deadlock, and
SQLite would fail one at once with "database is locked" instead of letting it wait. A read
session on PostgreSQL runs in autocommit: a read route's statements change nothing, so the
BEGIN and ROLLBACK around them would be two round trips for nothing (a page and its count
may then see different moments, which a listing tolerates).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool

from servicekit.migrations import SQLITE_BEGIN_IMMEDIATE, AppDatabase, create_engine


class Database:
    """A service's engine and its two session factories."""

    def __init__(
        self, database: AppDatabase, pool_size: int, session_info: Mapping[str, Any] | None = None
    ):
        self.info = database
        self.engine: AsyncEngine = create_engine(
            database,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
        )
        reader_engine = (
            self.engine
            if database.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.reader = async_sessionmaker(reader_engine, expire_on_commit=False)
        writer_engine = (
            self.engine.execution_options(**SQLITE_BEGIN_IMMEDIATE)
            if database.is_sqlite
            else self.engine
        )
        #: What every write session carries in ``session.info`` (the service's outbox, so
        #: that a rule deep in a service function can send a message in its transaction).
        self.writer = async_sessionmaker(
            writer_engine, expire_on_commit=False, info=dict(session_info or {})
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


def database_of(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).reader() as session:
        yield session


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed by the route (``await session.commit()``); anything
    not committed, because the route failed half-way, is rolled back when it closes."""
    async with database_of(request).writer() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session)]
WriteSession = Annotated[AsyncSession, Depends(write_session)]
