"""Applies a plan to one database: lock, re-check, validate, back up, one transaction per
step with its ledger row, unlock.

Whoever asks — ``netapps migrate``, ``run_migrations.py``, ``run_all_migrations.py`` — comes
through :func:`migrate`. Finding nothing to do takes no lock and makes no backup, so an app
already at head never waits behind another migrator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from netapps import backup, lock, recorder
from netapps.config import Project, Target
from netapps.database import run_on_target, scrub, write_transactions
from netapps.errors import CheckFailed, MigrationFailed, NetappsError, UsageError
from netapps.inspector import DatabaseState, edited_revisions, read_state
from netapps.revisions import Step
from netapps.source import Source
from netapps.urls import is_sqlite, sqlite_path

#: Progress events: ("step-done", target, step, seconds it took), after each step commits.
Progress = Callable[[str, Target, Step, float], None]


@dataclass
class MigrateOptions:
    destination: str = "head"
    lock_timeout: float = lock.DEFAULT_TIMEOUT
    backup: bool = True
    allow_destructive: bool = False
    #: Flyway's validate: refuse when an applied migration's file changed.
    validate: bool = True


@dataclass
class MigrateResult:
    target: Target
    start: tuple[str, ...] = ()
    end: tuple[str, ...] = ()
    steps: list[tuple[Step, float]] = field(default_factory=list)
    backup: Path | None = None
    error: NetappsError | None = None
    seconds: float = 0.0

    @property
    def app(self) -> str:
        return self.target.app.name

    @property
    def ok(self) -> bool:
        return self.error is None


def destructive_refusal(project: Project, steps: list[Step], allow: bool) -> str | None:
    if allow or project.environment != "production":
        return None  # checked first: flagging parses every migration file in full
    flagged = [s for s in steps if s.destructive]
    if not flagged:
        return None
    names = ", ".join(f"{s.revision.id} ({s.direction})" for s in flagged)
    return (
        f"refusing destructive migrations in production: {names}; review them with "
        "`netapps plan`, then rerun with --allow-destructive"
    )


@contextmanager
def migration_lock(conn: Connection, target: Target, timeout: float) -> Iterator[None]:
    path = sqlite_path(target.url)
    if path is not None:
        with lock.file_lock(path, target.name, timeout):
            yield
    elif is_sqlite(target.url):
        yield  # an in-memory database has one connection: nobody to race with
    elif target.url.get_backend_name() == "postgresql":
        # One lock per app and tenant: tenants in other schemas migrate side by side.
        with lock.postgres_lock(conn, target.name, timeout):
            yield
    else:
        yield


def migrate(
    project: Project,
    target: Target,
    source: Source,
    options: MigrateOptions,
    progress: Progress | None = None,
) -> MigrateResult:
    result = MigrateResult(target=target)
    began = time.perf_counter()
    try:
        source.revisions  # noqa: B018  (a broken migration file fails here, before any connection)
        run_on_target(
            target,
            lambda conn: _migrate_on(conn, project, target, source, options, progress, result),
            for_migrations=True,
        )
    except NetappsError as exc:
        result.error = _naming_target(exc, target)
    except Exception as exc:  # a bug or a driver error mid-run: still one line, still reported
        result.error = MigrationFailed(
            f"{target.name}: {scrub(str(exc).splitlines()[0], target.url)}"
        )
        result.error.__cause__ = exc
    result.seconds = time.perf_counter() - began
    return result


def _naming_target(exc: NetappsError, target: Target) -> NetappsError:
    """Errors name the app; with tenants, name the tenant's database too (app:tenant)."""
    prefix = f"{target.app.name}: "
    if not target.tenant or not str(exc).startswith(prefix):
        return exc
    renamed = type(exc)(f"{target.name}: {str(exc)[len(prefix) :]}")
    renamed.__cause__ = exc.__cause__
    return renamed


def _migrate_on(
    conn: Connection,
    project: Project,
    target: Target,
    source: Source,
    options: MigrateOptions,
    progress: Progress | None,
    result: MigrateResult,
) -> None:
    with guarded_run(conn, project, target, source, options, result, progress) as run:
        if run is not None:
            source.apply(conn, target, run.destination, run.on_step)


