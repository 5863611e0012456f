"""Plain-SQL migrations: numbered up/down file pairs in a folder, recorded in a version table.

The Salesforce app keeps its schema this way (``Salesforce/migrations``). One noun per section,
as Django splits its migrations package:

* loader -- :func:`discover` reads the folder into ordered :class:`SqlMigration` objects and
  :func:`split_statements` cuts a file into statements;
* recorder -- :func:`applied_versions` / :func:`current_version` read the ``schema_version``
  table, which :func:`upgrade` and :func:`downgrade` keep;
* executor -- :func:`upgrade` / :func:`downgrade` apply files, one transaction per migration;
* authoring -- :func:`next_pair` writes the next empty pair of files.

File names: ``NNN_slug.up.sql`` and ``NNN_slug.down.sql``; where one file cannot serve every
engine, ``NNN_slug.up.<dialect>.sql`` (``sqlite``, ``postgresql``) is chosen over the plain file
for that dialect. Versions start at 1 and have no gaps.

Transactions: callers hand over a Connection that is not in a transaction. Each migration runs
inside its own ``conn.begin()``: its statements and its version row commit together or not at
all. On SQLite this holds for DDL too, given an engine from :func:`appdb.engine.make_engine`.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import sqlparse
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from netapps.errors import CheckFailed, ConfigError, MigrationFailed, NetappsError, RevisionError
from netapps.sources.sql_files import _FILE_NAME, _VERSION_WIDTH, SqlMigration
from netapps.sources.sql_files import checksum_of as checksum_of  # the loader, re-exported
from netapps.sources.sql_files import discover as discover

VERSION_TABLE = "schema_version"

Direction = Literal["up", "down"]
#: Called after each migration commits: (migration, "up" or "down", seconds it took).
StepCallback = Callable[["SqlMigration", Direction, float], None]
#: Called inside a migration's transaction, after its statements: the caller's ledger row
#: then commits or rolls back together with the migration.
InTransactionCallback = Callable[[Connection, "SqlMigration", Direction, float], None]

T = TypeVar("T")

_CREATE_VERSION_TABLE = f"""
CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
    version VARCHAR(32) NOT NULL,
    description VARCHAR(255) NOT NULL,
    script VARCHAR(255) NOT NULL,
    checksum CHAR(64) NOT NULL,
    applied_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    execution_ms INTEGER NOT NULL,
    CONSTRAINT pk_{VERSION_TABLE} PRIMARY KEY (version)
)
"""


# --------------------------------------------------------------------------------- loader


def split_statements(sql: str) -> list[str]:
    """The statements of a SQL script, without the empty or comment-only pieces."""
    statements: list[str] = []
    for piece in sqlparse.split(sql):
        # A piece that is only comments (a file's header) is not a statement. Checked with a
        # regex: sqlparse.format(strip_comments=True) costs more than splitting the file.
        if _COMMENTS.sub("", piece).strip().strip(";").strip():
            statements.append(piece.strip())
    return statements


# Line comments and block comments, outside of which a statement must have some text.
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def find(migrations: Sequence[SqlMigration], version: str) -> SqlMigration:
    """The migration numbered ``version`` ("2" and "002" alike), or a RevisionError."""
    if version.isdigit():
        for migration in migrations:
            if migration.number == int(version):
                return migration
    known = ", ".join(m.version for m in migrations) or "none"
    raise RevisionError(f"unknown version {version!r}; known versions: {known}")


# ------------------------------------------------------------------------------- recorder


@dataclass(frozen=True)
class AppliedRow:
    """One row of the version table: a migration that is applied."""

    version: str
    description: str
    script: str
    checksum: str
    applied_at: dt.datetime  # UTC, timezone-aware
    execution_ms: int


def _in_transaction(conn: Connection, work: Callable[[], T]) -> T:
    """Run ``work`` in a transaction of its own, or in the caller's if one is open."""
    if conn.in_transaction():
        return work()
    with conn.begin():
        return work()


def _has_version_table(conn: Connection) -> bool:
    return inspect(conn).has_table(VERSION_TABLE)


