"""The command layer, as ``alembic.command`` is Alembic's: one plain function per command, taking
a project and options and returning data. The CLI (netapps.cli) only parses and prints; the
runner scripts, the tests and anyone's scripts call these functions directly.

    from netapps.config import load_project
    from netapps import commands

    project = load_project()
    results = commands.migrate(project, commands.targets(project, ["sap"]))
    assert all(r.ok for r in results)

Errors a user can act on are raised as :class:`netapps.errors.NetappsError` subclasses, each
with its documented exit code; per-database failures of ``migrate`` are reported in the
results instead, so that one failing database does not stop the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from netapps import backup, compare, executor, guards
from netapps.config import App, Project, Target
from netapps.errors import NetappsError, UsageError
from netapps.executor import DEFAULT_LOCK_TIMEOUT, MigrateOptions, MigrateResult, Progress
from netapps.plan import Direction, Plan, make_plan
from netapps.sources import source_for
from netapps.sources.base import Source
from netapps.state import DatabaseState
from netapps.status import BEHIND, UNVERSIONED, AppStatus, status_of

if TYPE_CHECKING:
    from netapps.analysis.findings import Finding as LintFinding

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "MigrateOptions",
    "MigrateResult",
    "adopt",
    "apps",
    "backups",
    "check",
    "default_workers",
    "folder_targets",
    "history",
    "lint",
    "merge",
    "migrate",
    "move",
    "one",
    "plan",
    "repair",
    "restore",
    "revision",
    "stamp",
    "status",
    "targets",
]


# -- choosing databases --------------------------------------------------------------------
def targets(project: Project, names: list[str] | None = None) -> list[Target]:
    """Every database of the named apps (all apps by default); ``app:tenant`` names one."""
    return project.targets(names)


def one(project: Project, name: str) -> tuple[Target, Source]:
    """One database: an app's, or one tenant's (``servicenow:acme``)."""
    found = project.targets([name])
    if len(found) != 1:
        app = found[0].app
        raise UsageError(
            f"{app.name} has {len(found)} tenant databases; name one, as {app.name}:TENANT"
        )
    return found[0], source_for(found[0])


def folder_targets(project: Project, folder: Path) -> list[Target]:
    """The databases of the app in ``folder`` (its run_migrations.py): one app is meant, so
    DATABASE_URL applies, as the guide says."""
    app = project.app_for_folder(folder)
    if len(app.tenants) > 1:
        return project.targets([app.name])
    return [project.target(app, single_app=True)]


# -- seeing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class AppRow:
    app: App
    #: The app's database; with tenants, its first tenant's.
    target: Target | None
    error: str = ""


def apps(project: Project) -> list[AppRow]:
    rows = []
    for app in project.apps:
        try:
            rows.append(AppRow(app, project.targets([app.name])[0]))
        except NetappsError as exc:
            rows.append(AppRow(app, None, str(exc)))
    return rows


def status(project: Project, names: list[str] | None = None) -> list[AppStatus]:
    return [status_of(project, t, source_for(t)) for t in project.targets(names)]


def history(project: Project, name: str) -> tuple[Source, AppStatus]:
    target, source = one(project, name)
    found = status_of(project, target, source)
    if found.error:
        raise found.error
    return source, found


@dataclass(frozen=True)
class PlanReport:
    plan: Plan
    source: Source
    #: Per step: what of it can destroy data, and its lock-aware lint findings (one line each).
    destructive: tuple[tuple[str, ...], ...]
    lint: tuple[tuple[str, ...], ...]
    #: The SQL the steps would run, when asked for.
    sql: str | None = None


def plan(
    project: Project, names: list[str] | None = None, to: str = "head", sql: bool = False
) -> list[PlanReport]:
    """Exactly what migrate would run, per database, in order; touches nothing."""
    reports = []
    for target in project.targets(names):
        source = source_for(target)
        found = status_of(project, target, source)
        if found.error:
            raise found.error
        made = make_plan(target, source, found.current, to)
        text = None
        if sql:
            text = source.offline_sql(target, made.current, made.destination) if made.steps else ""
        findings = source.lint(list(made.steps))
        lint = tuple(
            tuple(f.text() for f in findings if f.migration == step.revision.id)
            if step.direction == "up"
            else ()
            for step in made.steps
        )
        destructive = tuple(source.destructive(step) for step in made.steps)
        reports.append(PlanReport(made, source, destructive, lint, text))
    return reports


@dataclass(frozen=True)
class LintReport:
    """An app's lock-aware findings, split by its reviewed baseline (``lint-baseline.toml``
    in the app's folder): only new findings fail."""

    app: App
    new: list[LintFinding]
    acknowledged: list[LintFinding]
    #: Baseline entries that no longer match any finding (to be removed from the file).
    stale: list[str]


