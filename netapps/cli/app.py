"""The ``netapps`` command line: see, plan, migrate, roll back and check every app's database.

Each command only parses its arguments, calls its function in netapps.commands and hands the
result to report for a table or JSON. Errors are one line and a documented exit code
(netapps.errors); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import sys
import traceback
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from netapps import commands, errors
from netapps.cli import report
from netapps.config import Project, Target, load_project
from netapps.errors import NetappsError, UsageError
from netapps.executor import DEFAULT_LOCK_TIMEOUT, Event, MigrateOptions, MigrateResult
from netapps.plan import Direction
from netapps.status import UP_TO_DATE

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Plan, apply, check, back up and roll back the databases of every Network-apps app.",
)


class State:
    debug = False
    environment: str | None = None
    #: Set by an app's run_migrations.py: migrate means that app, and DATABASE_URL applies.
    app_folder: Path | None = None


AppsArg = Annotated[
    list[str] | None,
    typer.Argument(help="Apps to act on (sap, mulesoft, servicenow, salesforce); default: all."),
]
AppArg = Annotated[str, typer.Argument(help="The app (sap, mulesoft, servicenow, salesforce).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]


@cli.callback()
def _global(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    env: Annotated[
        str | None, typer.Option("--env", help="Environment (default: NETAPPS_ENV, else dev).")
    ] = None,
) -> None:
    State.debug = debug
    State.environment = env


def _project() -> Project:
    return load_project(environment=State.environment)


def _announce(target: Target, json_output: bool) -> None:
    if not json_output and not target.tenant:  # a thousand tenants: progress lines suffice
        report.err.print(f"[dim]{report.where(target)} (from {escape(target.source)})[/dim]")


# -- seeing --------------------------------------------------------------------------------
@cli.command("apps")
def apps_command(json_output: JsonOpt = False) -> None:
    """The registered apps: name, folder, kind, engine and (masked) database URL."""
    project = _project()
    rows = [(row.app, row.target, row.error) for row in commands.apps(project)]
    if json_output:
        report.emit_json(report.apps_json(rows))
    else:
        report.out.print(report.apps_table(project, rows))


@cli.command("status")
def status_command(
    apps: AppsArg = None,
    json_output: JsonOpt = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit non-zero unless every app is up to date.")
    ] = False,
    tenants: Annotated[
        bool, typer.Option("--tenants", help="One row per tenant database, not a summary.")
    ] = False,
) -> None:
    """Each database: current revision, head(s), pending count and state."""
    project = _project()
    statuses = commands.status(project, apps)
    if json_output:
        report.emit_json(report.status_json(statuses))
    else:
        report.out.print(report.status_table(project, statuses, expand=tenants))
    # "Could not tell" always fails, as `alembic current` does; "behind" only with --exit-code.
    codes = [s.error.exit_code for s in statuses if s.error]
    if codes:
        raise typer.Exit(codes[0])
    if exit_code and any(s.state != UP_TO_DATE or s.edited for s in statuses):
        raise typer.Exit(errors.EXIT_CHECK_FAILED)


@cli.command("history")
def history_command(app: AppArg, json_output: JsonOpt = False) -> None:
    """An app's revisions, the current one marked, with when and by whom each was applied."""
    source, status = commands.history(_project(), app)
    if json_output:
        report.emit_json(report.history_json(source, status))
    else:
        report.out.print(report.history_table(source, status))


