"""Applies a plan to one database: lock, plan again, guard, back up, one transaction per step
with its ledger row, unlock.

Whoever asks — ``netapps``, ``run_migrations.py``, ``run_all_migrations.py`` or ``alembic
upgrade``/``downgrade`` typed in an app folder — comes through :func:`guarded_run`. Finding
nothing to do takes no lock and makes no backup, so an app already at head never waits behind
another migrator. Stamping and repairing, which write version rows without running a
migration, hold the same lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection

from netapps import backup, guards, recorder, settings
from netapps.config import Project, Target
from netapps.connection import run_on_target, scrub
from netapps.errors import LockTimeout, MigrationFailed, NetappsError
from netapps.plan import Direction, Plan, make_plan, require_direction
from netapps.replay_record import Recorder, recorder_for
from netapps.settings import Timeouts
from netapps.sources.base import Source
from netapps.sources.revisions import Step
from netapps.state import DatabaseState, edited_revisions, read_state

DEFAULT_LOCK_TIMEOUT = 300.0


@dataclass(frozen=True)
class Event:
    """Progress: a step committed ("step-done"), or a step rolled back after waiting
    ``seconds`` for a table lock, to be retried after ``pause`` ("lock-retry")."""

    kind: Literal["step-done", "lock-retry"]
    target: Target
    step: Step
    seconds: float
    attempt: int = 0
    retries: int = 0
    pause: float = 0.0
    blocker: str = ""


Progress = Callable[[Event], None]


@dataclass
class MigrateOptions:
    #: Where to go, as users type it: head, base, -1, +2, a revision id or a unique prefix.
    destination: str = "head"
    #: ``upgrade`` and ``downgrade`` say which way; ``migrate`` goes either way.
    direction: Direction | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    backup: bool = True
    allow_destructive: bool = False
    #: Flyway's validate: refuse when an applied migration's file changed.
    validate: bool = True
    #: PostgreSQL: seconds a statement may wait for a table lock, seconds it may run, and
    #: retries after a lock time-out. None: netapps.toml's ([migrations] or the app's).
    ddl_lock_timeout: float | None = None
    statement_timeout: float | None = None
    lock_retries: int | None = None

    def timeouts(self, project: Project, target: Target) -> Timeouts:
        configured = settings.timeouts(project.settings, target.app.spec)
        return Timeouts(
            ddl_lock_timeout=_given(self.ddl_lock_timeout, configured.ddl_lock_timeout),
            statement_timeout=_given(self.statement_timeout, configured.statement_timeout),
            lock_retries=int(_given(self.lock_retries, configured.lock_retries)),
        )


def _given(value: float | None, default: float) -> float:
    return default if value is None else value


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


def migrate(
    project: Project,
    target: Target,
    source: Source,
    options: MigrateOptions,
    progress: Progress | None = None,
) -> MigrateResult:
    """Bring one database where ``options`` say; errors are reported in the result."""
    result = MigrateResult(target=target)
    began = time.perf_counter()
    try:
        source.revisions  # noqa: B018  (a broken migration file fails here, before any connection)

        def work(conn: Connection) -> None:
            with guarded_run(conn, project, target, source, options, result, progress) as run:
                if run is not None:
                    _apply_retrying(conn, project, target, source, options, run, result, progress)

        run_on_target(target, work, for_migrations=True)
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


@dataclass
class GuardedRun:
    """A validated plan, and the callback that records each step in the ledger (and checks
    that it is a step of the plan). After a lock time-out the plan is made again from what
    was applied (under the same migration lock)."""

    plan: Plan
    on_step: Callable[[Connection, Step, float], None]
    timeouts: Timeouts
    #: Records an empty → head build for the replay cache (netapps.replay_record), if any.
    recording: Recorder | None = None


def _apply_retrying(
    conn: Connection,
    project: Project,
    target: Target,
    source: Source,
    options: MigrateOptions,
    run: GuardedRun,
    result: MigrateResult,
    progress: Progress | None,
) -> None:
    """Apply the plan; a migration that gave up waiting for a table lock was rolled back
    whole, so it is retried, with backoff, until it runs or the retries are spent. Meanwhile
    the app's queries never queue for longer than the lock time-out behind a migration."""
    engine = target.engine
    attempt = 1
    while True:
        began = time.perf_counter()
        try:
            if attempt > 1:  # a concurrent build cut off by the time-out left an invalid index
                engine.drop_invalid_indexes(conn, source.concurrent_indexes(list(run.plan.steps)))
            source.apply(conn, target, run.plan, run.on_step)
            return
        except Exception as exc:
            if run.recording is not None:
                run.recording.discard("a step failed")
            if not engine.is_lock_timeout(exc):
                raise
            waited = time.perf_counter() - began
            if conn.in_transaction():
                conn.rollback()
            # A step cut off inside Alembic's autocommit_block leaves the connection in
            # autocommit: back to the transactions every step runs in.
            conn.execution_options(isolation_level=conn.default_isolation_level)
            done = {step for step, _seconds in result.steps}
            blocked = next(step for step in run.plan.steps if step not in done)
            blocker = engine.lock_blockers(conn, target) or "the blocking session is gone"
            with conn.begin():
                recorder.record(
                    conn,
                    app=target.app.name,
                    revision=blocked.revision.id,
                    direction="retry",
                    checksum=blocked.revision.checksum,
                    seconds=waited,
                )
            retries = run.timeouts.lock_retries
            if attempt > retries:
                raise LockTimeout(
                    f"{target.name}: {blocked.revision.id} could not take a table lock within "
                    f"{run.timeouts.ddl_lock_timeout:g} s in {attempt} "
                    f"attempt{'s' * (attempt > 1)}; blocked by {blocker}. End that "
                    "transaction, or retry later (--ddl-lock-timeout, "
                    "--lock-retries)"
                ) from exc
            pause = min(0.5 * 2 ** (attempt - 1), 30.0)
            if progress is not None:
                progress(
                    Event("lock-retry", target, blocked, waited, attempt, retries, pause, blocker)
                )
            time.sleep(pause)
            attempt += 1
            # Steps done before the time-out stay done: plan the rest from the database.
            run.plan = make_plan(target, source, source.current(conn), options.destination)
            if run.plan.is_noop:
                return


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
    plan made under the lock and the per-step callback."""
    state = read_state(conn, source, target)
    result.start = result.end = state.current
    plan = make_plan(target, source, state.current, options.destination)
    if plan.is_noop:
        _validate(project, target, source, state, options)  # Flyway's validate, even as a no-op
        yield None
        return
    engine = target.engine
    with engine.lock(conn, target, options.lock_timeout):
        engine.begin_writes(conn)
        timeouts = options.timeouts(project, target)
        engine.set_timeouts(conn, timeouts)
        # Another migrator may have finished while we waited: plan again from what is there
        # now. Relative targets (-1, +2) and the direction are decided here, under the lock.
        state = read_state(conn, source, target)
        result.start = result.end = state.current
        plan = make_plan(target, source, state.current, options.destination)
        if plan.is_noop:
            yield None
            return
        require_direction(plan, options.direction, options.destination)
        guards.preflight(
            guards.Situation(
                project,
                target,
                source,
                state,
                plan,
                allow_destructive=options.allow_destructive,
                validate=options.validate,
                heads=source.heads(),
            )
        )
        # An empty database has nothing to lose: no backup before its first migration.
        if options.backup and backup.enabled(project) and (state.current or state.user_tables):
            result.backup = backup.make_backup(
                project,
                target,
                ",".join(state.current) or None,
                plan.destination,
                source=source,
                conn=conn,
            )
        # An empty database built to head: what runs is recorded for the next empty one.
        recording = None
        if not state.current and not state.user_tables and not state.ledger:
            recording = recorder_for(conn, target, source, plan.steps)
        if recording is not None:
            recording.start(conn)
        recorder.ensure(conn)
        # A concurrent index build that failed or was killed leaves an INVALID index behind,
        # which IF NOT EXISTS would then skip: drop it, so the step builds it again.
        engine.drop_invalid_indexes(conn, source.concurrent_indexes(list(plan.steps)))

        def on_step(step_conn: Connection, step: Step, seconds: float) -> None:
            # Alembic may order independent branches differently; what it must never do is run
            # a step the plan (which the guards validated) does not have, or one twice.
            plan = run.plan
            if step not in plan.steps or any(step == done for done, _s in result.steps):
                # Raised inside the step's transaction: the step is rolled back.
                raise MigrationFailed(
                    f"{target.name}: the migration tool ran {step.revision.id} ({step.direction}),"
                    f" which the validated plan ({_named(plan)}) does not have; it was rolled "
                    f"back. Run `netapps plan {target.name}` and report this"
                )
            if run.recording is not None:
                run.recording.step_done(step)
                run.recording.paused = True  # the ledger row is written afresh by a replay
            try:
                recorder.record(
                    step_conn,
                    app=target.app.name,
                    revision=step.revision.id,
                    direction=step.direction,
                    checksum=step.revision.checksum,
                    seconds=seconds,
                )
            finally:
                if run.recording is not None:
                    run.recording.paused = False
            result.steps.append((step, seconds))
            if progress is not None:
                progress(Event("step-done", target, step, seconds))

        run = GuardedRun(plan, on_step, timeouts, recording)
        completed = False
        try:
            yield run
            completed = True
        finally:
            if recording is not None:
                recording.stop()
            if conn.in_transaction():
                conn.rollback()
            result.end = source.current(conn)
        if recording is not None and completed and result.end == (plan.destination,):
            # A cache that cannot be written only costs the next empty build its time.
            with suppress(Exception):
                recording.save(plan.steps)


def _named(plan: Plan) -> str:
    return ", ".join(f"{s.revision.id} ({s.direction})" for s in plan.steps)


def _validate(
    project: Project, target: Target, source: Source, state: DatabaseState, options: MigrateOptions
) -> None:
    situation = guards.Situation(project, target, source, state, validate=options.validate)
    for finding in guards.edited_files(situation):
        raise finding.as_error(target)


def stamp(
    target: Target, source: Source, spec: str, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> str | None:
    """Record ``spec`` as the database's version without running anything (under the
    migration lock, resolved there, and in the ledger as a "stamp"); the revision stamped."""
    return run_on_target(
        target, lambda conn: stamp_on(conn, target, source, spec, timeout), for_migrations=True
    )


#: Writes the version a stamp records: (connection, target, revision or None for base).
StampWriter = Callable[[Connection, Target, "str | None"], None]


def stamp_on(
    conn: Connection,
    target: Target,
    source: Source,
    spec: str,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    write: StampWriter | None = None,
) -> str | None:
    """:func:`stamp` on an open connection. ``write`` writes the version (default: the
    source's stamp); ``alembic stamp`` typed by hand hands in Alembic's own, so that its
    options (``--purge``, several revisions) apply, under the same lock and with the same
    ledger row."""
    with target.engine.lock(conn, target, timeout):
        revision = source.resolve(spec, source.current(conn))
        (write or source.stamp)(conn, target, revision)
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
        return revision


def repair(target: Target, source: Source, timeout: float = DEFAULT_LOCK_TIMEOUT) -> list[str]:
    """Accept edited migration files (Flyway's repair): under the migration lock, the ledger
    (and the SQL kind's own version table) take the files' current checksums."""

    def work(conn: Connection) -> list[str]:
        with target.engine.lock(conn, target, timeout):
            state = read_state(conn, source, target)
            edited = edited_revisions(source, state.ledger, state.current)
            if not edited:
                return []
            recorder.ensure(conn)
            with conn.begin():
                source.accept_checksums(conn, [e.revision for e in edited])
                for item in edited:
                    recorder.record(
                        conn,
                        app=target.app.name,
                        revision=item.revision.id,
                        direction="repair",
                        checksum=item.revision.checksum,
                        seconds=0.0,
                    )
            return [
                f"{e.revision.path.name} (checksum {e.recorded[:12]}… → "
                f"{e.revision.checksum[:12]}…)"
                for e in edited
            ]

    return run_on_target(target, work)


def restore(
    project: Project,
    target: Target,
    source: Source,
    file: Path,
    timeout: float,
    *,
    other_database: bool = False,
) -> Path | None:
    """Replace the database with a backup, under the migration lock (no migrator may run
    while the database is replaced), after backing up what it holds; that backup, if any."""

    def work(conn: Connection) -> Path | None:
        with target.engine.lock(conn, target, timeout):
            return backup.restore(
                project, target, file, source=source, conn=conn, other_database=other_database
            )

    return run_on_target(target, work)
