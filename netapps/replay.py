"""Empty → head in milliseconds: ``netapps migrate`` on databases that hold nothing yet,
replayed from the replay cache (netapps.replay_cache) with the plain driver.

The first empty → head build of an app on an engine runs the full path (SQLAlchemy, Alembic,
the migration files) and records every statement it ran; every later build of an empty
database with the same migration files replays that recording, with the standard library and
sqlite3 or psycopg only. The safety steps stay: the same migration lock (the lock file beside
a SQLite database, the advisory lock on PostgreSQL) is held throughout, the database is checked
to be empty under it, PostgreSQL gets the configured lock and statement time-outs, every
step's ledger row is written with the file's checksum, and the whole build is one transaction
(left only where the recording ran outside one, as a ``CREATE INDEX CONCURRENTLY`` must): a
failure rolls back and the full path runs instead, and reports.

Like the no-op fast path (netapps.fastpath), it answers only the plain case — ``migrate`` with
app names and the options that do not change what an empty build does — and returns None for
anything else (a destination other than head, an unreadable
URL, a database that is not empty, no recording yet, a recording whose files changed,
destructive steps in production without --allow-destructive), so that the full implementation
answers.

Tenants are replayed in this one process, each under its own migration lock, with its own
empty check, ledger rows and transaction, from the app's one recording, loaded once: SQLite
tenant files and PostgreSQL tenant databases from the recording of any empty database of the
app on that engine (a tenant's or a plain one), PostgreSQL schema tenants from the recording
of a build in a schema (their schema is their search_path; netapps.replay_record keeps the
two apart). A server's tenants are built on up to ``--parallel`` connections at once (default:
one per CPU, as the full path's workers), each reused from tenant to tenant of one database;
SQLite files are built one after the other. The rule for a fleet is
all or nothing: every tenant must look empty before anything is built, else the full path
answers the whole command; if one tenant cannot be built after all (its lock held, a statement
failing), the full path runs, finds the tenants built so far at head, and handles the rest as
it always does.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from netapps import __version__, engines, replay_cache, settings
from netapps.engines.base import FastLocation, who
from netapps.errors import NetappsError
from netapps.settings import LEDGER_TABLE


class GiveUp(Exception):
    """Not a case for the replay: the full implementation answers."""


@dataclass
class Request:
    names: list[str] = field(default_factory=list)
    environment: str | None = None
    json_output: bool = False
    allow_destructive: bool = False
    ddl_lock_timeout: float | None = None
    statement_timeout: float | None = None
    #: --parallel: databases on a server built at once (default: CPUs, as the full path).
    workers: int | None = None


def parse_args(argv: list[str]) -> Request:
    args = list(argv)
    request = Request()
    while args and args[0].startswith("-"):
        if args[0] == "--env" and len(args) > 1:
            request.environment, args = args[1], args[2:]
        else:
            raise GiveUp
    if not args or args[0] != "migrate":
        raise GiveUp
    rest = args[1:]
    # Options that take a value, with the smallest value the full command line accepts: any
    # other value is its usage error to report.
    valued: dict[str, tuple[type[int] | type[float], float]] = {
        "--lock-timeout": (float, 0),
        "--ddl-lock-timeout": (float, 0),
        "--statement-timeout": (float, 0),
        "--lock-retries": (int, 0),
        "--parallel": (int, 1),
    }
    while rest:
        item = rest.pop(0)
        if item == "--json":
            request.json_output = True
        elif item == "--allow-destructive":
            request.allow_destructive = True
        elif item == "--no-backup":
            continue  # an empty database has nothing to back up either way
        elif item in valued and rest:
            kind, least = valued[item]
            try:
                value = kind(rest.pop(0))
            except ValueError:
                raise GiveUp from None
            if value < least:
                raise GiveUp
            if item == "--ddl-lock-timeout":
                request.ddl_lock_timeout = float(value)
            elif item == "--statement-timeout":
                request.statement_timeout = float(value)
            elif item == "--parallel":
                request.workers = int(value)
        elif item == "--to" and rest and rest[0] in ("head", "heads"):
            rest.pop(0)
        elif item.startswith("-"):
            raise GiveUp  # an option it does not know
        else:
            request.names.append(item)
    return request


@dataclass
class Build:
    """One app's database to build, and the recording to build it from."""

    app: str
    label: str
    spec: dict[str, Any]
    engine: str
    display: str
    source: str
    connect: dict[str, Any]
    recording: replay_cache.Recording
    steps: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    #: The tenant this database belongs to, if the app has several.
    tenant: str | None = None
    #: The PostgreSQL schema that holds the database (a schema tenant's), reached through
    #: the search_path.
    schema: str | None = None

    @property
    def name(self) -> str:
        """As the full path names a target: ``servicenow:acme`` for a tenant."""
        return f"{self.app}:{self.tenant}" if self.tenant else self.app

    @property
    def where(self) -> tuple[Any, ...]:
        """Which database this is, to refuse two apps on one."""
        place = {k: v for k, v in self.connect.items() if k not in ("user", "password")}
        if "path" in place:
            place["path"] = os.path.realpath(place["path"])
        return (self.engine, self.schema, *sorted((k, str(v)) for k, v in place.items()))

    @property
    def server(self) -> tuple[Any, ...]:
        """Which connection reaches it: schema tenants of one database share one."""
        return (self.engine, *sorted((k, str(v)) for k, v in self.connect.items()))


