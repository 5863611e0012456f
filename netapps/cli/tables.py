"""Tables for people, drawn from the same documents ``--json`` prints.

Standard library only: a :class:`Grid` is the table's content; netapps.cli.report draws it with
Rich, and the no-op fast path draws it as aligned plain text, so that answering "everything
is at head" imports neither SQLAlchemy nor Rich.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The checkout: SQLite files under it are shown by their path in it.
REPOSITORY = Path(__file__).resolve().parents[2]

#: The style of a state or result, by its first word.
STYLES = {"up": "green", "migrated": "green", "behind": "yellow", "failed": "red", "error": "red"}


@dataclass
class Grid:
    title: str
    headers: tuple[str, ...]
    rows: list[list[str]] = field(default_factory=list)
    #: Index of the column whose text says how things stand (coloured by STYLES).
    state_column: int = -1


def shown_database(url: str | None, repository: Path = REPOSITORY) -> str:
    """A SQLite file in the checkout as its path there (``SAP_clone/backend/saperp.db``):
    the absolute URLs made a table too wide to read. Any other URL as given (masked by the
    caller); ``--json`` keeps the full URL."""
    if not url:
        return ""
    scheme, separator, path = url.partition(":///")
    if not separator or not scheme.startswith("sqlite") or not path.startswith("/"):
        return url
    try:
        return Path(path).relative_to(repository).as_posix()
    except ValueError:
        return url


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


def _name(row: dict[str, Any]) -> str:
    return str(row["app"]) + (f":{row['tenant']}" if row.get("tenant") else "")


def status_grid(environment: str, rows: list[dict[str, Any]], expand: bool = False) -> Grid:
    """One row a database; an app with tenants gets one summary row unless ``expand``."""
    grid = Grid(
        f"Database status (environment: {environment})",
        ("app", "database", "current", "head", "pending", "state", "last change"),
        state_column=5,
    )
    groups = {} if expand else _tenant_groups(rows)
    for app, members in groups.items():
        failed = [m["tenant"] for m in members if m["error"]]
        state = _counted([m["state"] for m in members])
        if failed:
            state += f"\nfailed: {', '.join(failed[:10])}"
        database = f"{len(members)} tenant databases (--tenants lists them)"
        pending = str(sum(m["pending"] for m in members))
        grid.rows.append([app, database, "", revs(members[0]["heads"]), pending, state, ""])
    for row in rows:
        if row["app"] in groups:
            continue
        state = row["state"]
        if row["edited"]:
            state += f"\nedited: {', '.join(row['edited'])}"
        if row["error"]:
            state += f"\n{row['error']}"
        last = ""
        if row["last_migrated_at"]:
            when = row["last_migrated_at"][:16].replace("T", " ")
            last = f"{when} UTC by {row['last_migrated_by']}"
        current = revs(row["current"]) if not row["error"] else "?"
        grid.rows.append(
            [
                _name(row),
                shown_database(row["url"]),
                current,
                revs(row["heads"]),
                str(row["pending"]),
                state,
                last,
            ]
        )
    return grid


def migrate_grid(rows: list[dict[str, Any]]) -> Grid:
    """One row a database; an app with more than 10 tenant databases gets one summary row."""
    grid = Grid(
        "Migration summary",
        ("app", "database", "from", "to", "steps", "time", "result"),
        state_column=6,
    )
    groups = {app: m for app, m in _tenant_groups(rows).items() if len(m) > 10}
    for app, members in groups.items():
        outcome = _counted(
            [
                "failed" if m["error"] else "migrated" if m["steps"] else "up to date"
                for m in members
            ]
        )
        for m in [m for m in members if m["error"]][:10]:
            outcome += f"\n{m['tenant']}: {m['error']}"
        steps = str(sum(len(m["steps"]) for m in members))
        seconds = f"{sum(m['seconds'] for m in members):.2f} s"
        grid.rows.append([app, f"{len(members)} tenant databases", "", "", steps, seconds, outcome])
    for row in rows:
        if row["app"] in groups:
            continue
        if row["error"]:
            outcome = f"failed: {row['error']}"
        elif row["steps"]:
            outcome = "migrated" + (f"\nbackup: {row['backup']}" if row["backup"] else "")
        else:
            outcome = "up to date"
        grid.rows.append(
            [
                _name(row),
                shown_database(row["url"]),
                revs(row["from"]),
                revs(row["to"]),
                str(len(row["steps"])),
                f"{row['seconds']:.2f} s",
                outcome,
            ]
        )
    return grid


def plain(grid: Grid) -> str:
    """The grid as aligned text (cells may hold several lines)."""
    cells = [list(grid.headers), *grid.rows]
    widths = [
        max(len(line) for row in cells for line in row[i].splitlines() or [""])
        for i in range(len(grid.headers))
    ]
    out = [grid.title]
    for number, row in enumerate(cells):
        split = [cell.splitlines() or [""] for cell in row]
        for line in range(max(len(s) for s in split)):
            parts = [
                (s[line] if line < len(s) else "").ljust(w)
                for s, w in zip(split, widths, strict=True)
            ]
            out.append("  ".join(parts).rstrip())
        if number == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"
