"""The no-op answered in milliseconds: ``netapps migrate`` / ``status`` when every database
is already at head.

Most runs of ``migrate`` (every container start, every deploy) find nothing to do. Importing
SQLAlchemy and Alembic alone costs about half a second, so this module answers that case with
the standard library, the plain database driver and Rich: heads come from the migration files
read as text (netapps.revisions, netapps.sql_files), the version and the ledger from one
query each. Nothing is cached, so nothing can be stale.

It only ever answers "up to date". Whenever anything else is true, or anything is unusual
(a command-line option it does not know, a URL it does not parse, a missing database file,
an edited migration, a driver error), it returns None and the full implementation runs and
gives the real answer. The fast path can therefore be slower to give up, never wrong.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from netapps import revisions, sql_files
from netapps.tenants import read_tenants

LEDGER = "netapps_migration_log"
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
_POSTGRES_SCHEMES = {
    "postgresql",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+asyncpg",
    "postgresql+psycopg_async",
}


class GiveUp(Exception):
    """Not a case for the fast path: let the full implementation answer."""


@dataclass(frozen=True)
class Request:
    command: str
    names: list[str]
    environment: str | None
    json_output: bool
    app_folder: Path | None
    expand: bool = False


def parse_args(argv: list[str]) -> Request:
    args = list(argv)
    environment = None
    while args and args[0].startswith("-"):
        if args[0] == "--env" and len(args) > 1:
            environment, args = args[1], args[2:]
        else:
            raise GiveUp
    if not args or args[0] not in ("migrate", "status"):
        raise GiveUp
    command, rest = args[0], args[1:]
    names: list[str] = []
    json_output = False
    app_folder = None
    ignored_flags = {"--no-backup", "--allow-destructive", "--exit-code"}
    expand = False
    # Options that take a value and do not change a no-op's answer.
    valued_flags = {"--lock-timeout"} if command == "migrate" else set()
    while rest:
        item = rest.pop(0)
        if item == "--json":
            json_output = True
        elif item == "--tenants" and command == "status":
            expand = True
        elif item in ignored_flags:
            continue  # nothing runs, so none of these changes the answer
        elif (item in valued_flags and rest) or (
            item == "--to" and command == "migrate" and rest and rest[0] in ("head", "heads")
        ):
            rest.pop(0)
        elif item == "--app-folder" and command == "migrate" and rest:
            app_folder = Path(rest.pop(0)).resolve()
        elif item.startswith("-"):
            raise GiveUp
        else:
            names.append(item)
    return Request(command, names, environment, json_output, app_folder, expand)


def _config_path() -> Path:
    explicit = os.environ.get("NETAPPS_CONFIG")
    if explicit:
        return Path(explicit).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "netapps.toml").is_file():
            return folder / "netapps.toml"
    fallback = Path(__file__).resolve().parent.parent / "netapps.toml"
    if fallback.is_file():
        return fallback
    raise GiveUp


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class Database:
    app: str
    label: str
    kind: str
    folder: Path
    display: str
    source: str
    sqlite_path: Path | None = None
    pg: dict[str, Any] | None = None
    tenant: str | None = None
    schema: str | None = None

    def table(self, name: str) -> str:
        """A table of this database, qualified by the tenant's schema when there is one."""
        return f'"{self.schema}".{name}' if self.schema else name


def _databases(
    name: str, spec: dict[str, Any], root: Path, env: str, single: bool
) -> list[Database]:
    tenants = read_tenants(name, spec, root)
    if not tenants:
        return [_database(name, spec, root, env, single)]
    if single and len(tenants) > 1:
        raise GiveUp
    return [_database(name, spec, root, env, single, tenant) for tenant in tenants]