def _sqlite_location(text: str, folder: Path) -> FastLocation:
    """A SQLite URL read as the full path reads it; the file need not exist yet, its folder
    must (else the full path explains)."""
    raw = text.strip().split(":///", 1)
    if len(raw) != 2 or not raw[1] or raw[1].startswith(":memory:"):
        raise GiveUp
    if "%" in raw[1] or "?" in raw[1] or "mode=memory" in raw[1]:
        raise GiveUp
    path = settings.sqlite_file(raw[1], folder)
    if not path.parent.is_dir():
        raise GiveUp
    return FastLocation(f"{raw[0]}:///{path}", {"path": path})


def _build(
    name: str,
    spec: dict[str, Any],
    root: Path,
    env: str,
    single: bool,
    request: Request,
    *,
    recorded: bool = True,
    tenant: str | None = None,
    tenants: tuple[str, ...] = (),
    recording: replay_cache.Recording | None = None,
) -> Build:
    """``recorded``: the build's recording is loaded (else only where the database is),
    unless ``recording`` (the app's, loaded once for all of its tenants) is given."""
    setting = spec.get("database", {}).get(env) or {}
    if set(setting) - settings.DATABASE_KEYS:
        raise GiveUp
    try:
        choice = settings.choose_database(
            name, spec, env, single_app=single, tenant=tenant, tenants=tenants
        )
    except NetappsError:
        raise GiveUp from None
    parts = urlsplit(choice.text.strip())
    if parts.query or parts.fragment:
        raise GiveUp
    scheme = replay_cache.replay_scheme(parts.scheme)
    if scheme is None:
        raise GiveUp
    folder = (root / spec["folder"]).resolve()
    engine_class = engines.fast_engine(parts.scheme)
    if engine_class is None:
        raise GiveUp
    engine = engine_class.name
    if choice.schema and engine != "postgresql":
        raise GiveUp  # the full path says what is wrong
    if engine == "sqlite":
        location = _sqlite_location(choice.text, folder)
    else:
        location = engine_class.fast_location(choice.text, folder, choice.password, choice.schema)
    if recording is None:
        recording = replay_cache.Recording("", name, engine, "", (), None, ())
    if recorded and not recording.key:
        recording = _recording(name, spec["kind"], folder, engine, scheme, bool(choice.schema))
    if env == "production" and not request.allow_destructive and recording.destructive != ():
        raise GiveUp  # destructive steps, or not known: the full path checks (and refuses)
    return Build(
        name,
        spec.get("label", name),
        spec,
        engine,
        location.display,
        choice.source,
        location.connect,
        recording,
        tenant=tenant,
        schema=choice.schema,
    )


