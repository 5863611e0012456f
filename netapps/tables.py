"""Tables for people, drawn from the same documents ``--json`` prints.

Only Rich is imported here: the no-op fast path draws these tables without SQLAlchemy.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

_STATE_STYLE = {"up to date": "green", "behind": "yellow", "unreachable": "red", "error": "red"}


def console(*, stderr: bool = False) -> Console:
    """A console for people. Where output is not a terminal (CI logs, docker logs) and no
    COLUMNS is set, tables get room instead of the 80 columns that would cut the URLs."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 200
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


def revs(ids: list[str] | tuple[str, ...]) -> str:
    return ", ".join(ids) if ids else "base"


def _counted(states: list[str]) -> str:
    counts: dict[str, int] = {}
    for state in states:
        counts[state] = counts.get(state, 0) + 1
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _tenant_groups(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("tenant"):
            groups.setdefault(row["app"], []).append(row)
    return groups


def status_table(environment: str, rows: list[dict[str, Any]], expand: bool = False) -> Table:
    """One row a database; an app with tenants gets one summary row unless ``expand``."""
    table = Table(title=f"Database status (environment: {environment})")
    for column in ("app", "database", "current", "head", "pending", "state", "last change"):
        table.add_column(column, overflow="fold")
    groups = {} if expand else _tenant_groups(rows)
    for app, members in groups.items():
        failed = [m["tenant"] for m in members if m["error"]]
        state = _counted([m["state"] for m in members])
        if failed:
            state += f"\n[red]failed: {escape(', '.join(failed[:10]))}[/red]"
        table.add_row(
            escape(app),
            f"{len(members)} tenant databases (--tenants lists them)",
            "",
            escape(revs(members[0]["heads"])),
            str(sum(m["pending"] for m in members)),
            state,
            "",
        )
    for row in rows:
        if row["app"] in groups:
            continue
        style = _STATE_STYLE.get(row["state"], "magenta")
        state = f"[{style}]{escape(row['state'])}[/{style}]"
        if row["edited"]:
            state += f"\n[red]edited: {escape(', '.join(row['edited']))}[/red]"
        if row["error"]:
            state += f"\n[red]{escape(row['error'])}[/red]"
        last = ""
        if row["last_migrated_at"]:
            last = (
                f"{row['last_migrated_at'][:16].replace('T', ' ')} UTC by {row['last_migrated_by']}"
            )
        table.add_row(
            escape(row["app"] + (f":{row['tenant']}" if row.get("tenant") else "")),
            escape(row["url"]),
            escape(revs(row["current"])) if not row["error"] else "?",
            escape(revs(row["heads"])),
            str(row["pending"]),
            state,
            escape(last),
        )
    return table


def migrate_table(rows: list[dict[str, Any]]) -> Table:
    """One row a database; an app with more than 10 tenant databases gets one summary row."""
    table = Table(title="Migration summary")
    for column in ("app", "database", "from", "to", "steps", "time", "result"):
        table.add_column(column, overflow="fold")
    groups = {app: m for app, m in _tenant_groups(rows).items() if len(m) > 10}
    for app, members in groups.items():
        failed = [m for m in members if m["error"]]
        outcome = _counted(
            [
                "failed" if m["error"] else "migrated" if m["steps"] else "up to date"
                for m in members
            ]
        )
        for m in failed[:10]:
            outcome += f"\n[red]{escape(m['tenant'])}: {escape(m['error'])}[/red]"
        table.add_row(
            escape(app),
            f"{len(members)} tenant databases",
            "",
            "",
            str(sum(len(m["steps"]) for m in members)),
            f"{sum(m['seconds'] for m in members):.2f} s",
            outcome,
        )
    for row in rows:
        if row["app"] in groups:
            continue
        if row["error"]:
            outcome = f"[red]failed[/red]: {escape(row['error'])}"
        elif row["steps"]:
            outcome = "[green]migrated[/green]"
            if row["backup"]:
                outcome += f"\nbackup: {escape(row['backup'])}"
        else:
            outcome = "[green]up to date[/green]"
        table.add_row(
            escape(row["app"] + (f":{row['tenant']}" if row.get("tenant") else "")),
            escape(row["url"]),
            escape(revs(row["from"])),
            escape(revs(row["to"])),
            str(len(row["steps"])),
            f"{row['seconds']:.2f} s",
            outcome,
        )
    return table
