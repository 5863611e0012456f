"""PostgreSQL clones made ahead and dropped behind, off the test's path.

``CREATE DATABASE … TEMPLATE`` and ``DROP DATABASE`` each cost tens of milliseconds on a busy
server (PostgreSQL copies and WAL-logs every page of the catalog, then syncs). A test needs
neither to wait: while it runs, one worker thread (with a connection of its own) creates the
next clone of the template it used, and drops the databases of tests that ended. A test that
asks for the same app and revision as the previous one then gets a database that is ready.

A clone made ahead and never asked for is dropped at :meth:`CloneWorker.close` (the end of
the test session). A drop that failed is raised there too, so a leaked database is reported.
"""

from __future__ import annotations

import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

CLONE_PREFIX = "netapps_test_"


def new_clone_name() -> str:
    return f"{CLONE_PREFIX}{uuid.uuid4().hex[:12]}"


def create_clone(conn: psycopg.Connection[Any], template: str) -> str:
    name = new_clone_name()
    conn.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    )
    return name


def drop_clone(conn: psycopg.Connection[Any], name: str) -> None:
    """Drop a clone, whoever is still connected to it (a test that left a connection)."""
    if not name.startswith(CLONE_PREFIX):
        raise ValueError(f"{name} is not a clone made by netapps.testing")
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class CloneWorker:
    """One thread that creates clones ahead (one per template) and drops them behind."""

    def __init__(self, connect: dict[str, Any]) -> None:
        self._connect = connect
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netapps-testdb")
        self._conn: psycopg.Connection[Any] | None = None  # the worker thread's only
        self._ready: dict[str, Future[str]] = {}
        self._drops: list[Future[None]] = []

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(**self._connect, autocommit=True)
        return self._conn

    def _create(self, template: str) -> str:
        return create_clone(self._connection(), template)

    def _drop(self, name: str) -> None:
        drop_clone(self._connection(), name)

    def take(self, template: str) -> str | None:
        """The clone made ahead for ``template`` (waiting for it if still in the making);
        None when there is none or making it failed (the caller makes one itself)."""
        made = self._ready.pop(template, None)
        if made is None:
            return None
        try:
            return made.result()
        except psycopg.Error:
            return None

    def prepare(self, template: str) -> None:
        """Start making the next clone of ``template``."""
        if template not in self._ready:
            self._ready[template] = self._pool.submit(self._create, template)

    def made_ahead(self) -> list[str]:
        """The clones made ahead and not yet used (waiting for those in the making)."""
        wait(list(self._ready.values()))
        return [f.result() for f in self._ready.values() if f.exception() is None]

    def drop(self, name: str) -> None:
        self._drops = [d for d in self._drops if not d.done() or d.exception() is not None]
        self._drops.append(self._pool.submit(self._drop, name))

    def flush(self) -> None:
        """Wait until every drop asked for so far is done; the first failure is raised."""
        wait(self._drops)
        drops, self._drops = self._drops, []
        for done in drops:
            done.result()

    def close(self) -> None:
        """Drop the clones made ahead and never used, finish the drops, stop the thread."""
        for template in list(self._ready):
            name = self.take(template)
            if name is not None:
                self.drop(name)
        try:
            self.flush()
        finally:
            self._pool.submit(self._close_connection).result()
            self._pool.shutdown()

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def clone_url(admin_url: URL, name: str) -> URL:
    return admin_url.set(drivername="postgresql+psycopg", database=name)
