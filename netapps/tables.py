"""Tables for people, drawn from the same documents ``--json`` prints.

Only Rich is imported here: the no-op fast path draws these tables without SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

_STATE_STYLE = {"up to date": "green", "behind": "yellow", "unreachable": "red", "error": "red"}


def revs(ids: list[str] | tuple[str, ...]) -> str:
    return ", ".join(ids) if ids else "base"


def status_table(environment: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"Database status (environment: {environment})")
    for column in ("app", "database", "current", "head", "pending", "state", "last change"):
        table.add_column(column)
    for row in rows:
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
            escape(row["app"]),
            escape(row["url"]),
            escape(revs(row["current"])) if not row["error"] else "?",
            escape(revs(row["heads"])),
            str(row["pending"]),
            state,
            escape(last),
        )
    return table


def migrate_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Migration summary")
    for column in ("app", "database", "from", "to", "steps", "time", "result"):
        table.add_column(column)
    for row in rows:
        if row["error"]:
            outcome = f"[red]failed[/red]: {escape(row['error'])}"
        elif row["steps"]:
            outcome = "[green]migrated[/green]"
            if row["backup"]:
                outcome += f"\nbackup: {escape(row['backup'])}"
        else:
            outcome = "[green]up to date[/green]"
        table.add_row(
            escape(row["app"]),
            escape(row["url"]),
            escape(revs(row["from"])),
            escape(revs(row["to"])),
            str(len(row["steps"])),
            f"{row['seconds']:.2f} s",
            outcome,
        )
    return table
