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

from netapps.engines.base import (
    BackupContents,
    DatabaseEngine,
    FastLocation,
    Owned,
    die_with_parent,
)
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


#: Every ordinary and partitioned table outside the system's schemas, as (schema, table,
#: visible through the search_path): what SQLAlchemy's inspector lists, in one query.
USER_TABLES_QUERY = (
    "SELECT n.nspname, c.relname, pg_catalog.pg_table_is_visible(c.oid) "
    "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' "
    "AND left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema' "
    "ORDER BY n.nspname, c.relname"
)


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
                    if conn.in_transaction():  # the drop failed (a lock time-out, say)
                        conn.rollback()
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
        # A tenant's schema holds all its tables (it is the search_path). Otherwise an app may
        # keep tables in schemas of its own (SAP: core, pm, mm, ...): every other schema is
        # looked at too, except the system's and those holding a version table or a ledger of
        # their own, which belong to another database's migrations (another tenant's schema).
        # One catalog query for every schema: a query per schema (SQLAlchemy's inspector)
        # took seconds in a database of a few hundred tenant schemas.
        rows = conn.exec_driver_sql(USER_TABLES_QUERY).all()
        visible = [name for _, name, is_visible in rows if is_visible and name not in ignore]
        found = list(dict.fromkeys(visible))
        if not target.schema:
            default = conn.exec_driver_sql("SELECT current_schema()").scalar()
            by_schema: dict[str, list[str]] = {}
            for schema, name, _ in rows:
                by_schema.setdefault(schema, []).append(name)
            for schema, names in by_schema.items():
                if schema == default or schema == "information_schema":
                    continue
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

    def identity(self, target: Target) -> str:
        url = target.url
        found = f"postgresql://{url.host or 'localhost'}:{url.port or 5432}/{url.database}"
        return f"{found}?schema={target.schema}" if target.schema else found

    def backup(self, target: Target, path: Path, owned: Owned, conn: Connection) -> bool:
        import shutil
        import subprocess

        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError(
                "pg_dump is not installed, so no backup can be made before migrating "
                "PostgreSQL; install postgresql-client, or pass --no-backup"
            )
        schemas, tables, foreign, default = _existing(conn, target, owned)
        if not schemas and not tables:
            return False
        args, env = _client_args(target.url)
        # The app's objects alone: its schemas, and the default schema without the relations
        # that are not the app's (pg_dump's -t would override -n, hence -T). What else the
        # default schema holds (functions, types) is left out of the restore (see _toc).
        only = [f"--schema={_pattern(s)}" for s in schemas]
        if tables:
            only += [f"--schema={_pattern(default)}"]
            only += [f"--exclude-table={_pattern(default)}.{_pattern(t)}" for t in foreign]
        done = subprocess.run(
            [pg_dump, "-Fc", "--no-owner", "-f", str(path), *args, *only, str(target.url.database)],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed, nothing was changed: {_first(done.stderr)}")
        return True

    def verify_backup(self, path: Path) -> str:
        listing = _listing(path)
        for line in listing.splitlines():
            if "Dumped by pg_dump version:" in line:
                return "pg_dump " + line.split(":", 1)[1].strip()
        return "pg_dump"

    def backup_contents(
        self, path: Path, version_table: str, version_column: str
    ) -> BackupContents:
        from netapps.settings import LEDGER_TABLE

        toc = _toc(path)
        tables = frozenset((schema, name) for kind, schema, name, _line in toc if kind == "TABLE")
        rows = _copied_rows(path, (version_table, LEDGER_TABLE))
        versions = tuple(str(r.get(version_column)) for r in rows.get(version_table, []))
        apps = frozenset(str(r.get("app")) for r in rows.get(LEDGER_TABLE, []))
        return BackupContents(tables, versions, apps)

    def restore(self, target: Target, path: Path, owned: Owned) -> None:
        """The dump becomes a SQL file that psql reads itself (never a stream that could end
        inside COPY data), run in one transaction with ON_ERROR_STOP after dropping the app's
        objects: psql dies with netapps, and the server rolls back a transaction whose
        connection is gone. Killed at any moment, the database is as before or restored."""
        import shutil
        import subprocess
        import tempfile

        pg_restore, psql = shutil.which("pg_restore"), shutil.which("psql")
        if pg_restore is None or psql is None:
            raise BackupError(
                "pg_restore and psql are needed to restore; install postgresql-client"
            )
        toc = _toc(path)
        args, env = _client_args(target.url)
        with tempfile.TemporaryDirectory(prefix="netapps-restore-") as folder:
            script, drop = Path(folder) / "restore.sql", Path(folder) / "drop.sql"
            chosen = Path(folder) / "entries.list"
            wanted = set(_restored(target, toc))
            chosen.write_text(
                "".join(line + "\n" for *entry, line in toc if tuple(entry) in wanted)
            )
            made = subprocess.run(
                [
                    *(pg_restore, "--no-owner", "--no-privileges", "-L", str(chosen)),
                    *("-f", str(script), str(path)),
                ],
                env=env,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
            if made.returncode != 0:
                raise BackupError(
                    f"pg_restore could not read {path}, nothing changed: {_first(made.stderr)}"
                )
            drop.write_text(_drop_sql(target, owned, sorted(wanted)))
            done = subprocess.run(
                [
                    *(psql, "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1", *args),
                    *("-d", str(target.url.database), "-f", str(drop), "-f", str(script)),
                ],
                env=env,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
        if done.returncode != 0:
            raise BackupError(
                f"restore failed and was rolled back, nothing changed: {_first(done.stderr)}"
            )

    @classmethod
    def fast_location(
        cls, text: str, folder: Path, password: str | None, schema: str | None
    ) -> FastLocation:
        text = text.strip()
        parts = urlsplit(text)
        netloc = parts.netloc
        if (
            # libpq (and asyncpg) read PGHOST, PGPORT, PGDATABASE, PGSERVICE …: the full path
            # may then reach another server or database than the URL alone says.
            any(name.startswith("PG") for name in os.environ)
            or not text.startswith(f"{parts.scheme}://")  # SQLAlchemy's scheme, not urlsplit's
            or netloc.count("@") > 1  # SQLAlchemy and urlsplit split these differently
            or not parts.hostname  # no host: a socket, or PGHOST, not localhost
            or parts.password == ""  # an empty password: password_env does not fill it in
            or "%" in parts.path  # SQLAlchemy does not decode the database name
            or "%" in (parts.username or "")
            or "%" in (parts.hostname or "")
            or parts.hostname != netloc.rpartition("@")[2].rsplit(":", 1)[0].strip("[]")
            or not parts.path.lstrip("/")
        ):
            raise ValueError(text)
        given = unquote(parts.password) if parts.password else None
        password = given or password
        user = unquote(parts.username or "")
        host = parts.hostname
        port = parts.port or 5432
        database = parts.path.lstrip("/")
        shown_user = f"{user}:***@" if password else (f"{user}@" if user else "")
        # As SQLAlchemy renders the URL: host and port as written.
        display = f"{parts.scheme}://{shown_user}{netloc.rpartition('@')[2]}/{database}"
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


def _pattern(name: str) -> str:
    """A name as a pg_dump pattern that matches it and nothing else (no wildcards)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _existing(
    conn: Connection, target: Target, owned: Owned
) -> tuple[list[str], list[str], list[str], str]:
    """Which of ``owned`` (or the tenant's schema) exist now, the relations of the default
    schema that are not the app's, and the default schema."""
    present = set(conn.exec_driver_sql("SELECT nspname FROM pg_namespace").scalars())
    default = str(conn.exec_driver_sql("SELECT current_schema()").scalar() or "public")
    if target.schema:
        conn.commit()
        return ([target.schema] if target.schema in present else []), [], [], default
    rows = conn.exec_driver_sql(
        "SELECT c.relname, c.relkind, owner.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid "
        "  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "  AND c.relkind = 'S' "
        "LEFT JOIN pg_class owner ON owner.oid = d.refobjid "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
    ).all()
    conn.commit()
    mine = set(owned.tables)
    tables = sorted({name for name, kind, _o in rows if kind != "S" and name in mine})
    foreign = sorted(
        {name for name, _k, of in rows if name not in mine and (of is None or of not in mine)}
    )
    schemas = [s for s in owned.schemas if s in present and s != default]
    return schemas, tables, foreign, default


#: What a dump may hold in the default schema that belongs to one of the app's tables; other
#: entries there (the schema itself, functions, types, extensions) are never restored.
_TABLE_KINDS = frozenset(
    {
        "TABLE",
        "TABLE DATA",
        "SEQUENCE",
        "SEQUENCE SET",
        "SEQUENCE OWNED BY",
        "DEFAULT",
        "CONSTRAINT",
        "FK CONSTRAINT",
        "CHECK CONSTRAINT",
        "INDEX",
        "TRIGGER",
        "VIEW",
        "MATERIALIZED VIEW",
        "MATERIALIZED VIEW DATA",
        "RULE",
        "POLICY",
        "ROW SECURITY",
    }
)
_MULTI_WORD = sorted(
    (k for k in (*_TABLE_KINDS, "DEFAULT ACL", "EVENT TRIGGER", "FOREIGN TABLE") if " " in k),
    key=len,
    reverse=True,
)


def _entry(line: str) -> tuple[str, str, str] | None:
    """(kind, schema, name) of one line of ``pg_restore --list``; None for a comment."""
    if line.startswith(";") or ";" not in line:
        return None
    rest = line.split(";", 1)[1].split(None, 2)
    if len(rest) < 3:
        return None
    text = rest[2]
    kind = next((k for k in _MULTI_WORD if text.startswith(k + " ")), text.split(" ", 1)[0])
    words = text[len(kind) :].split()
    if len(words) < 2:
        return None
    return kind, words[0], words[1]


def _toc(path: Path) -> list[tuple[str, str, str, str]]:
    """(kind, schema, name, line) of each entry of a dump; BackupError when ``pg_restore
    --list`` cannot read it."""
    found = []
    for line in _listing(path).splitlines():
        entry = _entry(line)
        if entry is not None:
            found.append((*entry, line))
    return found


def _copied_rows(path: Path, tables: tuple[str, ...]) -> dict[str, list[dict[str, str | None]]]:
    """The rows a dump holds for ``tables`` (by name, in any schema), read from the COPY
    data ``pg_restore --data-only`` writes: {table: [{column: value}]}."""
    import re
    import shutil
    import subprocess

    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupError("pg_restore is needed to check a backup; install postgresql-client")
    selected = [arg for table in tables for arg in ("-t", table)]
    done = subprocess.run(
        [pg_restore, "--data-only", *selected, "-f", "-", str(path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    if done.returncode != 0:
        raise BackupError(f"{path} is not a readable pg_dump backup: {_first(done.stderr)}")
    header = re.compile(r"^COPY (\S+) \((.*)\) FROM stdin;$")
    found: dict[str, list[dict[str, str | None]]] = {}
    columns: list[str] | None = None
    rows: list[dict[str, str | None]] = []
    for line in done.stdout.splitlines():
        if columns is None:
            match = header.match(line)
            if match:
                table = match.group(1).rsplit(".", 1)[-1].strip('"')
                columns = [c.strip().strip('"') for c in match.group(2).split(",")]
                rows = found.setdefault(table, [])
        elif line == "\\.":
            columns = None
        else:
            values = [None if v == "\\N" else _copy_text(v) for v in line.split("\t")]
            rows.append(dict(zip(columns, values, strict=False)))
    return found


def _copy_text(value: str) -> str:
    """A value of COPY's text format, its backslash escapes undone."""
    import re

    escapes = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), value)


def _listing(path: Path) -> str:
    """``pg_restore --list`` of a dump; BackupError when it cannot read it."""
    import shutil
    import subprocess

    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupError("pg_restore is needed to check a backup; install postgresql-client")
    done = subprocess.run(
        [pg_restore, "--list", str(path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    if done.returncode != 0:
        raise BackupError(f"{path} is not a readable pg_dump backup: {_first(done.stderr)}")
    return done.stdout


def _restored(target: Target, toc: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str]]:
    """The entries a restore replaces: a tenant's schema's; else everything in the app's own
    schemas, and what belongs to its tables in the default schema."""
    kept = []
    for kind, schema, name, _line in toc:
        if target.schema:
            keep = schema == target.schema or (kind == "SCHEMA" and name == target.schema)
        elif schema == "-":
            keep = kind == "SCHEMA" and name != "public"
        elif schema == "public":
            keep = kind in _TABLE_KINDS
        else:
            keep = True
        if keep:
            kept.append((kind, schema, name))
    return kept


def _drop_sql(target: Target, owned: Owned, toc: list[tuple[str, str, str]]) -> str:
    """What the restore replaces, dropped in its transaction: a tenant's schema; else the
    app's schemas and its tables in the default schema (those it owns now, and those the
    backup holds). Nothing else in the database is touched."""
    if target.schema:
        return f"DROP SCHEMA IF EXISTS {_ident(target.schema)} CASCADE;\n"
    schemas = set(owned.schemas) | {name for kind, _s, name in toc if kind == "SCHEMA"}
    schemas |= {schema for kind, schema, _n in toc if kind != "SCHEMA" and schema != "public"}
    schemas -= {"public", "information_schema", "-"}
    lines = [
        f"DROP SCHEMA IF EXISTS {_ident(s)} CASCADE;"
        for s in sorted(schemas)
        if not s.startswith("pg_")
    ]
    names = set(owned.tables) | {
        name for kind, schema, name in toc if schema == "public" and kind in ("TABLE", "VIEW")
    }
    if names:
        array = ", ".join(_literal(n) for n in sorted(names))
        lines.append(
            "DO $netapps$ DECLARE item record; BEGIN\n"
            "  FOR item IN SELECT c.relname, c.relkind FROM pg_class c\n"
            "      JOIN pg_namespace n ON n.oid = c.relnamespace\n"
            f"      WHERE n.nspname = current_schema() AND c.relname = ANY (ARRAY[{array}])\n"
            "      AND c.relkind IN ('r', 'p', 'v', 'm', 'S') LOOP\n"
            "    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE', CASE item.relkind\n"
            "      WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'\n"
            "      WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, current_schema(), item.relname);\n"
            "  END LOOP;\n"
            "END $netapps$;"
        )
    return "\n".join(lines) + "\n"
