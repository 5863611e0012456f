"""The no-op answered in milliseconds: ``netapps migrate`` / ``status`` when every database
is already at head.

Most runs of ``migrate`` (every container start, every deploy) find nothing to do. Importing
SQLAlchemy and Alembic alone costs about half a second, so this module answers that case with
the standard library and the plain database driver: heads come from the migration files read
as text (netapps.sources.revisions and sql_files), the version and the ledger from one query
each. Which database each app uses is decided by netapps.settings, as for the full path, and
each engine (netapps.engines) reads its URLs and connects. Nothing is cached, so nothing can
be stale.

It only ever answers "up to date". Whenever anything else is true, or anything is unusual
(a command-line option it does not know, a URL it does not parse, a missing database file,
an edited migration, a driver error), it returns None and the full implementation runs and
gives the real answer. The fast path can therefore be slower to give up, never wrong.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from netapps import engines, settings
from netapps.engines.base import DatabaseEngine, FastLocation
from netapps.errors import NetappsError
from netapps.settings import ALEMBIC_VERSION_TABLE, LEDGER_TABLE, SQL_VERSION_TABLE
from netapps.sources import revisions, sql_files


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


def _split_equals(argv: list[str]) -> list[str]:
    """``--parallel=4`` as ``--parallel 4``: the command line accepts both spellings, so both
    keep the fast path."""
    args: list[str] = []
    for item in argv:
        if item.startswith("--") and "=" in item:
            args.extend(item.split("=", 1))
        else:
            args.append(item)
    return args


def parse_args(argv: list[str]) -> Request:
    args = _split_equals(argv)
    environment = None
    while args and args[0].startswith("-"):
        if args[0] == "--env" and len(args) > 1:
            environment, args = args[1], args[2:]
        elif args[0] == "--debug":
            args = args[1:]  # tracebacks of errors: a no-op has none to show
        else:
            raise GiveUp
    if not args or args[0] not in ("migrate", "status"):
        raise GiveUp
    command, rest = args[0], args[1:]
    names: list[str] = []
    json_output = False
    ignored_flags = {"--no-backup", "--allow-destructive", "--exit-code"}
    expand = False
    # Options that take a value and do not change a no-op's answer, with the smallest value
    # the full command line accepts: any other value is its usage error to report.
    valued_flags: dict[str, tuple[type[int] | type[float], float]] = (
        {
            "--lock-timeout": (float, 0),
            "--ddl-lock-timeout": (float, 0),
            "--statement-timeout": (float, 0),
            "--lock-retries": (int, 0),
            "--parallel": (int, 1),
        }
        if command == "migrate"
        else {}
    )
    while rest:
        item = rest.pop(0)
        if item == "--json":
            json_output = True
        elif item == "--tenants" and command == "status":
            expand = True
        elif item in ignored_flags:
            continue  # nothing runs, so none of these changes the answer
        elif item in valued_flags and rest:
            kind, least = valued_flags[item]
            try:
                value = kind(rest.pop(0))
            except ValueError:
                raise GiveUp from None
            if value < least:
                raise GiveUp
        elif item == "--to" and command == "migrate" and rest and rest[0] in ("head", "heads"):
            rest.pop(0)
        elif item.startswith("-"):
            raise GiveUp
        else:
            names.append(item)
    return Request(command, names, environment, json_output, None, expand)


@dataclass(frozen=True)
class Database:
    app: str
    label: str
    kind: str
    folder: Path
    source: str
    engine: type[DatabaseEngine]
    location: FastLocation
    tenant: str | None = None
    schema: str | None = None

    @property
    def display(self) -> str:
        return self.location.display

    def table(self, name: str) -> str:
        """A table of this database, qualified by the tenant's schema when there is one."""
        return f'"{self.schema}".{name}' if self.schema else name