def lint(project: Project, names: list[str] | None = None) -> list[LintReport]:
    """Every migration of the named apps (all by default), rendered for PostgreSQL and read by
    its grammar: what each statement locks, for how long, and the safe recipe."""
    from netapps.analysis.api import check_app

    reports = []
    seen: set[str] = set()
    for target in project.targets(names):
        if target.app.name in seen:
            continue  # tenants share their app's migrations
        seen.add(target.app.name)
        split = check_app(target.app.folder, target.app.kind, runner_sets_lock_timeout=True)
        stale = [f"{entry.migration} {entry.rule}" for entry in split.stale]
        reports.append(LintReport(target.app, split.new, split.acknowledged, stale))
    return reports


# -- applying ------------------------------------------------------------------------------
def default_workers() -> int:
    return os.cpu_count() or 1


def migrate(
    project: Project,
    chosen: list[Target],
    options: MigrateOptions | None = None,
    *,
    workers: int = 1,
    progress: Progress | None = None,
    on_result: Callable[[MigrateResult], None] | None = None,
) -> list[MigrateResult]:
    """Bring each database where ``options`` say (head by default), ``workers`` at a time;
    when one fails, the others still run. Results in the order of ``chosen``."""
    from netapps.parallel import migrate_all

    options = options or MigrateOptions()
    spec = options.destination.strip()
    if options.direction != "down" and spec.startswith("-") and spec[1:].isdigit():
        # A step down relative to wherever the database is: a downgrade, asked for by name.
        names = " ".join(sorted({t.name for t in chosen})) or "APP"
        raise UsageError(
            f"migrate --to {spec} would downgrade; use `netapps downgrade {names} {spec}` "
            "(one app at a time)"
        )
    return migrate_all(project, chosen, options, workers, progress, on_result)


@dataclass(frozen=True)
class Downgrade:
    """A database that ``migrate --to`` would take down, and what that costs."""

    target: Target
    plan: Plan
    #: The steps down that drop data: (revision, what it drops).
    dropping: tuple[tuple[str, tuple[str, ...]], ...]


def planned_downgrades(project: Project, chosen: list[Target], to: str) -> list[Downgrade]:
    """The databases ``migrate --to TO`` would take down, read without the lock (a move down
    that was not confirmed is refused again under it: MigrateOptions.direction). A database
    that cannot be read, or a revision that cannot be resolved, is left to the run to report."""
    spec = to.strip()
    if spec in ("head", "heads"):
        return []
    found = []
    for target in chosen:
        source = source_for(target)
        state = status_of(project, target, source)
        if state.error:
            continue
        try:
            plan = make_plan(target, source, state.current, spec)
        except NetappsError:
            continue
        if plan.direction != "down":
            continue
        dropping = tuple(
            (step.revision.id, drops) for step in plan.steps if (drops := source.destructive(step))
        )
        found.append(Downgrade(target, plan, dropping))
    return found


def move(
    project: Project,
    name: str,
    revision: str,
    direction: Direction,
    options: MigrateOptions | None = None,
    progress: Progress | None = None,
) -> MigrateResult:
    """``upgrade`` / ``downgrade`` one database to ``revision`` (an id, a prefix, +N/-N,
    head, base). The destination and the direction are decided under the migration lock: a
    move that would go the other way is refused, not run."""
    target, source = one(project, name)
    options = options or MigrateOptions()
    options.destination, options.direction = revision, direction
    return executor.migrate(project, target, source, options, progress)