def _utc(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):  # SQLite keeps CURRENT_TIMESTAMP as UTC text
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def applied_versions(conn: Connection) -> list[AppliedRow]:
    """The applied migrations, oldest first; [] when the version table does not exist."""

    def read() -> list[AppliedRow]:
        if not _has_version_table(conn):
            return []
        rows = conn.execute(
            text(
                "SELECT version, description, script, checksum, applied_at, execution_ms "
                f"FROM {VERSION_TABLE}"
            )
        ).all()
        applied = [
            AppliedRow(
                version=row.version,
                description=row.description,
                script=row.script,
                checksum=row.checksum.strip(),
                applied_at=_utc(row.applied_at),
                execution_ms=int(row.execution_ms),
            )
            for row in rows
        ]
        return sorted(applied, key=lambda row: int(row.version))

    return _in_transaction(conn, read)


def current_version(conn: Connection) -> str | None:
    """The newest applied version, or None when nothing is applied."""
    applied = applied_versions(conn)
    return applied[-1].version if applied else None


def edited(applied: Sequence[AppliedRow], migrations: Sequence[SqlMigration]) -> list[str]:
    """Applied migrations whose up file changed since, one line each (empty when none)."""
    by_number = {m.number: m for m in migrations}
    problems = []
    for row in applied:
        migration = by_number.get(int(row.version))
        if migration is not None and migration.checksum != row.checksum:
            problems.append(
                f"{migration.up_path.name} changed after it was applied as version "
                f"{row.version}; restore it and put the change in a new migration"
            )
    return problems


def ensure_version_table(conn: Connection) -> None:
    """Create the version table if it is missing (in a transaction of its own)."""
    with conn.begin():
        conn.exec_driver_sql(_CREATE_VERSION_TABLE)


def record(conn: Connection, migration: SqlMigration, execution_ms: int) -> None:
    """Mark ``migration`` applied (in the caller's transaction)."""
    conn.execute(
        text(
            f"INSERT INTO {VERSION_TABLE} "
            "(version, description, script, checksum, execution_ms) "
            "VALUES (:version, :description, :script, :checksum, :execution_ms)"
        ),
        {
            "version": migration.version,
            "description": migration.description,
            "script": migration.script,
            "checksum": migration.checksum,
            "execution_ms": execution_ms,
        },
    )


def unrecord(conn: Connection, version: str) -> None:
    """Mark ``version`` not applied (in the caller's transaction)."""
    conn.execute(text(f"DELETE FROM {VERSION_TABLE} WHERE version = :v"), {"v": version})


