"""The CI gate and the two repairs: ``check``, ``adopt`` (Alembic's blind ``stamp head``, made
safe) and ``repair`` (accept edited migration files, as Flyway's repair does)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from netapps import recorder
from netapps.config import Target
from netapps.database import flatten_for, run_on_target, run_with_connection
from netapps.errors import NetappsError, UsageError
from netapps.executor import stamp
from netapps.inspector import BEHIND, UNVERSIONED, status_of
from netapps.source import Source


def _describe_diff(diff: Any) -> str:
    if isinstance(diff, list):  # column-level changes come grouped
        return "; ".join(_describe_diff(d) for d in diff)
    kind, *rest = diff
    names = []
    for item in rest:
        name = getattr(item, "name", None)
        table = getattr(item, "table", None)
        if name is not None and table is not None and getattr(table, "name", None):
            names.append(f"{table.name}.{name}")
        elif name is not None:
            names.append(str(name))
        elif isinstance(item, str):
            names.append(item)
    return f"{kind.replace('_', ' ')}: {', '.join(names)}" if names else str(kind)


def _compare(conn: Connection, target: Target, metadata: Any) -> list[str]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from netapps.alembic_env import comparison_options

    options = comparison_options(target, metadata)
    options.pop("process_revision_directives", None)
    context = MigrationContext.configure(conn, opts=options)
    diffs = compare_metadata(context, flatten_for(target.url, metadata))
    if conn.in_transaction():
        conn.rollback()
    return [_describe_diff(d) for d in diffs]


def compare_models(target: Target, source: Source) -> list[str]:
    """Differences between the app's models and ``target``'s live schema."""
    if source.kind != "alembic":
        return []
    from netapps.alembic_source import load_metadata

    metadata = load_metadata(source)  # type: ignore[arg-type]
    return run_on_target(
        target, lambda conn: _compare(conn, target, metadata), schemas=source.schemas()
    )


def compare_models_on_scratch(target: Target, source: Source) -> list[str]:
    """Migrate a throwaway SQLite database to head and compare the models with it."""
    if source.kind != "alembic":
        return []
    from netapps.alembic_source import load_metadata

    metadata = load_metadata(source)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="netapps-check-") as folder:
        scratch = Target(
            app=target.app,
            url=make_url(f"sqlite:///{Path(folder) / 'scratch.db'}"),
            source="scratch database",
            environment=target.environment,
        )

        def work(conn: Connection) -> list[str]:
            source.apply(conn, scratch, source.single_head(), lambda *_: None)
            return _compare(conn, scratch, metadata)

        return run_with_connection(scratch.url, work, schemas=source.schemas(), for_migrations=True)


def check_target(target: Target, source: Source, allow_pending: bool) -> list[tuple[str, str]]:
    """Findings as (what is wrong, how to fix it)."""
    app = target.app.name
    findings: list[tuple[str, str]] = []
    try:
        heads = source.heads()
    except NetappsError as exc:
        return [(str(exc), "fix the migration file it names")]
    if len(heads) > 1:
        findings.append((f"multiple heads: {', '.join(heads)}", f"netapps merge {app}"))
    status = status_of(target, source)
    if status.error:
        findings.append((str(status.error), f"check {target.display_url} and its credentials"))
        return findings
    for edited in status.edited:
        findings.append(
            (
                f"applied migration {edited.revision.path.name} changed since it ran",
                f"restore the file, or accept it with `netapps repair {app}`",
            )
        )
    if status.state == UNVERSIONED:
        findings.append(("tables present but no migration version", f"netapps adopt {app}"))
    for step in status.pending:
        if step.destructive:
            findings.append(
                (
                    f"pending migration {step.revision.id} is destructive: {step.destructive[0]}",
                    "review it; in production migrate it with --allow-destructive",
                )
            )
    if status.state == BEHIND and not allow_pending:
        pending = ", ".join(s.revision.id for s in status.pending)
        findings.append((f"{len(status.pending)} pending: {pending}", f"netapps migrate {app}"))
    if len(heads) <= 1:
        try:
            at_head = status.state not in (BEHIND, UNVERSIONED) and not status.unknown
            diffs = (
                compare_models(target, source)
                if at_head
                else compare_models_on_scratch(target, source)
            )
        except NetappsError as exc:
            diffs = [f"could not compare models with migrations: {exc}"]
        for diff in diffs:
            findings.append(
                (
                    f"models and migrations differ: {diff}",
                    f'netapps revision {app} --autogenerate -m "describe the change"',
                )
            )
    return findings


def adopt(target: Target, source: Source) -> list[str]:
    """Stamp head when the live tables match the models at head; else return the differences."""
    app = target.app.name
    status = status_of(target, source)
    if status.error:
        raise status.error
    if status.current:
        raise UsageError(
            f"{app} is already versioned (at {', '.join(status.current)}); nothing to adopt"
        )
    if not status.user_tables:
        raise UsageError(f"{app}'s database has no tables; run `netapps migrate {app}` instead")
    if source.kind != "alembic":
        raise UsageError(
            f"{app} is a SQL-file app: adopt needs models to compare with; stamp it explicitly"
        )
    differences = compare_models(target, source)
    if differences:
        return differences
    stamp(target, source, source.single_head())
    return []


def repair(target: Target, source: Source) -> list[str]:
    status = status_of(target, source)
    if status.error:
        raise status.error
    if not status.edited:
        return []

    def work(conn: Connection) -> None:
        recorder.ensure(conn)
        with conn.begin():
            source.accept_checksums(conn, [e.revision for e in status.edited])
            for edited in status.edited:
                recorder.record(
                    conn,
                    app=target.app.name,
                    revision=edited.revision.id,
                    direction="repair",
                    checksum=edited.revision.checksum,
                    seconds=0.0,
                )

    run_on_target(target, work)
    return [
        f"{e.revision.path.name} (checksum {e.recorded[:12]}… → {e.revision.checksum[:12]}…)"
        for e in status.edited
    ]