def _builds(
    name: str,
    spec: dict[str, Any],
    root: Path,
    env: str,
    request: Request,
    *,
    recorded: bool = True,
    only: list[str] | None = None,
) -> list[Build]:
    """The app's database, or one database per tenant (the recording loaded once); ``only``
    the tenants named (``app:tenant``), if given."""
    tenants = settings.app_tenants(name, spec, root)
    if not tenants:
        if only:
            raise GiveUp  # a tenant of an app without any: the full path says so
        return [_build(name, spec, root, env, False, request, recorded=recorded)]
    chosen = tenants
    if only:
        known = set(tenants)
        if not known.issuperset(only):
            raise GiveUp  # an unknown tenant: the full path says so
        chosen = tuple(only)
    first = _build(
        name, spec, root, env, False, request, recorded=recorded, tenant=chosen[0], tenants=tenants
    )
    return [first] + [
        _build(
            name,
            spec,
            root,
            env,
            False,
            request,
            recorded=False,
            tenant=tenant,
            tenants=tenants,
            recording=first.recording,
        )
        for tenant in chosen[1:]
    ]


def _recording(
    name: str, kind: str, folder: Path, engine: str, scheme: str, in_schema: bool
) -> replay_cache.Recording:
    chain = replay_cache.read_chain(kind, folder, engine)
    if chain.head is None:
        raise GiveUp
    key = replay_cache.cache_key(name, kind, folder, engine, scheme, chain, in_schema=in_schema)
    recording = replay_cache.load(key)
    if recording is None or recording.app != name or recording.head != chain.head:
        raise GiveUp
    return recording


def _select(data: dict[str, Any], root: Path, env: str, request: Request) -> list[Build]:
    """The databases named: apps (every tenant of each), ``app:tenant`` (that tenant), in
    the order named, each once (as Project.targets chooses them)."""
    apps: dict[str, dict[str, Any]] = data.get("apps", {})
    if not request.names:
        return [b for n, s in apps.items() for b in _builds(n, s, root, env, request)]
    # Per app: None for all of its databases, else the tenants named, in order.
    chosen: dict[str, list[str] | None] = {}
    for wanted in request.names:
        wanted_app, _, tenant = wanted.partition(":")
        for name, spec in apps.items():
            names = settings.app_names(name, spec.get("label", name), spec.get("aliases", ()))
            if settings.normalise(wanted_app) in names:
                break
        else:
            raise GiveUp  # an unknown app: the full implementation says so
        if not tenant:
            if chosen.get(name) is not None:
                raise GiveUp  # a tenant, then all: the full path's order (that one first)
            chosen[name] = None
        elif name not in chosen:
            chosen[name] = [tenant]
        else:
            named = chosen[name]
            if named is not None and tenant not in named:
                named.append(tenant)
    if any(tenants is not None for tenants in chosen.values()) and len(chosen) > 1:
        raise GiveUp  # tenants and apps mixed: the full path orders them
    return [
        build
        for name, only in chosen.items()
        for build in _builds(name, apps[name], root, env, request, only=only)
    ]