class _Databases:
    """Every app's databases, built once per answer: choosing what was asked for and checking
    that no two apps share a database both read them, and a tenants file is read once."""

    def __init__(self, apps: dict[str, dict[str, Any]], root: Path, env: str) -> None:
        self.apps, self.root, self.env = apps, root, env
        self._built: dict[tuple[str, bool], list[Database]] = {}

    def of(self, name: str, single: bool) -> list[Database]:
        key = (name, single)
        if key not in self._built:
            self._built[key] = _databases(name, self.apps[name], self.root, self.env, single)
        return self._built[key]


def _databases(
    name: str, spec: dict[str, Any], root: Path, env: str, single: bool
) -> list[Database]:
    tenants = settings.app_tenants(name, spec, root)
    folder = (root / spec["folder"]).resolve()  # once per app, not once per tenant
    if not tenants:
        return [_database(name, spec, folder, env, single)]
    if single and len(tenants) > 1:
        raise GiveUp
    return [_database(name, spec, folder, env, single, tenant, tenants) for tenant in tenants]


def _database(
    name: str,
    spec: dict[str, Any],
    folder: Path,
    env: str,
    single: bool,
    tenant: str | None = None,
    tenants: tuple[str, ...] = (),
) -> Database:
    setting = spec.get("database", {}).get(env) or {}
    if set(setting) - settings.DATABASE_KEYS:
        raise GiveUp  # a setting this module does not know: the full implementation
    try:
        choice = settings.choose_database(
            name, spec, env, single_app=single, tenant=tenant, tenants=tenants
        )
    except NetappsError:
        raise GiveUp from None
    parts = urlsplit(choice.text.strip())
    if parts.query or parts.fragment:
        raise GiveUp
    engine = engines.fast_engine(parts.scheme)
    if engine is None:
        raise GiveUp
    try:
        location = engine.fast_location(choice.text, folder, choice.password, choice.schema)
    except ValueError:
        raise GiveUp from None
    label = spec.get("label", name)
    return Database(
        name, label, spec["kind"], folder, choice.source, engine, location, tenant, choice.schema
    )


def _select(every: _Databases, request: Request) -> list[Database]:
    apps = every.apps
    if request.app_folder is not None:
        for name, spec in apps.items():
            if (every.root / spec["folder"]).resolve() == request.app_folder:
                return every.of(name, single=True)
        raise GiveUp
    if not request.names:
        return [d for n in apps for d in every.of(n, single=False)]
    chosen: list[Database] = []
    seen: set[tuple[str, str | None]] = set()
    for wanted in request.names:
        app_name, _, tenant = wanted.partition(":")
        for name, spec in apps.items():
            names = settings.app_names(name, spec.get("label", name), spec.get("aliases", ()))
            if settings.normalise(app_name) in names:
                found = every.of(name, single=False)
                if tenant:
                    by_tenant = {d.tenant: d for d in found}  # a dict: many names stay linear
                    if tenant not in by_tenant:
                        raise GiveUp  # unknown tenant: the full implementation says so
                    found = [by_tenant[tenant]]
                for database in found:
                    if (database.app, database.tenant) not in seen:
                        seen.add((database.app, database.tenant))
                        chosen.append(database)
                break
        else:
            raise GiveUp  # unknown app: the full implementation says so
    return chosen


def _give_up_if_shared(every: _Databases) -> None:
    """Two apps or tenants on one database: the full implementation refuses, and says so."""
    import os

    seen: set[tuple[Any, ...]] = set()
    for name in every.apps:
        for db in every.of(name, single=False):
            where = {k: v for k, v in db.location.connect.items() if k not in ("user", "password")}
            if "path" in where:
                where["path"] = os.path.realpath(where["path"])
            key = (db.engine.name, db.schema, *sorted((k, str(v)) for k, v in where.items()))
            if key in seen:
                raise GiveUp
            seen.add(key)


# At most one connection open at a time: a SQLite file's three reads, or the 200 tenant
# schemas of one PostgreSQL database (consecutive in the list), share it; moving on to another
# database closes it. So 10,000 tenant files need neither 10,000 file descriptors (the
# open-file limit) nor 10,000 page caches in memory.
_OPEN: list[tuple[Any, Any]] = []