# -- planning and applying ------------------------------------------------------------------
@cli.command("plan")
def plan_command(
    apps: AppsArg = None,
    to: Annotated[str, typer.Option("--to", help="Target revision (default: head).")] = "head",
    sql: Annotated[bool, typer.Option("--sql", help="Print the SQL that would run.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Exactly what migrate would run, per app, in order; touches nothing."""
    reports = commands.plan(_project(), apps, to, sql)
    if json_output:
        document = report.plan_json(reports)
        if sql:
            for entry, item in zip(document, reports, strict=True):
                entry["sql"] = item.sql
        report.emit_json(document)
        return
    for item in reports:
        # With --sql, stdout is SQL only (for psql -f): the plan itself goes to stderr.
        report.print_plan(item, report.err if sql else report.out)
        if item.sql:
            sys.stdout.write(item.sql)
            sys.stdout.flush()


def _progress(json_output: bool, event: Event) -> None:
    if json_output:
        return
    arrow = "↑" if event.step.direction == "up" else "↓"
    where = f"{escape(event.target.name)} {arrow} {event.step.revision.id}"
    if event.kind == "step-done":
        report.err.print(f"  [green]✓[/green] {where} ({event.seconds:.2f} s)")
    else:
        report.err.print(
            f"  [yellow]⟳[/yellow] {where}: no table lock within {event.seconds:.1f} s, rolled "
            f"back (attempt {event.attempt} of {event.retries + 1}); retrying in "
            f"{event.pause:g} s. Holding the lock: {escape(event.blocker)}"
        )


def _run_migrations(
    project: Project,
    targets: list[Target],
    options: MigrateOptions,
    json_output: bool,
    workers: int = 1,
) -> list[MigrateResult]:
    def on_result(result: MigrateResult) -> None:
        if result.error and not json_output:
            report.err.print(f"[red]error:[/red] {escape(str(result.error))}")
            if State.debug and result.error.__cause__ is not None:
                traceback.print_exception(result.error)

    if workers <= 1:
        for target in targets:
            _announce(target, json_output)
    return commands.migrate(
        project,
        targets,
        options,
        workers=workers,
        progress=partial(_progress, json_output),
        on_result=on_result,
    )


def _finish(results: list[MigrateResult], json_output: bool) -> None:
    if json_output:
        report.emit_json(report.migrate_json(results))
    else:
        report.out.print(report.migrate_table(results))
    failed = [r for r in results if r.error]
    if failed:
        raise typer.Exit(failed[0].error.exit_code if failed[0].error else 1)


LockOpt = Annotated[
    float,
    typer.Option(
        "--lock-timeout", help="Seconds to wait for another migrator's lock (default 300)."
    ),
]
NoBackupOpt = Annotated[bool, typer.Option("--no-backup", help="Do not back up before changing.")]
DestructiveOpt = Annotated[
    bool,
    typer.Option("--allow-destructive", help="Allow dropping tables/columns in production."),
]
DdlLockOpt = Annotated[
    float | None,
    typer.Option(
        "--ddl-lock-timeout",
        min=0,
        help="PostgreSQL: seconds a migration may wait for a table lock before it is rolled "
        "back and retried (default 5, or netapps.toml's).",
    ),
]
StatementOpt = Annotated[
    float | None,
    typer.Option(
        "--statement-timeout",
        min=0,
        help="PostgreSQL: seconds one statement may run, 0 for no limit (default 1800).",
    ),
]
RetriesOpt = Annotated[
    int | None,
    typer.Option("--lock-retries", min=0, help="Retries after a table-lock time-out (default 5)."),
]


@cli.command("migrate")
def migrate_command(
    apps: AppsArg = None,
    to: Annotated[str, typer.Option("--to", help="Target revision (default: head).")] = "head",
    lock_timeout: LockOpt = DEFAULT_LOCK_TIMEOUT,
    no_backup: NoBackupOpt = False,
    allow_destructive: DestructiveOpt = False,
    ddl_lock_timeout: DdlLockOpt = None,
    statement_timeout: StatementOpt = None,
    lock_retries: RetriesOpt = None,
    json_output: JsonOpt = False,
    parallel: Annotated[
        int | None,
        typer.Option("--parallel", min=1, help="Databases migrated at once (default: CPUs)."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Go down without asking when --to is below.")
    ] = False,
) -> None:
    """Bring the apps to head (or --to REV); when one fails, the others still run. A --to
    below the current revision is a downgrade: shown, and asked for (or --yes)."""
    project = _project()
    if State.app_folder is not None:
        targets = commands.folder_targets(project, State.app_folder)
    else:
        targets = commands.targets(project, apps)
    options = MigrateOptions(
        destination=to,
        lock_timeout=lock_timeout,
        backup=not no_backup,
        allow_destructive=allow_destructive,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        lock_retries=lock_retries,
    )
    spec = to.strip()
    if not (spec.startswith("-") and spec[1:].isdigit()):  # refused as such below
        downgrades = commands.planned_downgrades(project, targets, to)
        _confirm_downgrades(downgrades, to, yes)
        # Nothing confirmed going down: a database found below --to now but above it under
        # the lock (another migrator ran meanwhile) is refused there, not taken down.
        options.direction = None if downgrades else "up"
    workers = parallel or commands.default_workers()
    _finish(_run_migrations(project, targets, options, json_output, workers), json_output)


def _confirm_downgrades(downgrades: list[commands.Downgrade], to: str, yes: bool) -> None:
    """Say which databases ``migrate --to`` takes down, by how many revisions and which of
    them drop data; then ask, as ``restore`` does (no terminal: --yes is needed)."""
    if not downgrades:
        return
    shown = 10
    for down in downgrades[:shown]:
        count = len(down.plan.steps)
        where = ", ".join(down.plan.current) or "base"
        report.err.print(
            f"{down.target.name}: --to {to} is a downgrade of {count} revision"
            f"{'s' * (count != 1)} ({where} → {down.plan.destination_name})",
            markup=False,
        )
        for revision, drops in down.dropping:
            report.err.print(f"  {revision} drops data: {'; '.join(drops)}", markup=False)
    if len(downgrades) > shown:
        report.err.print(f"... and {len(downgrades) - shown} more databases", markup=False)
    if yes:
        return
    first = downgrades[0]
    hint = f"`netapps downgrade {first.target.name} {to}`"
    if not sys.stdin.isatty():
        raise UsageError(
            f"migrate --to {to} would downgrade {first.target.name}"
            f"{f' and {len(downgrades) - 1} more' if len(downgrades) > 1 else ''}; confirm "
            f"with --yes, or use {hint}"
        )
    if not typer.confirm("Downgrade?"):
        raise typer.Exit(errors.EXIT_USAGE)


def _move(
    app: str, revision: str, json_output: bool, options: MigrateOptions, direction: Direction
) -> None:
    project = _project()
    target, _source = commands.one(project, app)
    _announce(target, json_output)
    result = commands.move(
        project, app, revision, direction, options, partial(_progress, json_output)
    )
    if result.error and not json_output:
        report.err.print(f"[red]error:[/red] {escape(str(result.error))}")
    _finish([result], json_output)


# "-1" must reach the command as a revision, not be read as an option.
_NEGATIVE_ARGS = {"ignore_unknown_options": True}


@cli.command("upgrade", context_settings=_NEGATIVE_ARGS)
def upgrade_command(
    app: AppArg,
    revision: Annotated[str, typer.Argument(help="Revision id or unique prefix, +N, or head.")],
    lock_timeout: LockOpt = DEFAULT_LOCK_TIMEOUT,
    no_backup: NoBackupOpt = False,
    allow_destructive: DestructiveOpt = False,
    ddl_lock_timeout: DdlLockOpt = None,
    statement_timeout: StatementOpt = None,
    lock_retries: RetriesOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Upgrade one app to REV."""
    options = MigrateOptions(
        lock_timeout=lock_timeout,
        backup=not no_backup,
        allow_destructive=allow_destructive,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        lock_retries=lock_retries,
    )
    _move(app, revision, json_output, options, "up")


@cli.command("downgrade", context_settings=_NEGATIVE_ARGS)
def downgrade_command(
    app: AppArg,
    revision: Annotated[str, typer.Argument(help="Revision id or unique prefix, -N, or base.")],
    lock_timeout: LockOpt = DEFAULT_LOCK_TIMEOUT,
    no_backup: NoBackupOpt = False,
    allow_destructive: DestructiveOpt = False,
    ddl_lock_timeout: DdlLockOpt = None,
    statement_timeout: StatementOpt = None,
    lock_retries: RetriesOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Downgrade one app to REV (a backup is made first)."""
    options = MigrateOptions(
        lock_timeout=lock_timeout,
        backup=not no_backup,
        allow_destructive=allow_destructive,
        ddl_lock_timeout=ddl_lock_timeout,
        statement_timeout=statement_timeout,
        lock_retries=lock_retries,
    )
    _move(app, revision, json_output, options, "down")


@cli.command("stamp")
def stamp_command(
    app: AppArg,
    revision: Annotated[str, typer.Argument(help="Revision, head or base.")],
    lock_timeout: LockOpt = DEFAULT_LOCK_TIMEOUT,
    json_output: JsonOpt = False,
) -> None:
    """Record REV as the database's revision without running any migration."""
    project = _project()
    target, _source = commands.one(project, app)
    _announce(target, json_output)
    target, stamped = commands.stamp(project, app, revision, lock_timeout)
    if json_output:
        report.emit_json({"app": target.app.name, "url": target.display_url, "stamped": stamped})
    else:
        report.out.print(f"{target.name}: stamped {stamped or 'base'}")


@cli.command("revision")
def revision_command(
    app: AppArg,
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")],
    autogenerate: Annotated[
        bool, typer.Option("--autogenerate", help="Compare models with the database.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Create the app's next revision (NNN_slug); --autogenerate fills it from the models."""
    project = _project()
    target, paths = commands.revision(project, app, message, autogenerate)
    if json_output:
        report.emit_json({"app": target.app.name, "files": [str(p) for p in paths]})
    else:
        for path in paths:
            report.out.print(f"{target.app.name}: created {report.shown_path(path, project.root)}")


@cli.command("merge")
def merge_command(
    app: AppArg,
    message: Annotated[str, typer.Option("-m", "--message")] = "merge heads",
    json_output: JsonOpt = False,
) -> None:
    """Join an app's heads with a merge revision."""
    project = _project()
    target, path = commands.merge(project, app, message)
    if json_output:
        report.emit_json({"app": target.app.name, "file": str(path)})
    else:
        report.out.print(f"{target.app.name}: created {report.shown_path(path, project.root)}")


# -- checking ------------------------------------------------------------------------------
@cli.command("check")
def check_command(
    apps: AppsArg = None,
    allow_pending: Annotated[
        bool, typer.Option("--allow-pending", help="Pending migrations are not a finding.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """The CI gate: one head per app, models match migrations, nothing pending, no edited file."""
    findings = [
        {"app": f.target.name, "url": f.target.display_url, "finding": f.problem, "fix": f.fix}
        for f in commands.check(_project(), apps, allow_pending)
    ]
    if json_output:
        report.emit_json({"ok": not findings, "findings": findings})
    else:
        for f in findings:
            report.out.print(
                f"[red]✗[/red] {f['app']}: {escape(f['finding'])}\n    fix: {escape(f['fix'])}"
            )
        if not findings:
            report.out.print("[green]✓ all checks passed[/green]")
    if findings:
        raise typer.Exit(errors.EXIT_CHECK_FAILED)


@cli.command("lint")
def lint_command(apps: AppsArg = None, json_output: JsonOpt = False) -> None:
    """What each migration locks on PostgreSQL, and for how long: flags index builds without
    CONCURRENTLY, constraints without NOT VALID, table rewrites, drops running code may need.
    Only findings not acknowledged in the app's lint-baseline.toml fail (exit 5)."""
    reports = commands.lint(_project(), apps)
    if json_output:
        report.emit_json(report.lint_json(reports))
    else:
        report.print_lint(reports)
    if any(r.new for r in reports):
        raise typer.Exit(errors.EXIT_CHECK_FAILED)


@cli.command("adopt")
def adopt_command(app: AppArg, json_output: JsonOpt = False) -> None:
    """Stamp head on unversioned tables, only if they match the models at head."""
    project = _project()
    target, _source = commands.one(project, app)
    _announce(target, json_output)
    target, differences = commands.adopt(project, app)
    if json_output:
        report.emit_json(
            {"app": target.app.name, "adopted": not differences, "differences": differences}
        )
    else:
        if differences:
            report.out.print(
                f"[red]{target.app.name}: the tables differ from the models at head; "
                "nothing stamped[/red]"
            )
            for d in differences:
                report.out.print(f"  - {d}", markup=False)
        else:
            report.out.print(
                f"[green]{target.app.name}: schema matches the models; stamped head[/green]"
            )
    if differences:
        raise typer.Exit(errors.EXIT_CHECK_FAILED)


@cli.command("repair")
def repair_command(
    app: AppArg, lock_timeout: LockOpt = DEFAULT_LOCK_TIMEOUT, json_output: JsonOpt = False
) -> None:
    """Accept edited migration files: record their current checksums (after showing them)."""
    target, accepted = commands.repair(_project(), app, lock_timeout)
    if json_output:
        report.emit_json({"app": target.app.name, "accepted": accepted})
    elif accepted:
        for line in accepted:
            report.out.print(f"{target.app.name}: accepted {line}")
    else:
        report.out.print(
            f"{target.app.name}: no applied migration file has changed; nothing to repair"
        )


# -- backups -------------------------------------------------------------------------------
@cli.command("backups")
def backups_command(app: AppArg, json_output: JsonOpt = False) -> None:
    """The backups netapps made of an app's database, newest first."""
    folder, found = commands.backups(_project(), app)
    if json_output:
        report.emit_json(
            [
                {
                    "file": str(b.path),
                    "size": b.size,
                    "created": b.created.isoformat(),
                    "database": b.database,
                    "from": b.manifest.get("from"),
                    "to": b.manifest.get("to"),
                }
                for b in found
            ]
        )
        return
    if not found:
        report.out.print(f"no backups in {folder}")
    for b in found:
        report.out.print(
            f"{b.created:%Y-%m-%d %H:%M:%S} UTC  {b.size:>10} bytes  {b.path}  ({b.database})",
            markup=False,
        )


@cli.command("restore")
def restore_command(
    app: AppArg,
    file: Annotated[Path, typer.Argument(help="A file listed by `netapps backups APP`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    lock_timeout: LockOpt = DEFAULT_LOCK_TIMEOUT,
    other_database: Annotated[
        bool,
        typer.Option(
            "--other-database", help="Restore a backup made of another database of this app."
        ),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Restore an app's database from a backup (asks first unless --yes); what it replaces is
    backed up first."""
    project = _project()
    target = commands.check_restore(project, app, file, other_database=other_database)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"restoring replaces {target.display_url}; confirm with --yes")
        if not typer.confirm(f"Replace {target.display_url} with {file}?"):
            raise typer.Exit(errors.EXIT_USAGE)
    _target, saved = commands.restore(
        project, app, file, lock_timeout, other_database=other_database
    )
    if json_output:
        report.emit_json(
            {
                "app": target.name,
                "url": target.display_url,
                "restored": str(file),
                "backup": str(saved) if saved else None,
            }
        )
    else:
        kept = f" (what it replaced is in {saved})" if saved else ""
        report.out.print(f"{target.name}: restored {file}{kept}", markup=False)


# -- entry points --------------------------------------------------------------------------
def main(argv: list[str] | None = None, *, app_folder: Path | None = None) -> int:
    """Run a command line; ``app_folder`` is an app's run_migrations.py saying which app."""
    State.app_folder = app_folder
    command = typer.main.get_command(cli)
    try:
        result = command.main(args=argv, prog_name="netapps", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        report.err.print("aborted")
        return errors.EXIT_USAGE
    except typer.TyperException as exc:  # Click's usage errors, as Typer ships them
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if type(exc).__name__ == "NoArgsIsHelpError":
            report.out.print(message, markup=False)
            return errors.EXIT_USAGE
        report.err.print(f"error: {message} (see netapps --help)", markup=False)
        return errors.EXIT_USAGE
    except NetappsError as exc:
        report.err.print(f"[red]error:[/red] {escape(str(exc))}")
        if State.debug:
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        report.err.print("interrupted")
        return 130
    except Exception as exc:
        report.err.print(
            f"[red]unexpected error:[/red] {escape(f'{type(exc).__name__}: {exc}')}; "
            "rerun with --debug for the traceback"
        )
        if State.debug:
            traceback.print_exc()
        return errors.EXIT_UNEXPECTED


def console_main() -> None:
    sys.exit(main(sys.argv[1:]))
