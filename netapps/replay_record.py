"""Records what an empty → head run executes, for the replay cache (netapps.replay_cache).

The full path (netapps.executor) records a run only when the database held nothing at all, the
run goes to the app's one head, no revision file looks beyond the database (its environment,
the clock, randomness, files, processes, the network: see ``_OUTSIDE_THE_DATABASE``), and
nothing unusual happens (no lock retry, no rollback to a savepoint, only parameter types the
cache can hold). Every statement the driver receives is
kept in order, with its parameters and whether it ran outside a transaction, cut into steps at
each step's ledger row (which the replay writes afresh). Transaction control is left out: the
replay runs the whole build in one transaction, leaving it only where the recording ran
outside one. Because every run being recorded starts from the same state (nothing), a
migration that reads the database before deciding what to do (SAP's seed data) reads the same
thing when it is replayed.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, event

from netapps import replay_cache
from netapps.config import Target
from netapps.settings import LEDGER_TABLE, SQL_VERSION_TABLE
from netapps.sources.base import Source
from netapps.sources.revisions import Step

_TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE
)
_ROLLBACK = re.compile(r"^\s*ROLLBACK\b", re.IGNORECASE)
_READ = re.compile(r"^\s*(SELECT|PRAGMA|SHOW|WITH)\b", re.IGNORECASE)
#: What makes a migration's Python do something else on another run than the one recorded
#: (its environment, the clock, randomness, files, processes, the network, the user): a
#: revision file that mentions any of these is never recorded, so never replayed; nor is one that
#: imports a module beyond ``_IMPORTABLE`` (whose code this check does not read).
_OUTSIDE_THE_DATABASE = re.compile(
    r"netapps:\s*no-replay"
    r"|\bos\s*\.\s*environ\b|\bgetenv\s*\(|\benviron\s*[\[.]"
    r"|^\s*(import|from)\s+(random|secrets|subprocess|socket|requests|httpx|urllib|getpass"
    r"|tempfile)\b"
    r"|\brandom\s*\.|\bsecrets\s*\.|\buuid[14]\s*\("
    r"|\b(datetime|date)\s*\.\s*(now|utcnow|today)\s*\("
    r"|\btime\s*\.\s*(time|sleep|monotonic|perf_counter)\s*\("
    r"|\bopen\s*\(|\bPath\s*\(|\binput\s*\(",
    re.MULTILINE,
)
_IMPORTED = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)
#: The modules a recorded migration may import: what builds DDL and plain values. Anything
#: else (the app's own code, a helper module) is not read by the check above, so a revision
#: file importing it is not recorded. appdb and netapps.ops are in the recording's key.
_IMPORTABLE = frozenset(
    {
        "__future__",
        "alembic",
        "sqlalchemy",
        "appdb",
        "netapps.ops",
        "netapps.model_types",
        "collections",
        "typing",
        "decimal",
        "datetime",
        "enum",
        "json",
        "re",
        "textwrap",
        "dataclasses",
    }
)


def _imports_beyond_ddl(text: str) -> bool:
    for match in _IMPORTED.finditer(text):
        module = match.group(1) or match.group(2)
        if not any(module == ok or module.startswith(f"{ok}.") for ok in _IMPORTABLE):
            return True
    return False


def reaches_outside(source: Source, steps: tuple[Step, ...]) -> str | None:
    """The first of ``steps`` whose migration file may act on more than the database."""
    if source.kind != "alembic":
        return None  # SQL files: what runs is the SQL, on the server
    for step in steps:
        try:
            text = step.revision.path.read_text(encoding="utf-8")
        except OSError:
            return step.revision.id
        if _OUTSIDE_THE_DATABASE.search(text) or _imports_beyond_ddl(text):
            return step.revision.id
    return None


def _replayable_scheme(target: Target) -> str | None:
    """The cache's name for ``target``'s kind of URL (replay_cache.replay_scheme), if the
    replay can run its recordings."""
    backend, driver = target.url.get_backend_name(), target.url.get_driver_name()
    return replay_cache.replay_scheme(f"{backend}+{driver}")


class Recorder:
    """Listens to one connection's statements from :meth:`start` until :meth:`stop`."""

    def __init__(
        self, target: Target, source: Source, scheme: str, key: str, schemas: tuple[str, ...]
    ) -> None:
        self.target, self.source, self.scheme, self.key = target, source, scheme, key
        self.schemas = schemas
        self.engine = target.engine.name
        self.current: list[replay_cache.Statement] = []
        self.steps: list[replay_cache.RecordedStep] = []
        self.paused = False
        self.broken: str | None = None
        self._conn: Connection | None = None

    # -- listening --------------------------------------------------------------------------
    def start(self, conn: Connection) -> None:
        self._conn = conn
        event.listen(conn, "before_cursor_execute", self._on_statement)

    def stop(self) -> None:
        if self._conn is not None:
            event.remove(self._conn, "before_cursor_execute", self._on_statement)
            self._conn = None

    def discard(self, why: str) -> None:
        self.broken = self.broken or why

    def _on_statement(
        self,
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if self.paused or self.broken:
            return
        if _TRANSACTION_CONTROL.match(statement):
            if _ROLLBACK.match(statement):
                self.discard("a rollback inside the run")
            return
        try:
            if executemany:
                params: Any = [replay_cache.encode_params(p) for p in parameters]
            elif not parameters and context is not None and context.no_parameters:
                params = None
            else:
                params = replay_cache.encode_params(parameters)
        except replay_cache.Unsupported as exc:
            self.discard(str(exc))
            return
        elapsed: int | str | None = None
        if statement.lstrip().upper().startswith(f"INSERT INTO {SQL_VERSION_TABLE.upper()} "):
            # The SQL kind's version row holds the step's duration: measured afresh.
            if params and "named" in params and "execution_ms" in params["named"]:
                elapsed = "execution_ms"
            elif params and "positional" in params:
                elapsed = len(params["positional"]) - 1
        self.current.append(
            replay_cache.Statement(
                statement, params, bool(executemany), self._autocommit(cursor, statement), elapsed
            )
        )

    def _autocommit(self, cursor: Any, statement: str) -> bool:
        raw = cursor.connection
        if self.engine == "sqlite":  # sqlite3: BEGIN is ours (appdb.engine), reads need none
            return not raw.in_transaction and not _READ.match(statement)
        return bool(raw.autocommit)

    # -- steps ------------------------------------------------------------------------------
    def step_done(self, step: Step) -> None:
        """Called where the step's ledger row is written: the statements so far are its."""
        self.steps.append(
            replay_cache.RecordedStep(step.revision.id, step.revision.checksum, tuple(self.current))
        )
        self.current = []

    def save(self, expected: tuple[Step, ...]) -> None:
        """Write the recording, if the run was a clean empty → head build of ``expected``."""
        self.stop()
        if self.broken or [s.revision.id for s in expected] != [s.revision for s in self.steps]:
            return
        if any(step.direction != "up" for step in expected):
            return
        created = " ".join(s.sql for step in self.steps for s in step.statements).lower()
        if f"create table {LEDGER_TABLE}" not in created:
            return  # the ledger was there already: not an empty database after all
        if self.target.schema and (
            "create schema" in created
            or re.search(rf"\b{re.escape(self.target.schema.lower())}\b", created)
        ):
            # Replayed into another tenant's schema, a schema the app creates for itself would
            # be shared, and a statement naming this tenant's schema would reach into it.
            return
        destructive = None
        if self.target.environment == "production":
            destructive = tuple(s.revision.id for s in expected if self.source.destructive(s))
        app = self.target.app
        chain = replay_cache.read_chain(app.kind, app.folder, self.engine)
        if self.key != replay_cache.cache_key(
            app.name,
            app.kind,
            app.folder,
            self.engine,
            self.scheme,
            chain,
            in_schema=bool(self.target.schema),
        ):
            return  # a file changed during the run
        if chain.head != expected[-1].revision.id:
            return
        replay_cache.save(
            replay_cache.Recording(
                key=self.key,
                app=app.name,
                engine=self.engine,
                head=chain.head,
                schemas=self.schemas,
                destructive=destructive,
                steps=tuple(self.steps),
            )
        )


def recorder_for(
    conn: Connection, target: Target, source: Source, steps: tuple[Step, ...]
) -> Recorder | None:
    """A recorder for this run, if it is one worth recording (see the module's docstring);
    called under the migration lock, before anything is written."""
    # A tenant's own database is recorded like any other (same app, engine and files: same
    # key); a build in a PostgreSQL schema (a schema tenant's) is recorded apart, and
    # replayed into other schemas through their search_path.
    if not replay_cache.enabled():
        return None
    if reaches_outside(source, steps) is not None:
        return None
    scheme = _replayable_scheme(target)
    engine = target.engine.name
    if scheme is None or engine not in replay_cache.EMPTY_QUERIES:
        return None
    app = target.app
    try:
        chain = replay_cache.read_chain(app.kind, app.folder, engine)
        if chain.head is None:
            return None
        in_schema = bool(target.schema)
        key = replay_cache.cache_key(
            app.name, app.kind, app.folder, engine, scheme, chain, in_schema=in_schema
        )
        if replay_cache.load(key, warn=False) is not None:
            return None  # recorded already
        empty = replay_cache.EMPTY_SCHEMA_QUERY if in_schema else replay_cache.EMPTY_QUERIES[engine]
        if conn.exec_driver_sql(empty).scalar():
            return None
        schemas: tuple[str, ...] = ()
        if engine in replay_cache.SCHEMA_QUERIES and not in_schema:
            found = conn.exec_driver_sql(replay_cache.SCHEMA_QUERIES[engine]).scalars()
            schemas = tuple(str(s) for s in found)
    except Exception:  # recording is an optimisation: never a reason for a run to fail
        return None
    finally:
        if conn.in_transaction():
            conn.commit()
    return Recorder(target, source, scheme, key, schemas)
