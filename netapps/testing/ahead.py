"""PostgreSQL clones made ahead and dropped behind, off the test's path.

``CREATE DATABASE … TEMPLATE`` and ``DROP DATABASE`` each cost tens of milliseconds on a busy
server (PostgreSQL copies and WAL-logs every page of the catalog, then syncs). A test needs
neither to wait: while it runs, a worker thread (with a connection of its own) creates the
next clone of the template it used, and another drops the databases of tests that ended (in
PostgreSQL 15 a drop forces a checkpoint: hundreds of milliseconds on a busy server). A test that
asks for the same app and revision as the previous one then gets a database that is ready.

A clone made ahead and never asked for is dropped at :meth:`CloneWorker.close` (the end of
the test session). A drop that failed is raised there too, so a leaked database is reported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

CLONE_PREFIX = "netapps_test_"
T = TypeVar("T")


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


class _Lane:
    """One thread with one connection of its own: its tasks run one after the other."""

    def __init__(self, connect: dict[str, Any], name: str) -> None:
        self._connect = connect
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"netapps-testdb-{name}")
        self._conn: psycopg.Connection[Any] | None = None  # used on the lane's thread only

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(**self._connect, autocommit=True)
        return self._conn

    def submit(self, work: Callable[[psycopg.Connection[Any]], T]) -> Future[T]:
        return self._pool.submit(lambda: work(self._connection()))

    def close(self) -> None:
        self._pool.submit(self._disconnect).result()
        self._pool.shutdown()

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class CloneWorker:
    """Clones made ahead (one per template) on one thread, dropped behind on another: a drop
    (a checkpoint in PostgreSQL 15, slow on a busy server) never delays the next clone."""

    def __init__(self, connect: dict[str, Any]) -> None:
        self._maker = _Lane(connect, "ahead")
        self._dropper = _Lane(connect, "behind")
        self._ready: dict[str, Future[str]] = {}
        self._drops: list[Future[None]] = []

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
            self._ready[template] = self._maker.submit(lambda conn: create_clone(conn, template))

    def made_ahead(self) -> list[str]:
        """The clones made ahead and not yet used (waiting for those in the making)."""
        wait(list(self._ready.values()))
        return [f.result() for f in self._ready.values() if f.exception() is None]

    def drop(self, name: str) -> None:
        self._drops = [d for d in self._drops if not d.done() or d.exception() is not None]
        self._drops.append(self._dropper.submit(lambda conn: drop_clone(conn, name)))

    def flush(self) -> None:
        """Wait until every drop asked for so far is done; the first failure is raised."""
        wait(self._drops)
        drops, self._drops = self._drops, []
        for done in drops:
            done.result()

    def close(self) -> None:
        """Drop the clones made ahead and never used, finish the drops, stop the threads."""
        for template in list(self._ready):
            name = self.take(template)
            if name is not None:
                self.drop(name)
        try:
            self.flush()
        finally:
            self._maker.close()
            self._dropper.close()


def clone_url(admin_url: URL, name: str) -> URL:
    return admin_url.set(drivername="postgresql+psycopg", database=name)
