"""The ``netapps`` command line: see, plan, migrate, roll back and check every app's database.

Each command is a thin layer: it selects apps and targets (config), asks the inspector or
the executor, and hands the result to report for a table or JSON. Errors are one line and
a documented exit code (netapps.errors); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import sys
import traceback
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from netapps import backup as backups_module
from netapps import errors, report
from netapps.config import App, Project, Target, load_project
from netapps.errors import NetappsError, RevisionError, UsageError
from netapps.executor import MigrateOptions, MigrateResult
from netapps.inspector import UP_TO_DATE, status_of
from netapps.loader import source_for
from netapps.revisions import Step
from netapps.source import Source

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Plan, apply, check, back up and roll back the databases of every Network-apps app.",
)


class State:
    debug = False
    environment: str | None = None


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


def _one(project: Project, name: str) -> tuple[App, Target, Source]:
    """One database: an app's, or one tenant's (``servicenow:acme``)."""
    targets = project.targets([name])
    if len(targets) != 1:
        app = targets[0].app
        raise UsageError(
            f"{app.name} has {len(targets)} tenant databases; name one, as {app.name}:TENANT"
        )
    return targets[0].app, targets[0], source_for(targets[0])


def _announce(target: Target, json_output: bool) -> None:
    if not json_output and not target.tenant:  # a thousand tenants: progress lines suffice
        report.err.print(f"[dim]{report.where(target)} (from {escape(target.source)})[/dim]")


# -- seeing --------------------------------------------------------------------------------
@cli.command("apps")
def apps_command(json_output: JsonOpt = False) -> None:
    """The registered apps: name, folder, kind, engine and (masked) database URL."""
    project = _project()
    rows: list[tuple[App, Target | None, str]] = []
    for app in project.apps:
        try:
            # An app with tenants is shown by its first tenant's database.
            rows.append((app, project.targets([app.name])[0], ""))
        except NetappsError as exc:
            rows.append((app, None, str(exc)))
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
    statuses = [status_of(t, source_for(t)) for t in project.targets(apps)]
    if json_output:
        report.emit_json(report.status_json(statuses))
    else:
        report.out.print(report.status_table(project, statuses, expand=tenants))
    if exit_code and any(s.state != UP_TO_DATE or s.edited for s in statuses):
        codes = [s.error.exit_code for s in statuses if s.error]
        raise typer.Exit(codes[0] if codes else errors.EXIT_CHECK_FAILED)


@cli.command("history")
def history_command(app: AppArg, json_output: JsonOpt = False) -> None:
    """An app's revisions, the current one marked, with when and by whom each was applied."""
    project = _project()
    _, target, source = _one(project, app)
    status = status_of(target, source)
    if status.error:
        raise status.error
    if json_output:
        report.emit_json(report.history_json(source, status))
    else:
        report.out.print(report.history_table(source, status))
        if status.error:
            report.err.print(f"[yellow]note:[/yellow] {escape(str(status.error))}")


# -- planning and applying ------------------------------------------------------------------
def _plan_for(
    target: Target, source: Source, spec: str
) -> tuple[tuple[str, ...], str | None, list[Step]]:
    status = status_of(target, source)
    if status.error:
        raise status.error
    destination = source.resolve(spec, status.current)
    return status.current, destination, source.steps(status.current, destination)


