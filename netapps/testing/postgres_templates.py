"""PostgreSQL templates: one database per key, cloned with ``CREATE DATABASE … TEMPLATE``.

A template is named ``netapps_tpl_<app>_<digest12>``. It is built under a session advisory
lock per app on the server (two test processes building it at once: one builds, the other
waits and finds it), in a database named ``…_partial`` that is renamed only once netapps'
migrate succeeded, then marked ``IS_TEMPLATE`` with ``ALLOW_CONNECTIONS false``: nobody can
connect to it, so cloning it never fails with "source database is being accessed by other
users". A build that failed or was killed leaves at most a ``…_partial`` database, dropped by
the next build of that app. Templates of the same app under other keys are dropped after a
build, the most recently built few kept (other checkouts may share the server).

A clone is ``CREATE DATABASE netapps_test_<random> TEMPLATE netapps_tpl_…``: PostgreSQL copies
the template's files, so the clone holds exactly its schema, data, version and ledger. By
default the next clone is made ahead and used ones are dropped behind, off the test's path
(netapps.testing.ahead).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from netapps.testing.ahead import CloneWorker, clone_url, create_clone, drop_clone
from netapps.testing.key import TemplateKey
from netapps.urls import mask

TEMPLATE_PREFIX = "netapps_tpl_"
PARTIAL_SUFFIX = "_partial"
#: Templates of one app kept on the server (the current one included).
KEEP = 3


def connect_args(url: URL, database: str | None = None) -> dict[str, Any]:
    """psycopg's keyword arguments for ``url`` (its database, or ``database``)."""
    args: dict[str, Any] = {
        "host": url.host or None,
        "port": url.port or None,
        "user": url.username or None,
        "password": url.password or None,
        "dbname": database or url.database or "postgres",
    }
    return {k: v for k, v in args.items() if v is not None}


def _lock_id(app: str) -> int:
    """A signed 64-bit advisory lock id for the app's templates."""
    digest = hashlib.sha256(f"netapps.testing template {app}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresTemplates:
    """The templates on one server, through its maintenance database (``admin_url``)."""

    def __init__(self, admin_url: URL, *, ahead: bool = True) -> None:
        self.admin_url = admin_url
        self._admin: psycopg.Connection[Any] | None = None
        #: Clones made ahead and dropped behind on a thread of their own (netapps.testing.ahead).
        self._worker = CloneWorker(connect_args(admin_url)) if ahead else None

    @property
    def shown(self) -> str:
        return mask(self.admin_url)

    @property
    def admin(self) -> psycopg.Connection[Any]:
        """One autocommit connection for the session: creating a database needs no other."""
        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(**connect_args(self.admin_url), autocommit=True)
        return self._admin

    def made_ahead(self) -> list[str]:
        """The clones made ahead and not used yet."""
        return self._worker.made_ahead() if self._worker is not None else []

    def flush(self) -> None:
        """Wait until the clones dropped so far are gone."""
        if self._worker is not None:
            self._worker.flush()

    def close(self) -> None:
        """Drop the clones made ahead and not used, wait for the drops, disconnect."""
        try:
            if self._worker is not None:
                self._worker.close()
                self._worker = None
        finally:
            if self._admin is not None:
                self._admin.close()
                self._admin = None

    def url(self, database: str) -> URL:
        return clone_url(self.admin_url, database)

    @staticmethod
    def name(key: TemplateKey) -> str:
        return f"{TEMPLATE_PREFIX}{key.app}_{key.short}"

    def _exists(self, name: str) -> bool:
        found = self.admin.execute(
            "SELECT datistemplate FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        return bool(found and found[0])

    @contextmanager
    def _app_lock(self, app: str) -> Iterator[None]:
        # On a connection of its own: the admin connection goes on cloning meanwhile.
        with psycopg.connect(**connect_args(self.admin_url), autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_lock_id(app),))
            yield  # closing the connection releases the lock, even if we die

    def ensure(self, key: TemplateKey, build: Callable[[URL], None]) -> str:
        """The template of ``key``'s name, built with ``build(url of an empty database)``."""
        name = self.name(key)
        if self._exists(name):
            return name
        with self._app_lock(key.app):
            if self._exists(name):  # another process built it while we waited
                return name
            partial = name + PARTIAL_SUFFIX
            self.drop(partial)
            self.drop(name)  # renamed but never marked: its builder died in between
            self.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(partial)))
            try:
                build(self.url(partial))
                self.admin.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(partial), sql.Identifier(name)
                    )
                )
            except BaseException:
                self.drop(partial)
                raise
            self.admin.execute(
                sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                    sql.Identifier(name)
                )
            )
            self._prune(key, name)
        return name

    def templates(self, app: str | None = None) -> list[str]:
        """Template (and partial) databases of ``app`` (every app by default), newest first."""
        literal = TEMPLATE_PREFIX + (f"{app}_" if app else "")
        rows = self.admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY oid DESC",
            (literal.replace("_", "\\_") + "%",),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def _prune(self, key: TemplateKey, current: str) -> None:
        """Keep the ``KEEP`` most recently built templates of the app (newest oid first);
        drop the rest and any partial build (we hold the app's lock: none is running). One
        that another process is cloning right now is left for next time."""
        others = [t for t in self.templates(key.app) if t != current]
        stale = [t for t in others if t.endswith(PARTIAL_SUFFIX)]
        finished = [t for t in others if not t.endswith(PARTIAL_SUFFIX)]
        for name in stale + finished[KEEP - 1 :]:
            try:
                self.drop(name)
            except psycopg.errors.ObjectInUse:  # being cloned: marked a template again
                self.admin.execute(
                    sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true").format(sql.Identifier(name))
                )

    def drop(self, name: str, *, force: bool = False) -> None:
        """Drop a database if it exists; a template is unmarked first (PostgreSQL refuses to
        drop one)."""
        exists = self.admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            return
        ident = sql.Identifier(name)
        self.admin.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(ident))
        option = sql.SQL(" WITH (FORCE)") if force else sql.SQL("")
        self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(ident, option))

    def clone(self, template: str) -> URL:
        """A new database copied from ``template``, named ``netapps_test_<random>``: the one
        made ahead when there is one, and the next one started."""
        name = self._worker.take(template) if self._worker is not None else None
        if name is None:
            name = create_clone(self.admin, template)
        if self._worker is not None:
            self._worker.prepare(template)
        return self.url(name)

    def drop_clone(self, url: URL) -> None:
        """Drop a clone (behind, on the worker thread, unless made without one)."""
        name = str(url.database)
        if self._worker is not None:
            self._worker.drop(name)
        else:
            drop_clone(self.admin, name)

    def clear(self, app: str | None = None) -> list[str]:
        """Drop every template (of ``app``, or of every app) of the server, partial builds
        included; the names dropped."""
        dropped = []
        for name in self.templates(app):
            self.drop(name, force=True)
            dropped.append(name)
        return dropped
