"""What netapps shows: Rich tables for people, JSON documents for machines."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from netapps.cli import tables
from netapps.commands import LintReport, PlanReport
from netapps.config import App, Project, Target
from netapps.executor import MigrateResult
from netapps.recorder import last_applied
from netapps.sources.base import Source
from netapps.status import AppStatus


def console(*, stderr: bool = False) -> Console:
    """A console for people. Where output is not a terminal (CI logs, docker logs) and no
    COLUMNS is set, tables get room instead of the 80 columns that would cut the URLs."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 200
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


out = console()
err = console(stderr=True)


def draw(grid: tables.Grid) -> Table:
    """A Grid as a Rich table: long cells fold, the state column is coloured."""
    table = Table(title=grid.title)
    for header in grid.headers:
        table.add_column(header, overflow="fold")
    for row in grid.rows:
        cells = [escape(cell) for cell in row]
        if grid.state_column >= 0:
            first = row[grid.state_column].split(" ", 1)[0]
            style = tables.STYLES.get(first) or (
                "red" if "failed" in row[grid.state_column] else ""
            )
            if style:
                cells[grid.state_column] = f"[{style}]{cells[grid.state_column]}[/{style}]"
        table.add_row(*cells)
    return table


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


revs = tables.revs


def where(target: Target) -> str:
    """Which database, for a header line (escaped: Rich would read "[dev]" as markup)."""
    return escape(f"{target.app.label} [{target.environment}] {target.display_url}")