@cli.command("plan")
def plan_command(
    apps: AppsArg = None,
    to: Annotated[str, typer.Option("--to", help="Target revision (default: head).")] = "head",
    sql: Annotated[bool, typer.Option("--sql", help="Print the SQL that would run.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Exactly what migrate would run, per app, in order; touches nothing."""
    project = _project()
    plans = []
    for target in project.targets(apps):
        source = source_for(target)
        current, destination, steps = _plan_for(target, source, to)
        plans.append((target, current, destination, steps))
        if not json_output:
            report.print_plan(target, current, destination, steps)
            if sql and steps:
                report.out.print(source.offline_sql(target, current, destination), markup=False)
    if json_output:
        document = report.plan_json(plans)
        if sql:
            for entry, (target, current, destination, steps) in zip(document, plans, strict=True):
                source = source_for(target)
                entry["sql"] = source.offline_sql(target, current, destination) if steps else ""
        report.emit_json(document)


def _progress(json_output: bool, _kind: str, target: Target, step: Step, seconds: float) -> None:
    if not json_output:
        arrow = "↑" if step.direction == "up" else "↓"
        report.err.print(
            f"  [green]✓[/green] {escape(target.name)} {arrow} {step.revision.id} ({seconds:.2f} s)"
        )


def _run_migrations(
    project: Project,
    targets: list[Target],
    options: MigrateOptions,
    json_output: bool,
    workers: int = 1,
) -> list[MigrateResult]:
    from netapps.parallel import migrate_all

    def on_result(result: MigrateResult) -> None:
        if result.error and not json_output:
            report.err.print(f"[red]error:[/red] {escape(str(result.error))}")
            if State.debug and result.error.__cause__ is not None:
                traceback.print_exception(result.error)

    if workers <= 1:
        for target in targets:
            _announce(target, json_output)
    return migrate_all(
        project, targets, options, workers, partial(_progress, json_output), on_result
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


@cli.command("migrate")
def migrate_command(
    apps: AppsArg = None,
    to: Annotated[str, typer.Option("--to", help="Target revision (default: head).")] = "head",
    lock_timeout: LockOpt = 300.0,
    no_backup: NoBackupOpt = False,
    allow_destructive: DestructiveOpt = False,
    json_output: JsonOpt = False,
    parallel: Annotated[
        int | None,
        typer.Option("--parallel", min=1, help="Databases migrated at once (default: CPUs)."),
    ] = None,
    app_folder: Annotated[Path | None, typer.Option("--app-folder", hidden=True)] = None,
) -> None:
    """Bring the apps to head (or --to REV); when one fails, the others still run."""
    from netapps.parallel import default_workers

    project = _project()
    if app_folder is not None:
        # One app's run_migrations.py: DATABASE_URL means this app, as the guide says.
        app = project.app_for_folder(app_folder)
        if len(app.tenants) > 1:
            targets = project.targets([app.name])
        else:
            targets = [project.target(app, single_app=True)]
    else:
        targets = project.targets(apps)
    options = MigrateOptions(
        destination=to,
        lock_timeout=lock_timeout,
        backup=not no_backup,
        allow_destructive=allow_destructive,
    )
    workers = parallel or default_workers()
    _finish(_run_migrations(project, targets, options, json_output, workers), json_output)


def _move(
    app: str, revision: str, json_output: bool, options: MigrateOptions, direction: str
) -> None:
    project = _project()
    _, target, source = _one(project, app)
    status = status_of(target, source)
    if status.error:
        raise status.error
    destination = source.resolve(revision, status.current)
    steps = source.steps(status.current, destination)
    if steps and steps[0].direction != direction:
        other = "downgrade" if direction == "up" else "upgrade"
        raise RevisionError(
            f"{target.app.name}: {destination or 'base'} is not "
            f"{'above' if direction == 'up' else 'below'} the current revision "
            f"({report.revs(status.current)}); use `netapps {other}`"
        )
    options.destination = destination or "base"
    _finish(_run_migrations(project, [target], options, json_output), json_output)


# "-1" must reach the command as a revision, not be read as an option.
_NEGATIVE_ARGS = {"ignore_unknown_options": True}


@cli.command("upgrade", context_settings=_NEGATIVE_ARGS)
def upgrade_command(
    app: AppArg,
    revision: Annotated[str, typer.Argument(help="Revision id or unique prefix, +N, or head.")],
    lock_timeout: LockOpt = 300.0,
    no_backup: NoBackupOpt = False,
    allow_destructive: DestructiveOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Upgrade one app to REV."""
    _move(
        app,
        revision,
        json_output,
        MigrateOptions(
            lock_timeout=lock_timeout, backup=not no_backup, allow_destructive=allow_destructive
        ),
        "up",
    )


@cli.command("downgrade", context_settings=_NEGATIVE_ARGS)
def downgrade_command(
    app: AppArg,
    revision: Annotated[str, typer.Argument(help="Revision id or unique prefix, -N, or base.")],
    lock_timeout: LockOpt = 300.0,
    no_backup: NoBackupOpt = False,
    allow_destructive: DestructiveOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Downgrade one app to REV (a backup is made first)."""
    _move(
        app,
        revision,
        json_output,
        MigrateOptions(
            lock_timeout=lock_timeout, backup=not no_backup, allow_destructive=allow_destructive
        ),
        "down",
    )


@cli.command("stamp")
def stamp_command(
    app: AppArg,
    revision: Annotated[str, typer.Argument(help="Revision, head or base.")],
    json_output: JsonOpt = False,
) -> None:
    """Record REV as the database's revision without running any migration."""
    from netapps.executor import stamp

    project = _project()
    _, target, source = _one(project, app)
    _announce(target, json_output)
    status = status_of(target, source)
    if status.error:
        raise status.error
    destination = source.resolve(revision, status.current)

    stamp(target, source, destination)
    if json_output:
        report.emit_json(
            {"app": target.app.name, "url": target.display_url, "stamped": destination}
        )
    else:
        report.out.print(f"{target.app.name}: stamped {destination or 'base'}")


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
    _, target, source = _one(project, app)
    paths = source.create_revision(message, autogenerate=autogenerate, target=target)
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
    _, target, source = _one(project, app)
    path = source.merge(message, target)
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
    from netapps.checks import check_target

    project = _project()
    findings: list[dict[str, str]] = []
    for target in project.targets(apps):
        for problem, fix in check_target(target, source_for(target), allow_pending):
            findings.append(
                {"app": target.app.name, "url": target.display_url, "finding": problem, "fix": fix}
            )
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


@cli.command("adopt")
def adopt_command(app: AppArg, json_output: JsonOpt = False) -> None:
    """Stamp head on unversioned tables, only if they match the models at head."""
    from netapps.checks import adopt

    project = _project()
    _, target, source = _one(project, app)
    _announce(target, json_output)
    differences = adopt(target, source)
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
def repair_command(app: AppArg, json_output: JsonOpt = False) -> None:
    """Accept edited migration files: record their current checksums (after showing them)."""
    from netapps.checks import repair

    project = _project()
    _, target, source = _one(project, app)
    accepted = repair(target, source)
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
    project = _project()
    found = backups_module.list_backups(project, project.find(app).name)
    if json_output:
        report.emit_json(
            [{"file": str(b.path), "size": b.size, "created": b.created.isoformat()} for b in found]
        )
        return
    if not found:
        report.out.print(
            f"no backups in {backups_module.backup_dir(project, project.find(app).name)}"
        )
    for b in found:
        report.out.print(f"{b.created:%Y-%m-%d %H:%M:%S} UTC  {b.size:>10} bytes  {b.path}")


@cli.command("restore")
def restore_command(
    app: AppArg,
    file: Annotated[Path, typer.Argument(help="A file listed by `netapps backups APP`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Restore an app's database from a backup (asks first unless --yes)."""
    project = _project()
    _, target, _source = _one(project, app)
    backups_module.check_backup_file(target, file.resolve())
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"restoring replaces {target.display_url}; confirm with --yes")
        if not typer.confirm(f"Replace {target.display_url} with {file}?"):
            raise typer.Exit(errors.EXIT_USAGE)
    from netapps.database import run_on_target
    from netapps.executor import migration_lock

    def work(conn: Any) -> None:
        # Under the migration lock: no migrator may run while the database is replaced.
        with migration_lock(conn, target, 300.0):
            backups_module.restore(project, target, file.resolve())

    run_on_target(target, work)
    if json_output:
        report.emit_json({"app": target.name, "url": target.display_url, "restored": str(file)})
    else:
        report.out.print(f"{target.name}: restored {file}")


# -- entry points --------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
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