def _database(
    name: str, spec: dict[str, Any], root: Path, env: str, single: bool, tenant: str | None = None
) -> Database:
    folder = (root / spec["folder"]).resolve()
    url_env = spec.get("url_env", f"{name.upper()}_DATABASE_URL")
    setting = spec.get("database", {}).get(env)
    if single and os.environ.get("DATABASE_URL"):
        text, source = os.environ["DATABASE_URL"], "DATABASE_URL"
    elif os.environ.get(url_env):
        text, source = os.environ[url_env], url_env
    elif setting is not None:
        text, source = str(setting["url"]), f"netapps.toml [{env}]"
    else:
        raise GiveUp
    if setting is not None and set(setting) - {"url", "password_env", "schema"}:
        raise GiveUp  # a setting this module does not know: the full implementation
    schema = None
    if tenant is not None:
        text = text.replace("{tenant}", tenant)
        schema = str(setting.get("schema", "")).replace("{tenant}", tenant) if setting else ""
        schema = schema or None
    elif "{tenant}" in text or (setting and setting.get("schema")):
        raise GiveUp
    parts = urlsplit(text.strip())
    if parts.query or parts.fragment:
        raise GiveUp
    label = spec.get("label", name)
    if parts.scheme in _SQLITE_SCHEMES:
        raw = text.strip().split(":///", 1)
        if len(raw) != 2 or not raw[1] or raw[1].startswith(":memory:"):
            raise GiveUp
        path = Path(unquote(raw[1])).expanduser()
        path = path if path.is_absolute() else (folder / path).resolve()
        if not path.is_file():
            raise GiveUp  # no database yet: certainly not at head
        if schema:
            raise GiveUp
        display = f"sqlite:///{path}"
        return Database(name, label, spec["kind"], folder, display, source, path, None, tenant)
    if parts.scheme in _POSTGRES_SCHEMES:
        password = unquote(parts.password) if parts.password else None
        password_env = setting.get("password_env") if setting else None
        if password is None and password_env and os.environ.get(str(password_env)):
            password = os.environ[str(password_env)]
        user = unquote(parts.username or "")
        host = parts.hostname or "localhost"
        port = parts.port or 5432
        database = unquote(parts.path.lstrip("/"))
        shown_user = f"{user}:***@" if password else (f"{user}@" if user else "")
        display = f"{parts.scheme}://{shown_user}{host}:{port}/{database}"
        if schema:
            display += f" (schema {schema})"
        conninfo = {"host": host, "port": port, "user": user or None, "dbname": database}
        if password:
            conninfo["password"] = password
        return Database(
            name, label, spec["kind"], folder, display, source, None, conninfo, tenant, schema
        )
    raise GiveUp


def _select(data: dict[str, Any], root: Path, env: str, request: Request) -> list[Database]:
    apps: dict[str, dict[str, Any]] = data.get("apps", {})
    if request.app_folder is not None:
        for name, spec in apps.items():
            if (root / spec["folder"]).resolve() == request.app_folder:
                return _databases(name, spec, root, env, single=True)
        raise GiveUp
    if not request.names:
        return [d for n, s in apps.items() for d in _databases(n, s, root, env, single=False)]
    chosen: list[Database] = []
    for wanted in request.names:
        app_name, _, tenant = wanted.partition(":")
        for name, spec in apps.items():
            aliases = {name, spec.get("label", name), *spec.get("aliases", ())}
            if _norm(app_name) in {_norm(a) for a in aliases}:
                found = _databases(name, spec, root, env, single=False)
                if tenant:
                    found = [d for d in found if d.tenant == tenant]
                    if not found:
                        raise GiveUp  # unknown tenant: the full implementation says so
                chosen.extend(d for d in found if d not in chosen)
                break
        else:
            raise GiveUp  # unknown app: the full implementation says so
    return chosen


# One open connection per database for the whole answer: a SQLite file's three reads, or
# 200 tenant schemas of one PostgreSQL database, share it.
_CONNECTIONS: dict[Any, Any] = {}


def _connection(db: Database) -> Any:
    key = db.sqlite_path or tuple(sorted((db.pg or {}).items()))
    if key not in _CONNECTIONS:
        if db.sqlite_path is not None:
            uri = f"file:{db.sqlite_path}?mode=ro"
            _CONNECTIONS[key] = sqlite3.connect(uri, uri=True, timeout=5)
        else:
            import psycopg  # the plain driver, only for PostgreSQL databases

            _CONNECTIONS[key] = psycopg.connect(connect_timeout=5, autocommit=True, **(db.pg or {}))
    return _CONNECTIONS[key]


def _close_connections() -> None:
    for connection in _CONNECTIONS.values():
        connection.close()
    _CONNECTIONS.clear()