def shown_path(path: Path, root: Path) -> str:
    """A path relative to the repository when it lies inside it, else absolute."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# -- apps ----------------------------------------------------------------------------------
def apps_json(rows: list[tuple[App, Target | None, str]]) -> list[dict[str, Any]]:
    return [
        {
            "name": app.name,
            "label": app.label,
            "folder": str(app.folder),
            "kind": app.kind,
            "engine": target.engine.name if target else None,
            "url": target.display_url if target else None,
            "url_source": target.source if target else None,
            "tenants": list(app.tenants),
            "error": problem or None,
        }
        for app, target, problem in rows
    ]


def apps_table(project: Project, rows: list[tuple[App, Target | None, str]]) -> Table:
    table = Table(title=f"Apps (environment: {project.environment})")
    for column in ("app", "folder", "kind", "engine", "database", "from"):
        table.add_column(column)
    for app, target, problem in rows:
        database = escape(target.display_url) if target else f"[red]{escape(problem)}[/red]"
        if target and app.tenants:
            database += f"\n(first of {len(app.tenants)} tenants; `netapps status --tenants`)"
        table.add_row(
            escape(app.name),
            escape(shown_path(app.folder, project.root)),
            app.kind,
            target.engine.name if target else "?",
            database,
            escape(target.source) if target else "",
        )
    return table


# -- status --------------------------------------------------------------------------------
def status_json(statuses: list[AppStatus]) -> list[dict[str, Any]]:
    return [
        {
            "app": s.app,
            "tenant": s.target.tenant,
            "environment": s.target.environment,
            "url": s.target.display_url,
            "current": list(s.current),
            "heads": list(s.heads),
            "pending": len(s.pending),
            "pending_revisions": [step.revision.id for step in s.pending],
            "state": s.state,
            "edited": [e.revision.path.name for e in s.edited],
            "last_migrated_at": s.ledger[-1].applied_at.isoformat() if s.ledger else None,
            "last_migrated_by": s.ledger[-1].applied_by if s.ledger else None,
            "error": str(s.error) if s.error else None,
        }
        for s in statuses
    ]


def status_table(project: Project, statuses: list[AppStatus], expand: bool = False) -> Table:
    return draw(tables.status_grid(project.environment, status_json(statuses), expand))


# -- history -------------------------------------------------------------------------------
def history_json(source: Source, status: AppStatus) -> dict[str, Any]:
    applied = source.ancestors(status.current)
    latest = last_applied(status.ledger)
    return {
        "app": status.app,
        "url": status.target.display_url,
        "current": list(status.current),
        "revisions": [
            {
                "revision": r.id,
                "parents": list(r.parents),
                "message": r.message,
                "file": str(r.path),
                "applied": r.id in applied,
                "current": r.id in status.current,
                "applied_at": latest[r.id].applied_at.isoformat() if r.id in latest else None,
                "applied_by": latest[r.id].applied_by if r.id in latest else None,
                "duration_ms": latest[r.id].duration_ms if r.id in latest else None,
            }
            for r in source.revisions
        ],
    }


def history_table(source: Source, status: AppStatus) -> Table:
    table = Table(title=f"History of {where(status.target)}")
    for column in ("", "revision", "message", "applied", "by", "ms"):
        table.add_column(column)
    doc = history_json(source, status)
    for row in doc["revisions"]:
        mark = "[green]→[/green]" if row["current"] else ("✓" if row["applied"] else " ")
        table.add_row(
            mark,
            row["revision"] + (" (current)" if row["current"] else ""),
            row["message"],
            (row["applied_at"] or "")[:19].replace("T", " "),
            row["applied_by"] or "",
            "" if row["duration_ms"] is None else str(row["duration_ms"]),
        )
    return table


# -- plan ----------------------------------------------------------------------------------
def plan_json(reports: list[PlanReport]) -> list[dict[str, Any]]:
    return [
        {
            "app": r.plan.target.app.name,
            "tenant": r.plan.target.tenant,
            "url": r.plan.target.display_url,
            "from": list(r.plan.current),
            "to": r.plan.destination,
            "steps": [
                {
                    "revision": s.revision.id,
                    "direction": s.direction,
                    "message": s.revision.message,
                    "file": str(s.revision.path),
                    "destructive": list(destructive),
                    "lint": list(lint),
                    "transaction": not r.source.outside_transaction(s),
                }
                for s, destructive, lint in zip(r.plan.steps, r.destructive, r.lint, strict=True)
            ],
        }
        for r in reports
    ]


def print_plan(report: PlanReport, to: Console | None = None) -> None:
    plan = report.plan
    to = to or out  # with --sql: stderr, stdout being the SQL
    to.print(f"[bold]{where(plan.target)}[/bold]: {revs(plan.current)} → {plan.destination_name}")
    if not plan.steps:
        to.print("  nothing to do")
    rows = zip(plan.steps, report.destructive, report.lint, strict=True)
    for number, (step, destructive, lint) in enumerate(rows, 1):
        arrow = "upgrade  " if step.direction == "up" else "downgrade"
        to.print(f"  {number}. {arrow} {step.revision.id}  {step.revision.message}", markup=False)
        if report.source.outside_transaction(step):
            to.print(
                "     [yellow]outside a transaction:[/yellow] what it runs there cannot be rolled "
                "back; it is recorded only once it succeeded"
            )
        for line in destructive:
            to.print(f"     [red]destructive:[/red] {escape(line)}")
        for line in lint:
            to.print(f"     [yellow]locks:[/yellow] {escape(line)}")


def lint_json(reports: list[LintReport]) -> list[dict[str, Any]]:
    return [
        {
            "app": r.app.name,
            "new": [f.to_json() for f in r.new],
            "acknowledged": [f.to_json() for f in r.acknowledged],
            "stale_baseline_entries": r.stale,
        }
        for r in reports
    ]


def print_lint(reports: list[LintReport]) -> None:
    for r in reports:
        head = f"[bold]{escape(r.app.name)}[/bold]: {len(r.new)} new finding(s)"
        out.print(f"{head}, {len(r.acknowledged)} acknowledged in its lint-baseline.toml")
        for finding in r.new:
            out.print(f"  [red]✗[/red] {escape(finding.text())}")
            out.print(f"      why: {escape(finding.why)}")
            out.print(f"      safe recipe: {escape(finding.recipe)}")
        for entry in r.stale:
            out.print(f"  [dim]note: baseline entry {escape(entry)} matches nothing now[/dim]")


# -- migrate -------------------------------------------------------------------------------
def migrate_json(results: list[MigrateResult]) -> list[dict[str, Any]]:
    return [
        {
            "app": r.app,
            "tenant": r.target.tenant,
            "url": r.target.display_url,
            "from": list(r.start),
            "to": list(r.end),
            "steps": [
                {"revision": s.revision.id, "direction": s.direction, "seconds": round(t, 4)}
                for s, t in r.steps
            ],
            "backup": str(r.backup) if r.backup else None,
            "ok": r.ok,
            "error": str(r.error) if r.error else None,
            "exit_code": r.error.exit_code if r.error else 0,
            "seconds": round(r.seconds, 4),
        }
        for r in results
    ]


def migrate_table(results: list[MigrateResult]) -> Table:
    return draw(tables.migrate_grid(migrate_json(results)))