# -- the drivers ---------------------------------------------------------------------------------
class Session:
    """One plain-driver connection: transactions, statements, the migration lock."""

    placeholder = "?"
    #: Whether statements without parameters are sent several at a time (a server's round
    #: trips); SQLite runs in this process, and sqlite3 cannot batch inside a transaction.
    batches = False

    def __init__(self, build: Build) -> None:
        self.build = build
        self.in_transaction = False

    def execute(self, sql: str, params: Any = None, many: bool = False) -> list[Any]:
        raise NotImplementedError

    def begin(self) -> None:
        self.execute("BEGIN")
        self.in_transaction = True

    def commit(self) -> None:
        if self.in_transaction:
            self.execute("COMMIT")
            self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction:
            self.in_transaction = False
            self.execute("ROLLBACK")

    def lock(self) -> Any:
        """The migration lock, taken without waiting (else GiveUp or LockTimeout)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def applied_at(self) -> Any:
        raise NotImplementedError


class SqliteSession(Session):
    def __init__(self, build: Build) -> None:
        super().__init__(build)
        path: Path = build.connect["path"]
        self.path = path
        if not path.exists():
            # netapps' databases are readable by their owner only (as the full path makes them).
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        elif path.stat().st_size == 0:
            os.chmod(path, 0o600)
        # isolation_level None: BEGIN and COMMIT are ours, as appdb.engine makes them.
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)

    def execute(self, sql: str, params: Any = None, many: bool = False) -> list[Any]:
        if many:
            self.conn.executemany(sql, params)
            return []
        cursor = self.conn.execute(sql) if params is None else self.conn.execute(sql, params)
        return cursor.fetchall()

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")  # the write lock, as the full path takes it
        self.in_transaction = True

    def lock(self) -> Any:
        from netapps.engines.sqlite import file_lock

        return file_lock(Path(os.path.realpath(self.path)), self.build.name, 0)

    def close(self) -> None:
        self.conn.close()

    def applied_at(self) -> Any:
        # As SQLAlchemy stores a DateTime on SQLite.
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class PostgresSession(Session):
    placeholder = "%s"
    batches = True

    def __init__(self, build: Build) -> None:
        super().__init__(build)
        import psycopg

        # Who is migrating, for whoever looks at pg_stat_activity (as the full path says).
        self.conn = psycopg.connect(
            connect_timeout=5, autocommit=True, application_name="netapps migrate", **build.connect
        )

    def execute(self, sql: str, params: Any = None, many: bool = False) -> list[Any]:
        cursor = self.conn.cursor()
        if many:
            cursor.executemany(sql, params)
            return []
        cursor.execute(sql) if params is None else cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []

    def enter(self, build: Build) -> None:
        """Serve ``build`` from now on: its schema (a schema tenant's) as the search_path,
        else the server's default one."""
        self.build = build
        if build.schema:
            self.execute(f"SET search_path TO {_quoted(build.schema)}")
        else:
            self.execute("RESET search_path")

    @contextmanager
    def lock(self) -> Iterator[None]:
        from netapps.engines.postgresql import advisory_key

        # The full path's lock of this database: the app's, or one tenant's.
        key = advisory_key(self.build.name)
        if not self.execute(f"SELECT pg_try_advisory_lock({key})")[0][0]:
            raise GiveUp
        try:
            yield
        finally:
            self.rollback()
            self.execute(f"SELECT pg_advisory_unlock({key})")

    def set_timeouts(self, request: Request, data: dict[str, Any]) -> None:
        project = {k: v for k, v in data.items() if k not in ("apps", "environments")}
        configured = settings.timeouts(project, self.build.spec)
        lock = configured.ddl_lock_timeout
        statement = configured.statement_timeout
        lock = lock if request.ddl_lock_timeout is None else request.ddl_lock_timeout
        if request.statement_timeout is not None:
            statement = request.statement_timeout
        self.execute(
            f"SET lock_timeout = {int(lock * 1000)}; "
            f"SET statement_timeout = {int(statement * 1000)}"
        )

    def close(self) -> None:
        self.conn.close()

    def applied_at(self) -> Any:
        return dt.datetime.now(dt.UTC)


class Sessions:
    """The server connection of one lane of builds (one per ``--parallel`` slot): at most one
    open at a time, kept for the next build it reaches (the schema tenants of one database
    share it; a thousand tenant databases never hold a thousand connections)."""

    def __init__(self) -> None:
        self.current: PostgresSession | None = None

    def serve(self, build: Build) -> PostgresSession:
        if self.current is None or self.current.build.server != build.server:
            self.close()
            self.current = PostgresSession(build)
        self.current.enter(build)
        return self.current

    def close(self) -> None:
        current, self.current = self.current, None
        if current is not None:
            current.close()


def _is_empty(session: Session, build: Build) -> bool:
    if build.engine == "sqlite" and session.build.connect["path"].stat().st_size == 0:
        return True
    if build.schema:  # the search_path's schema is all of a schema tenant's database
        return not session.execute(replay_cache.EMPTY_SCHEMA_QUERY)[0][0]
    if session.execute(replay_cache.EMPTY_QUERIES[build.engine])[0][0]:
        return False
    if build.engine in replay_cache.SCHEMA_QUERIES:
        schemas = tuple(r[0] for r in session.execute(replay_cache.SCHEMA_QUERIES[build.engine]))
        return schemas == build.recording.schemas
    return True


def _looks_empty(build: Build, sessions: Sessions) -> bool:
    """Whether the database is empty, looked at without creating it or taking a lock (it is
    looked at again under the lock)."""
    if build.engine == "sqlite":
        path: Path = build.connect["path"]
        if not path.exists() or path.stat().st_size == 0:
            return True
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return not conn.execute(replay_cache.EMPTY_QUERIES["sqlite"]).fetchone()[0]
        finally:
            conn.close()
    return _is_empty(sessions.serve(build), build)


@functools.cache
def _who() -> str:
    return who()


def _ledger_row(session: Session, build: Build, revision: str, checksum: str, ms: int) -> None:
    p = session.placeholder
    session.execute(
        f"INSERT INTO {LEDGER_TABLE} (app, revision, direction, checksum, applied_at, "
        f"applied_by, duration_ms, tool_version) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
        (build.app, revision, "up", checksum, session.applied_at(), _who(), ms, __version__),
    )


def _with_elapsed(params: Any, where: int | str, ms: int) -> Any:
    if isinstance(params, dict):
        return {**params, str(where): ms}
    values = list(params)
    values[int(where)] = ms
    return tuple(values)


def _plain(statement: replay_cache.Statement, params: Any) -> bool:
    """A statement that can share a round trip with its neighbours: no parameters (and no %,
    which the driver would read differently with and without them), inside the transaction."""
    return (
        not params
        and not statement.many
        and not statement.autocommit
        and statement.elapsed_param is None
        and "%" not in statement.sql
    )


def _replay(session: Session, build: Build) -> None:
    """Every recorded statement in order, one transaction but where the recording ran
    outside one; the ledger row of each step where the full path writes it. On PostgreSQL,
    consecutive statements without parameters go in one round trip (the server runs them in
    order, in the same transaction, exactly as one by one)."""
    batch: list[str] = []

    def flush() -> None:
        if batch:
            session.execute(";\n".join(batch))
            batch.clear()

    for step in build.recording.steps:
        began = time.perf_counter()
        for statement in step.statements:
            if statement.many:
                params: Any = [replay_cache.decode_params(p) for p in statement.params]
            else:
                params = replay_cache.decode_params(statement.params)
            if session.batches and _plain(statement, params):
                if not session.in_transaction:
                    session.begin()
                batch.append(statement.sql)
                continue
            flush()
            if statement.elapsed_param is not None and not statement.many:
                ms = round((time.perf_counter() - began) * 1000)
                params = _with_elapsed(params, statement.elapsed_param, ms)
            if statement.autocommit:
                session.commit()
            elif not session.in_transaction:
                session.begin()
            session.execute(statement.sql, params, statement.many)
        flush()
        if not session.in_transaction:
            session.begin()
        seconds = time.perf_counter() - began
        _ledger_row(session, build, step.revision, step.checksum, round(seconds * 1000))
        build.steps.append((step.revision, seconds))
    session.commit()


def _run(build: Build, request: Request, data: dict[str, Any], sessions: Sessions) -> bool:
    """Build one database; False (nothing changed, or the steps committed so far kept, as
    the full path keeps them) when the full path must take over."""
    began = time.perf_counter()
    session: Session = SqliteSession(build) if build.engine == "sqlite" else sessions.serve(build)
    try:
        # Not waiting: a lock held by another migrator is the full path's to wait for (with
        # --lock-timeout) and to report; this one would only make it wait twice.
        with session.lock():
            if isinstance(session, PostgresSession):
                session.set_timeouts(request, data)
            if build.schema:
                # As the full path makes a schema tenant's schema; in the build's transaction,
                # so that a failure leaves nothing behind.
                session.begin()
                session.execute(f"CREATE SCHEMA IF NOT EXISTS {_quoted(build.schema)}")
            if not _is_empty(session, build):
                return False
            try:
                _replay(session, build)
            except Exception:
                session.rollback()
                build.steps.clear()
                return False
    finally:
        if isinstance(session, SqliteSession):
            session.close()
    build.seconds = time.perf_counter() - began
    return True


def _run_all(
    builds: list[Build], request: Request, data: dict[str, Any], sessions: Sessions
) -> bool:
    """Build every database; False as soon as one must be left to the full path (the others
    being built then finish). A server's databases (tenants' schemas or databases) are built
    on up to ``--parallel`` connections at once, default one per CPU as the full path's
    workers: a server builds several tenants' tables side by side. SQLite files are built
    one after the other in this thread, first."""
    servers = [b for b in builds if b.engine != "sqlite"]
    lanes = min(request.workers or os.cpu_count() or 1, len(servers))
    if lanes <= 1:
        return all(_run(build, request, data, sessions) for build in builds)
    if not all(_run(b, request, data, sessions) for b in builds if b.engine == "sqlite"):
        return False
    queue = iter(servers)
    taking = threading.Lock()
    failed = threading.Event()

    def lane(own: Sessions) -> None:
        try:
            while not failed.is_set():
                with taking:
                    build = next(queue, None)
                if build is None:
                    return
                if not _run(build, request, data, own):
                    failed.set()
        except Exception:  # reported by the full path, which then runs
            failed.set()
        finally:
            own.close()

    # The first lane keeps the connection the empty checks opened.
    threads = [
        threading.Thread(target=lane, args=(sessions if i == 0 else Sessions(),))
        for i in range(lanes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return not failed.is_set()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def answer(argv: list[str], *, app_folder: Path | None = None) -> int | None:
    """The exit code when every database named was empty and has been built by replay, else
    None (the full implementation then runs, and finds done whatever was built here)."""
    if app_folder is not None or not replay_cache.enabled():
        return None
    builds: list[Build] = []
    sessions = Sessions()
    try:
        request = parse_args(argv)
        config = settings.config_path()
        data = settings.read_config(config)
        env = settings.environment(data, request.environment)
        builds = _select(data, config.parent, env, request)
        places = [
            build.where
            for n, s in data.get("apps", {}).items()
            for build in _builds(n, s, config.parent, env, request, recorded=False)
        ]
        if len(set(places)) != len(places):
            raise GiveUp  # two apps on one database: the full implementation refuses
        for build in builds:  # all empty before anything is built (else: the full path)
            if not _looks_empty(build, sessions):
                raise GiveUp
        if not _run_all(builds, request, data, sessions):
            return None
    except Exception:  # GiveUp, or anything unusual: the full implementation answers
        return None
    finally:
        sessions.close()
    _print(request, env, builds)
    return 0


def _print(request: Request, env: str, builds: list[Build]) -> None:
    from netapps.cli import tables

    rows = [
        {
            "app": b.app,
            "tenant": b.tenant,
            "url": b.display,
            "from": [],
            "to": [b.recording.head],
            "steps": [
                {"revision": rev, "direction": "up", "seconds": round(seconds, 4)}
                for rev, seconds in b.steps
            ],
            "backup": None,
            "ok": True,
            "error": None,
            "exit_code": 0,
            "seconds": round(b.seconds, 4),
        }
        for b in builds
    ]
    if request.json_output:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for b in builds:
        if not b.tenant:  # a thousand tenants: their progress lines suffice, as the full path
            sys.stderr.write(f"{b.label} [{env}] {b.display} (from {b.source})\n")
        for rev, seconds in b.steps:
            sys.stderr.write(f"  ✓ {b.name} ↑ {rev} ({seconds:.2f} s)\n")
    sys.stdout.write(tables.plain(tables.migrate_grid(rows)))