def stamp(
    project: Project, name: str, revision: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> tuple[Target, str | None]:
    """Record ``revision`` without running anything; the target and the revision stamped."""
    target, source = one(project, name)
    return target, executor.stamp(target, source, revision, lock_timeout)


def safe_message(message: str) -> str:
    """A revision message as it may be written into a new migration file: one line (a line
    break would end an SQL comment), no double quote or backslash (either would end the
    docstring of an Alembic file and let the rest run as code)."""
    text = " ".join(message.split()).replace("\\", "/").replace('"', "'")
    if not any(c.isalnum() for c in text):
        raise UsageError(f"message {message!r} has no letters or digits; describe the change")
    return text


def revision(
    project: Project, name: str, message: str, autogenerate: bool = False
) -> tuple[Target, list[Path]]:
    target, source = one(project, name)
    return target, source.create_revision(
        safe_message(message), autogenerate=autogenerate, target=target
    )


def merge(project: Project, name: str, message: str = "merge heads") -> tuple[Target, Path]:
    target, source = one(project, name)
    return target, source.merge(safe_message(message), target)


# -- checking ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckFinding:
    target: Target
    problem: str
    fix: str


def check(
    project: Project, names: list[str] | None = None, allow_pending: bool = False
) -> list[CheckFinding]:
    """The CI gate: every guard's findings, pending migrations (unless allowed), the
    differences between models and migrations, and lint findings not in the app's baseline.
    Empty when all is well."""
    found: list[CheckFinding] = []
    chosen = project.targets(names)
    for target in chosen:
        found += [CheckFinding(target, p, f) for p, f in _check_one(project, target, allow_pending)]
    first_target = {t.app.name: t for t in reversed(chosen)}
    for report in lint(project, names):
        found += [
            CheckFinding(
                first_target[report.app.name],
                f"lint: {finding.text()}",
                f"{finding.recipe}; or acknowledge it with a reason in "
                f"{report.app.name}'s lint-baseline.toml",
            )
            for finding in report.new
        ]
    return found


def _check_one(project: Project, target: Target, allow_pending: bool) -> list[tuple[str, str]]:
    source = source_for(target)
    app = target.app.name
    try:
        heads = source.heads()
    except NetappsError as exc:
        return [(str(exc), "fix the migration file it names")]
    current = status_of(project, target, source)
    if current.error:
        return [(str(current.error), f"check {target.display_url} and its credentials")]
    state = DatabaseState(current.current, current.ledger, current.user_tables)
    pending_plan = make_plan(target, source, current.current, "head") if len(heads) == 1 else None
    situation = guards.Situation(
        project, target, source, state, pending_plan, purpose="check", heads=heads
    )
    findings = [(f.problem, f.fix) for f in guards.findings(situation)]
    if current.state == BEHIND and not allow_pending:
        pending = ", ".join(s.revision.id for s in current.pending)
        findings.append((f"{len(current.pending)} pending: {pending}", f"netapps migrate {app}"))
    if len(heads) <= 1:
        try:
            at_head = current.state not in (BEHIND, UNVERSIONED) and not current.unknown
            diffs = (
                compare.compare_models(target, source)
                if at_head
                else compare.compare_models_on_scratch(target, source)
            )
        except NetappsError as exc:
            diffs = [f"could not compare models with migrations: {exc}"]
        findings += [
            (
                f"models and migrations differ: {diff}",
                f'netapps revision {app} --autogenerate -m "describe the change"',
            )
            for diff in diffs
        ]
    return findings


def adopt(project: Project, name: str) -> tuple[Target, list[str]]:
    """Stamp head when the live tables match the models at head; else the differences."""
    target, source = one(project, name)
    app = target.name
    current = status_of(project, target, source)
    if current.error:
        raise current.error
    if current.current:
        raise UsageError(
            f"{app} is already versioned (at {', '.join(current.current)}); nothing to adopt"
        )
    if not current.user_tables:
        raise UsageError(f"{app}'s database has no tables; run `netapps migrate {app}` instead")
    if source.kind != "alembic":
        raise UsageError(
            f"{app} is a SQL-file app: adopt needs models to compare with; stamp it explicitly"
        )
    differences = compare.compare_models(target, source)
    if not differences:
        executor.stamp(target, source, "head")
    return target, differences


def repair(
    project: Project, name: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> tuple[Target, list[str]]:
    """Accept edited migration files, under the migration lock; what was accepted."""
    target, source = one(project, name)
    if not target.engine.exists(target):
        return target, []
    return target, executor.repair(target, source, lock_timeout)


# -- backups -------------------------------------------------------------------------------
def backups(project: Project, name: str) -> tuple[Path, list[backup.BackupFile]]:
    """The folder of an app's backups, and the backups in it, newest first."""
    app = project.find(name.partition(":")[0])
    return backup.backup_dir(project, app.name), backup.list_backups(project, app.name)


def check_restore(
    project: Project, name: str, file: Path, *, other_database: bool = False
) -> Target:
    """The database ``file`` would be restored into, after checking the file (its manifest:
    same app, tenant, engine and, unless ``other_database``, database; its checksum and its
    integrity) before anyone is asked, any lock taken or any connection opened."""
    target, source = one(project, name)
    backup.check_backup_file(target, file.resolve(), source=source, other_database=other_database)
    return target


def restore(
    project: Project,
    name: str,
    file: Path,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    *,
    other_database: bool = False,
) -> tuple[Target, Path | None]:
    """Replace a database with a backup, under the migration lock, after backing up what it
    holds now; the target, and that backup (None when the database was empty)."""
    target, source = one(project, name)
    backup.check_backup_file(target, file.resolve(), source=source, other_database=other_database)
    saved = executor.restore(
        project, target, source, file.resolve(), lock_timeout, other_database=other_database
    )
    return target, saved