@dataclass
class GuardedRun:
    destination: str | None
    steps: list[Step]
    on_step: Callable[[Connection, Step, float], None]


@contextmanager
def guarded_run(
    conn: Connection,
    project: Project,
    target: Target,
    source: Source,
    options: MigrateOptions,
    result: MigrateResult,
    progress: Progress | None = None,
) -> Iterator[GuardedRun | None]:
    """Everything around applying steps: yields None when there is nothing to do, else the
    destination, the steps and the callback that records each step in the ledger.

    Shared by ``netapps`` (through :func:`migrate`) and by plain ``alembic upgrade`` in an
    app folder (through the shared env.py), so both lock, validate, back up and record alike.
    """
    state = read_state(conn, source)
    result.start = result.end = state.current
    destination = source.resolve(options.destination, state.current)
    if not source.steps(state.current, destination):
        if options.validate:
            _refuse_edited(target, source, state)  # Flyway's validate-on-migrate, even as a no-op
        yield None
        return
    with migration_lock(conn, target, options.lock_timeout):
        write_transactions(conn)
        # Another migrator may have finished while we waited: look again under the lock.
        state = read_state(conn, source)
        result.start = result.end = state.current
        destination = source.resolve(options.destination, state.current)
        steps = source.steps(state.current, destination)
        if not steps:
            yield None
            return
        _preflight(project, target, source, options, state, steps)
        # An empty database has nothing to lose: no backup before its first migration.
        if options.backup and backup.enabled(project) and (state.current or state.user_tables):
            result.backup = backup.make_backup(
                project, target, ",".join(state.current) or None, destination
            )
        recorder.ensure(conn)

        def on_step(step_conn: Connection, step: Step, seconds: float) -> None:
            recorder.record(
                step_conn,
                app=target.app.name,
                revision=step.revision.id,
                direction=step.direction,
                checksum=step.revision.checksum,
                seconds=seconds,
            )
            result.steps.append((step, seconds))
            if progress is not None:
                progress("step-done", target, step, seconds)

        try:
            yield GuardedRun(destination, steps, on_step)
        finally:
            if conn.in_transaction():
                conn.rollback()
            result.end = source.current(conn)


def _refuse_edited(target: Target, source: Source, state: DatabaseState) -> None:
    edited = edited_revisions(source, state.ledger, state.current)
    if edited:
        app = target.name
        files = ", ".join(e.revision.path.name for e in edited)
        raise CheckFailed(
            f"{app}: applied migration files changed since they ran: {files}; restore them, "
            f"or accept them with `netapps repair {app}`"
        )


def _preflight(
    project: Project,
    target: Target,
    source: Source,
    options: MigrateOptions,
    state: DatabaseState,
    steps: list[Step],
) -> None:
    app = target.name
    if not state.current and state.user_tables:
        raise CheckFailed(
            f"{app}: the database has tables ({', '.join(state.user_tables[:3])}"
            f"{', …' if len(state.user_tables) > 3 else ''}) but no migration version; run "
            f"`netapps adopt {app}` to compare them with the models and stamp it"
        )
    unknown = [r for r in state.current if r not in source.by_id]
    if unknown:
        raise CheckFailed(
            f"{app}: the database is at {', '.join(unknown)}, which no migration file defines "
            "(the code is older than the database); deploy the newer code"
        )
    if options.validate:
        _refuse_edited(target, source, state)
    refusal = destructive_refusal(project, steps, options.allow_destructive)
    if refusal:
        raise UsageError(f"{app}: {refusal}")


def stamp(
    target: Target, source: Source, revision: str | None, timeout: float = lock.DEFAULT_TIMEOUT
) -> None:
    """Record ``revision`` as the database's version without running anything (under the
    migration lock, and in the ledger as a "stamp")."""

    def work(conn: Connection) -> None:
        with migration_lock(conn, target, timeout):
            source.stamp(conn, target, revision)
            recorder.ensure(conn)
            with conn.begin():
                recorder.record(
                    conn,
                    app=target.app.name,
                    revision=revision or "base",
                    direction="stamp",
                    checksum=source.by_id[revision].checksum if revision else "",
                    seconds=0.0,
                )

    run_on_target(target, work, for_migrations=True)