def accept_checksum(conn: Connection, version: str, checksum: str) -> None:
    """``repair``: the version table takes a file's new checksum (in the caller's transaction)."""
    conn.execute(
        text(f"UPDATE {VERSION_TABLE} SET checksum = :c WHERE version = :v"),
        {"c": checksum, "v": version},
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def offline_sql(migration: SqlMigration, direction: Direction) -> list[str]:
    """The statements one step runs, its version-table change included, as SQL text."""
    path = migration.up_path if direction == "up" else migration.down_path
    statements = [s.rstrip().rstrip(";") + ";" for s in split_statements(path.read_text())]
    if direction == "up":
        statements.append(
            f"INSERT INTO {VERSION_TABLE} (version, description, script, checksum, "
            f"execution_ms) VALUES ({_literal(migration.version)}, "
            f"{_literal(migration.description)}, {_literal(migration.script)}, "
            f"{_literal(migration.checksum)}, 0);"
        )
    else:
        statements.append(
            f"DELETE FROM {VERSION_TABLE} WHERE version = {_literal(migration.version)};"
        )
    return statements


def create_version_table_sql() -> str:
    return _CREATE_VERSION_TABLE.strip() + ";"


# ------------------------------------------------------------------------------- executor


def _require_no_transaction(conn: Connection) -> None:
    if conn.in_transaction():
        raise NetappsError(
            "sql_migrations needs a Connection outside a transaction: it commits each "
            "migration itself; commit or roll back first"
        )
    if conn.dialect.name == "sqlite" and conn.dialect.driver == "pysqlite":
        # pysqlite left in charge of BEGIN commits before every DDL statement, so a failing
        # migration would stay half-applied. make_engine hands BEGIN to SQLAlchemy.
        dbapi_connection = conn.connection.dbapi_connection
        if getattr(dbapi_connection, "isolation_level", None) is not None:
            raise NetappsError(
                "this SQLite connection commits DDL statement by statement; create the engine "
                "with appdb.engine.make_engine so a migration is all or nothing"
            )


def _applied_in(conn: Connection, migrations: Sequence[SqlMigration]) -> list[AppliedRow]:
    applied = applied_versions(conn)
    known = {m.number for m in migrations}
    unknown = [row.version for row in applied if int(row.version) not in known]
    if unknown:
        raise RevisionError(
            f"the database has version {unknown[-1]} applied, which the migrations folder does "
            "not have; use the folder the database was migrated with"
        )
    return applied


#: A file whose first lines hold this comment runs its statements outside a transaction, one
#: by one (CREATE INDEX CONCURRENTLY cannot run inside one); its version row is written after
#: the last statement succeeded.
NO_TRANSACTION = "-- netapps: no-transaction"


def outside_transaction(path: Path) -> bool:
    """Whether the file asks to run outside a transaction (the directive, before any SQL)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            stripped = line.strip()
            if stripped == NO_TRANSACTION:
                return True
            if stripped and not stripped.startswith("--"):
                return False
    return False


def run_step(
    conn: Connection,
    migration: SqlMigration,
    direction: Direction,
    in_transaction: InTransactionCallback | None = None,
) -> float:
    """Run one file and its version-table change in one transaction (or, for a file with the
    no-transaction directive, its statements one by one and then its version-table change);
    seconds taken."""
    path = migration.up_path if direction == "up" else migration.down_path
    statements = split_statements(path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    # Which statement runs, described only if it fails (sqlparse is slow on every statement).
    current: tuple[int, str] | None = None
    outside = outside_transaction(path)
    try:
        if outside:
            _run_outside_transaction(conn, statements)
        with conn.begin():
            for number, statement in enumerate([] if outside else statements, start=1):
                current = (number, statement)
                # no_parameters: the driver gets the text as is, so a literal % needs no
                # doubling (psycopg and psycopg2 would read it as a placeholder otherwise).
                conn.exec_driver_sql(statement, execution_options={"no_parameters": True})
            current = None
            elapsed = time.perf_counter() - started
            if direction == "up":
                record(conn, migration, round(elapsed * 1000))
            else:
                unrecord(conn, migration.version)
            if in_transaction is not None:
                in_transaction(conn, migration, direction, elapsed)
    except _OutsideFailed as failed:
        exc = failed.cause
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise MigrationFailed(
            f"{path.name}: {failed.where} failed: {cause}; it ran outside a transaction, so the "
            f"statements before it stay applied and version {migration.version} is not "
            "recorded: fix the cause and rerun (write such statements with IF NOT EXISTS)"
        ) from exc
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise MigrationFailed(
            f"{path.name}: {_where(current)} failed: {cause}; version {migration.version} was "
            "rolled back, earlier versions stay as they were"
        ) from exc
    return time.perf_counter() - started


class _OutsideFailed(Exception):
    def __init__(self, where: str, cause: SQLAlchemyError) -> None:
        super().__init__(where)
        self.where, self.cause = where, cause


def _where(current: tuple[int, str] | None) -> str:
    if current is None:
        return "(version table)"
    number, statement = current
    return f"statement {number} ({_summary(statement)})"


def _run_outside_transaction(conn: Connection, statements: list[str]) -> None:
    """Each statement on its own, autocommitted."""
    if conn.in_transaction():
        conn.commit()
    level = conn.get_isolation_level()
    conn.execution_options(isolation_level="AUTOCOMMIT")
    try:
        for number, statement in enumerate(statements, start=1):
            try:
                conn.exec_driver_sql(statement, execution_options={"no_parameters": True})
            except SQLAlchemyError as exc:
                conn.rollback()
                raise _OutsideFailed(_where((number, statement)), exc) from exc
            conn.commit()  # autocommitted already; this ends SQLAlchemy's record of it
    finally:
        conn.execution_options(isolation_level=level)


def _summary(statement: str, width: int = 80) -> str:
    flat = " ".join(sqlparse.format(statement, strip_comments=True).split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def upgrade(
    conn: Connection,
    migrations: Sequence[SqlMigration],
    target: str | None = None,
    on_step: StepCallback | None = None,
    in_transaction: InTransactionCallback | None = None,
) -> list[SqlMigration]:
    """Apply the pending migrations up to ``target`` (None or "head": all); those applied.

    Each migration commits on its own; a failure rolls that one back, raises
    :class:`MigrationFailed`, and leaves the earlier ones applied. Applied files that were
    edited since are a :class:`CheckFailed` before anything runs.
    """
    _require_no_transaction(conn)
    ensure_version_table(conn)
    applied = _applied_in(conn, migrations)
    problems = edited(applied, migrations)
    if problems:
        raise CheckFailed(problems[0])
    last = migrations[-1].number if migrations else 0
    stop = last if target in (None, "head") else find(migrations, target).number
    done = {int(row.version) for row in applied}
    if done and stop < max(done):
        raise RevisionError(
            f"target {target} is below the current version {max(done):0{_VERSION_WIDTH}d}; "
            "use downgrade to go back"
        )
    ran: list[SqlMigration] = []
    for migration in migrations:
        if migration.number > stop or migration.number in done:
            continue
        seconds = run_step(conn, migration, "up", in_transaction)
        ran.append(migration)
        if on_step is not None:
            on_step(migration, "up", seconds)
    return ran


def downgrade(
    conn: Connection,
    migrations: Sequence[SqlMigration],
    target: str | None = None,
    on_step: StepCallback | None = None,
    in_transaction: InTransactionCallback | None = None,
) -> list[SqlMigration]:
    """Undo the applied migrations above ``target`` (None or "base": all), newest first.

    Each down file and the deletion of its version row commit together; returns the
    migrations undone.
    """
    _require_no_transaction(conn)
    stop = 0 if target in (None, "base") else find(migrations, target).number
    applied = _applied_in(conn, migrations)
    by_number = {m.number: m for m in migrations}
    ran: list[SqlMigration] = []
    for row in reversed(applied):
        migration = by_number[int(row.version)]
        if migration.number <= stop:
            break
        seconds = run_step(conn, migration, "down", in_transaction)
        ran.append(migration)
        if on_step is not None:
            on_step(migration, "down", seconds)
    return ran


# ------------------------------------------------------------------------------ authoring


def slugify(message: str) -> str:
    """``"Add case SLA fields!"`` -> ``"add_case_sla_fields"``."""
    return "_".join(re.findall(r"[a-z0-9]+", message.lower()))


def next_pair(folder: Path, message: str) -> tuple[Path, Path]:
    """Create the next ``NNN_slug.up.sql`` / ``.down.sql`` in ``folder``; their paths."""
    slug = slugify(message)
    if not slug:
        raise ConfigError(f"message {message!r} has no letters or digits; describe the change")
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [
        int(match["version"])
        for path in folder.iterdir()
        if (match := _FILE_NAME.match(path.name)) is not None
    ]
    version = f"{max(numbers, default=0) + 1:0{_VERSION_WIDTH}d}"
    up = folder / f"{version}_{slug}.up.sql"
    down = folder / f"{version}_{slug}.down.sql"
    summary = " ".join(message.split())
    _create(
        up,
        f"-- {version} {summary}\n"
        "-- Portable SQL (SQLite and PostgreSQL); statements end with ';'. Where one file\n"
        f"-- cannot serve both, add {version}_{slug}.up.<dialect>.sql beside this one.\n\n",
    )
    try:
        _create(down, f"-- {version} {summary}: undo exactly what {up.name} does.\n\n")
    except BaseException:
        up.unlink()
        raise
    return up, down


def _create(path: Path, content: str) -> None:
    """Write a new file; an existing one is a ConfigError, never overwritten."""
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(content)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; pick another message or remove it") from None
