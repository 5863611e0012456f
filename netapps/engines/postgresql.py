"""PostgreSQL: a database, or one schema per tenant inside one.

The migration lock is a session-level advisory lock, held on the one connection that runs the
whole migration (an advisory lock belongs to its session, so it must not hop connections).
A tenant's tables, version table and ledger live in its schema, reached through search_path.
Backups are ``pg_dump -Fc`` (the password goes through the environment, never the command
line); a restore runs in one psql transaction.
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from netapps.engines.base import DatabaseEngine, FastLocation
from netapps.errors import BackupError, LockTimeout

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import URL

    from netapps.config import Target
    from netapps.settings import Timeouts

_POLL_SECONDS = 0.1
#: SQLSTATE of a statement cancelled by lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"


def advisory_key(name: str) -> int:
    """A stable 63-bit key per app and tenant (advisory locks are scoped to the database)."""
    return zlib.crc32(f"netapps:{name}".encode()) | (0x4E41 << 32)


def quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote_identifier(name))


class PostgresEngine(DatabaseEngine):
    name = "postgresql"
    backup_suffix = ".dump"
    fast_schemes = frozenset(
        {
            "postgresql",
            "postgresql+psycopg",
            "postgresql+psycopg2",
            "postgresql+asyncpg",
            "postgresql+psycopg_async",
        }
    )
    fast_placeholder = "%s"

    def prepare(self, conn: Connection, target: Target, *, for_migrations: bool) -> None:
        if for_migrations:
            # Who is migrating, for whoever looks at pg_stat_activity (and lock_blockers).
            conn.exec_driver_sql("SET application_name = 'netapps migrate'")
            conn.commit()
        if not target.schema:
            return
        # A tenant's tables, its version table and its ledger all live in its schema
        # (unqualified names resolve through search_path).
        schema = quote(conn, target.schema)
        if for_migrations:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.exec_driver_sql(f"SET search_path TO {schema}")
        conn.commit()

    def set_timeouts(self, conn: Connection, timeouts: Timeouts) -> None:
        # Session-wide on the one connection that runs the whole migration: every statement
        # of every migration gets them, and the session ends with the run.
        conn.exec_driver_sql(f"SET lock_timeout = {int(timeouts.ddl_lock_timeout * 1000)}")
        conn.exec_driver_sql(f"SET statement_timeout = {int(timeouts.statement_timeout * 1000)}")
        conn.commit()

    def is_lock_timeout(self, exc: BaseException) -> bool:
        seen: BaseException | None = exc
        while seen is not None:
            for candidate in (seen, getattr(seen, "orig", None)):
                if getattr(candidate, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                    return True
            seen = seen.__cause__ or seen.__context__
        return False

    def drop_invalid_indexes(
        self, conn: Connection, indexes: list[tuple[str | None, str]]
    ) -> list[str]:
        from sqlalchemy import text

        invalid = text(
            "SELECT n.nspname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT i.indisvalid AND c.relname = :name AND CASE WHEN :schema = '' "
            "THEN n.nspname = ANY (current_schemas(false)) ELSE n.nspname = :schema END"
        )
        dropped: list[str] = []
        for schema, name in indexes:
            found = conn.execute(invalid, {"name": name, "schema": schema or ""}).scalars().all()
            conn.commit()
            for namespace in found:
                qualified = f"{quote(conn, namespace)}.{quote(conn, name)}"
                # DROP INDEX CONCURRENTLY cannot run inside a transaction.
                level = conn.get_isolation_level()
                conn.execution_options(isolation_level="AUTOCOMMIT")
                try:
                    conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {qualified}")
                    conn.commit()  # autocommitted; this ends SQLAlchemy's record of it
                finally:
                    conn.execution_options(isolation_level=level)
                dropped.append(f"{namespace}.{name}")
        return dropped

    def lock_blockers(self, conn: Connection, target: Target) -> str:
        """The oldest other transaction holding a table lock in this database."""
        if conn.in_transaction():
            conn.rollback()
        row = conn.exec_driver_sql(
            "SELECT a.pid, a.application_name, a.usename, a.state, "
            "extract(epoch FROM now() - a.xact_start) AS age "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.granted AND l.locktype = 'relation' AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL "
            "ORDER BY a.xact_start LIMIT 1"
        ).first()
        conn.commit()
        if row is None:
            return ""
        return (
            f"PostgreSQL pid {row.pid} (application '{row.application_name}', user "
            f"{row.usename}, {row.state}), its transaction open for {float(row.age):.0f} s"
        )

    def lock(
        self, conn: Connection, target: Target, timeout: float
    ) -> AbstractContextManager[None]:
        # One lock per app and tenant: tenants in other schemas migrate side by side.
        return advisory_lock(conn, target.name, timeout)

    def user_tables(self, conn: Connection, target: Target, ignore: set[str]) -> tuple[str, ...]:
        from sqlalchemy import inspect

        inspector = inspect(conn)
        # A tenant's schema holds all its tables (it is the search_path). Otherwise an app may
        # keep tables in schemas of its own (SAP: core, pm, mm, ...): every other schema is
        # looked at too, except the system's and those holding a version table or a ledger of
        # their own, which belong to another database's migrations (another tenant's schema).
        found = [n for n in inspector.get_table_names() if n not in ignore]
        if not target.schema:
            default = inspector.default_schema_name
            for schema in inspector.get_schema_names():
                if schema == default or schema == "information_schema" or schema.startswith("pg_"):
                    continue
                names = inspector.get_table_names(schema=schema)
                if not ignore.intersection(names):
                    found += [f"{schema}.{n}" for n in names]
        if conn.in_transaction():
            conn.commit()
        return tuple(found)

    def widen_version_column(self, conn: Connection, table: str, column: str, length: int) -> None:
        conn.exec_driver_sql(
            f"ALTER TABLE {quote(conn, table)} ALTER COLUMN {quote(conn, column)} "
            f"TYPE VARCHAR({int(length)})"
        )

    def backup(self, target: Target, path: Path) -> bool:
        import shutil
        import subprocess

        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError(
                "pg_dump is not installed, so no backup can be made before migrating "
                "PostgreSQL; install postgresql-client, or pass --no-backup"
            )
        args, env = _client_args(target.url)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        only = ["--schema", target.schema] if target.schema else []  # a tenant alone
        done = subprocess.run(
            [pg_dump, "-Fc", "--no-owner", "-f", str(path), *args, *only, str(target.url.database)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            path.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed, nothing was migrated: {_first(done.stderr)}")
        return True

    def restore(self, target: Target, path: Path) -> None:
        """Replace the database's contents with the dump's, all in one transaction: a
        failure leaves the database exactly as it was."""
        import shutil
        import subprocess

        pg_restore, psql = shutil.which("pg_restore"), shutil.which("psql")
        if pg_restore is None or psql is None:
            raise BackupError(
                "pg_restore and psql are needed to restore; install postgresql-client"
            )
        args, env = _client_args(target.url)
        script = subprocess.run(
            [pg_restore, "--no-owner", "--no-privileges", "-f", "-", str(path)],
            env=env,
            capture_output=True,
            text=True,
        )
        if script.returncode != 0:
            raise BackupError(f"pg_restore could not read {path}: {_first(script.stderr)}")
        single = ["-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1"]
        done = subprocess.run(
            [psql, *single, *args, "-d", str(target.url.database)],
            # A tenant's backup holds its schema only: replace that schema, nothing else.
            input=(_drop_schema_sql(target.schema) if target.schema else _DROP_EVERYTHING)
            + script.stdout,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(
                f"restore failed and was rolled back, nothing changed: {_first(done.stderr)}"
            )

    @classmethod
    def fast_location(
        cls, text: str, folder: Path, password: str | None, schema: str | None
    ) -> FastLocation:
        parts = urlsplit(text.strip())
        given = unquote(parts.password) if parts.password else None
        password = given or password
        user = unquote(parts.username or "")
        host = parts.hostname or "localhost"
        port = parts.port or 5432
        database = unquote(parts.path.lstrip("/"))
        shown_user = f"{user}:***@" if password else (f"{user}@" if user else "")
        display = f"{parts.scheme}://{shown_user}{host}:{port}/{database}"
        if schema:
            display += f" (schema {schema})"
        conninfo: dict[str, Any] = {"host": host, "port": port, "user": user or None}
        conninfo["dbname"] = database
        if password:
            conninfo["password"] = password
        return FastLocation(display, conninfo)

    @classmethod
    def fast_connect(cls, location: FastLocation) -> Any:
        import psycopg  # the plain driver, only for PostgreSQL databases

        return psycopg.connect(connect_timeout=5, autocommit=True, **location.connect)


@contextmanager
def advisory_lock(conn: Connection, name: str, timeout: float) -> Iterator[None]:
    key = advisory_key(name)  # an integer of ours: safe to write into the SQL
    deadline = time.monotonic() + timeout
    while True:
        got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
        conn.commit()
        if got:
            break
        if time.monotonic() >= deadline:
            raise LockTimeout(
                f"{name}: another migrator holds the migration lock ({_holder(conn, key)}) and "
                f"did not release it within {timeout:g} s; wait for it, or raise --lock-timeout"
            )
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
        conn.commit()


def _holder(conn: Connection, key: int) -> str:
    row = conn.exec_driver_sql(
        "SELECT a.pid, a.usename, a.client_addr, a.application_name, a.backend_start "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted "
        f"AND l.classid = {key >> 32} AND l.objid = {key & 0xFFFFFFFF}"
    ).first()
    conn.commit()
    if row is None:
        return "holder unknown"
    return (
        f"PostgreSQL pid {row.pid}, user {row.usename}, from {row.client_addr or 'local socket'}, "
        f"application '{row.application_name}', since {row.backend_start:%Y-%m-%d %H:%M:%S}"
    )


def _client_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432)]
    if url.username:
        args += ["-U", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _first(stderr: str) -> str:
    return (stderr.strip().splitlines() or ["no message"])[0]


# Everything the app's database holds, dropped in the same transaction as the restore, so that
# objects created after the backup (which --clean would not know of) cannot block it.
_DROP_EVERYTHING = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT nspname FROM pg_namespace
      WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', item.nspname);
  END LOOP;
  FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', item.tablename);
  END LOOP;
  FOR item IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', item.sequencename);
  END LOOP;
END $$;
"""


def _drop_schema_sql(schema: str) -> str:
    return 'DROP SCHEMA IF EXISTS "' + schema.replace('"', '""') + '" CASCADE;\n'