def _connection(db: Database) -> Any:
    key = tuple(sorted((k, str(v)) for k, v in db.location.connect.items()))
    if _OPEN and _OPEN[0][0] == key:
        return _OPEN[0][1]
    _close_connections()
    connection = db.engine.fast_connect(db.location)
    _OPEN.append((key, connection))
    return connection


def _close_connections() -> None:
    while _OPEN:
        _OPEN.pop()[1].close()


def _query(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    try:
        sql = sql.replace("?", db.engine.fast_placeholder)
        return [tuple(row) for row in _connection(db).execute(sql, params).fetchall()]
    except Exception as exc:  # a missing table, an unreachable server: not for us
        raise GiveUp from exc


@functools.cache
def _migration_files(
    kind: str, folder: Path, engine: str
) -> tuple[tuple[str, ...], dict[str, str], dict[str, tuple[str, ...]]]:
    """(heads, {revision: checksum}, {revision: the checksums a ledger may hold for it}) of
    an app's files, read once per run for all its tenants."""
    if kind == "alembic":
        revs = revisions.read_alembic_folder(folder / "alembic" / "versions", ids_only=True)
        return (
            revisions.heads_of(revs),
            {r.id: r.checksum for r in revs},
            {r.id: (r.checksum,) for r in revs},
        )
    migrations = sql_files.discover(folder / "migrations", engine)
    if not migrations:
        raise GiveUp
    files = {m.version: m.checksum for m in migrations}  # what the version table holds
    accepted: dict[str, tuple[str, ...]] = {
        m.version: (m.pair_checksum, m.checksum) for m in migrations
    }
    return (migrations[-1].version,), files, accepted


def _check_at_head(db: Database, environment: str) -> dict[str, Any]:
    """The status row of a database at head, or GiveUp."""
    heads, files, accepted = _migration_files(db.kind, db.folder, db.engine.name)
    if db.kind == "alembic":
        sql = f"SELECT version_num FROM {db.table(ALEMBIC_VERSION_TABLE)}"
        current = sorted(r[0] for r in _query(db, sql))
    else:
        sql = f"SELECT version, checksum FROM {db.table(SQL_VERSION_TABLE)}"
        applied = dict(_query(db, sql))
        if applied != files:
            raise GiveUp  # pending, or an edited file: the full path says which
        current = list(heads)
    if len(heads) != 1 or current != list(heads):
        raise GiveUp
    ledger = _query(
        db,
        "SELECT revision, direction, checksum, applied_at, applied_by "
        f"FROM {db.table(LEDGER_TABLE)} "
        "WHERE app = ? ORDER BY id",
        (db.app,),
    )
    recorded = revisions.checksums_from_ledger((r[0], r[1], r[2]) for r in ledger)
    if any(rev in accepted and digest not in accepted[rev] for rev, digest in recorded.items()):
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


def answer(argv: list[str], *, app_folder: Path | None = None) -> int | None:
    """The exit code when the fast path answered, else None. ``app_folder``: an app's
    run_migrations.py asks for that app."""
    try:
        request = parse_args(argv)
        if app_folder is not None:
            if request.command != "migrate":
                raise GiveUp
            request = dataclasses.replace(request, app_folder=app_folder.resolve())
        config = settings.config_path()
        data = settings.read_config(config)
        env = settings.environment(data, request.environment)
        every = _Databases(data.get("apps", {}), config.parent, env)
        databases = _select(every, request)
        _give_up_if_shared(every)
        rows = []
        for db in databases:
            began = time.perf_counter()
            rows.append((db, _check_at_head(db, env), time.perf_counter() - began))
    except (
        GiveUp,
        NetappsError,
        OSError,
        KeyError,
        ValueError,
        TypeError,
        tomllib.TOMLDecodeError,
    ):
        return None
    except Exception:  # whatever it is, the full implementation will report it properly
        return None
    finally:
        _close_connections()
    _print(request, env, rows)
    return 0


def _print(request: Request, env: str, rows: list[tuple[Database, dict[str, Any], float]]) -> None:
    # Plain aligned text, not Rich: importing Rich would cost a third of this whole answer.
    from netapps.cli import tables

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