def _query(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    try:
        if db.sqlite_path is None:
            sql = sql.replace("?", "%s")  # psycopg's placeholder
        return [tuple(row) for row in _connection(db).execute(sql, params).fetchall()]
    except Exception as exc:  # a missing table, an unreachable server: not for us
        raise GiveUp from exc


@functools.cache
def _migration_files(
    kind: str, folder: Path, sqlite: bool
) -> tuple[tuple[str, ...], dict[str, str]]:
    """(heads, {revision: checksum}) of an app's files, read once per run for all its tenants."""
    if kind == "alembic":
        revs = revisions.read_alembic_folder(folder / "alembic" / "versions", ids_only=True)
        return revisions.heads_of(revs), {r.id: r.checksum for r in revs}
    migrations = sql_files.discover(folder / "migrations", "sqlite" if sqlite else "postgresql")
    if not migrations:
        raise GiveUp
    return (migrations[-1].version,), {m.version: m.checksum for m in migrations}


def _check_at_head(db: Database, environment: str) -> dict[str, Any]:
    """The status row of a database at head, or GiveUp."""
    heads, files = _migration_files(db.kind, db.folder, db.sqlite_path is not None)
    if db.kind == "alembic":
        sql = f"SELECT version_num FROM {db.table('alembic_version')}"
        current = sorted(r[0] for r in _query(db, sql))
    else:
        applied = dict(_query(db, f"SELECT version, checksum FROM {db.table('schema_version')}"))
        if applied != files:
            raise GiveUp  # pending, or an edited file: the full path says which
        current = list(heads)
    if len(heads) != 1 or current != list(heads):
        raise GiveUp
    ledger = _query(
        db,
        "SELECT revision, direction, checksum, applied_at, applied_by "
        f"FROM {db.table(LEDGER)} "
        "WHERE app = ? ORDER BY id",
        (db.app,),
    )
    recorded = revisions.checksums_from_ledger((r[0], r[1], r[2]) for r in ledger)
    if any(files.get(rev) not in (None, digest) for rev, digest in recorded.items()):
        raise GiveUp  # an applied file changed: migrate refuses, and says so
    last_at = last_by = None
    if ledger:
        stamp = ledger[-1][3]
        last_at = stamp.isoformat() if hasattr(stamp, "isoformat") else str(stamp).replace(" ", "T")
        last_by = ledger[-1][4]
    return {
        "app": db.app,
        "tenant": db.tenant,
        "environment": environment,
        "url": db.display,
        "current": current,
        "heads": list(heads),
        "pending": 0,
        "pending_revisions": [],
        "state": "up to date",
        "edited": [],
        "last_migrated_at": last_at,
        "last_migrated_by": last_by,
        "error": None,
    }


def answer(argv: list[str]) -> int | None:
    """The exit code when the fast path answered, else None."""
    try:
        request = parse_args(argv)
        config = _config_path()
        data = tomllib.loads(config.read_text())
        env = request.environment or os.environ.get("NETAPPS_ENV") or "dev"
        if env not in data.get("environments", ["dev", "production"]):
            raise GiveUp
        databases = _select(data, config.parent, env, request)
        rows = []
        for db in databases:
            began = time.perf_counter()
            rows.append((db, _check_at_head(db, env), time.perf_counter() - began))
    except (GiveUp, OSError, KeyError, ValueError, TypeError, tomllib.TOMLDecodeError):
        return None
    except Exception:  # whatever it is, the full implementation will report it properly
        return None
    finally:
        _close_connections()
    _print(request, env, rows)
    return 0


def _print(request: Request, env: str, rows: list[tuple[Database, dict[str, Any], float]]) -> None:
    # Plain aligned text, not Rich: importing Rich would cost a third of this whole answer.
    from netapps import tables

    if request.command == "status":
        documents = [row for _db, row, _s in rows]
        if request.json_output:
            sys.stdout.write(json.dumps(documents, indent=2) + "\n")
        else:
            sys.stdout.write(tables.plain(tables.status_grid(env, documents, request.expand)))
        return
    migrated = [
        {
            "app": db.app,
            "tenant": db.tenant,
            "url": db.display,
            "from": row["current"],
            "to": row["current"],
            "steps": [],
            "backup": None,
            "ok": True,
            "error": None,
            "exit_code": 0,
            "seconds": round(seconds, 4),
        }
        for db, row, seconds in rows
    ]
    if request.json_output:
        sys.stdout.write(json.dumps(migrated, indent=2) + "\n")
        return
    for db, _row, _s in rows:
        if not db.tenant:
            sys.stderr.write(f"{db.label} [{env}] {db.display} (from {db.source})\n")
    sys.stdout.write(tables.plain(tables.migrate_grid(migrated)))
