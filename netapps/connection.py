"""The one connection opener: every command, and Alembic's env.py, connects through
:func:`run_on_target`, which checks the driver, prepares the connection for the target (a
tenant's schema) through its engine, and words a failure to connect as one line with the
password masked. Sync and async drivers alike: the work always gets a sync Connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import URL

from appdb.engine import is_async, make_engine
from netapps.config import Target
from netapps.errors import NetappsError, UnreachableError
from netapps.urls import check_driver

T = TypeVar("T")


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

    engine = target.engine

    def run(connection: Connection) -> T:
        nonlocal started
        started = True
        engine.prepare(connection, target, for_migrations=for_migrations)
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


def first_line(exc: BaseException) -> str:
    lines = [line for line in str(getattr(exc, "orig", None) or exc).splitlines() if line.strip()]
    return lines[0].strip() if lines else type(exc).__name__


def scrub(message: str, url: URL) -> str:
    """Never let a password reach the screen, even inside a driver's error message."""
    from netapps.urls import secrets

    for secret in secrets(url):
        message = message.replace(secret, "***")
    return message
