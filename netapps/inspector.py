"""Where each database stands: current revision, heads, pending steps, edited files, state."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, inspect

from netapps.config import Target
from netapps.database import first_line, run_on_target, scrub
from netapps.errors import NetappsError, UnreachableError
from netapps.recorder import LEDGER_TABLE, Entry, entries, recorded_checksums
from netapps.revisions import Revision, Step
from netapps.source import Source
from netapps.urls import sqlite_path

UP_TO_DATE = "up to date"
BEHIND = "behind"
AHEAD = "ahead of the code"
UNVERSIONED = "unversioned with tables present"
MULTIPLE_HEADS = "multiple heads"
UNREACHABLE = "unreachable"
ERROR = "error"


@dataclass
class Edited:
    revision: Revision
    recorded: str


@dataclass
class AppStatus:
    target: Target
    current: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    pending: list[Step] = field(default_factory=list)
    unknown: tuple[str, ...] = ()
    edited: list[Edited] = field(default_factory=list)
    ledger: list[Entry] = field(default_factory=list)
    user_tables: tuple[str, ...] = ()
    state: str = UP_TO_DATE
    error: NetappsError | None = None

    @property
    def app(self) -> str:
        return self.target.app.name


@dataclass(frozen=True)
class DatabaseState:
    current: tuple[str, ...]
    ledger: list[Entry]
    user_tables: tuple[str, ...]


def read_state(conn: Connection, source: Source) -> DatabaseState:
    current = source.current(conn)
    user_tables: tuple[str, ...] = ()
    if not current:
        names = inspect(conn).get_table_names()
        user_tables = tuple(n for n in names if n not in (source.version_table, LEDGER_TABLE))
    ledger = entries(conn, source.app.name)
    if conn.in_transaction():
        conn.commit()
    return DatabaseState(current, ledger, user_tables)


def edited_revisions(source: Source, ledger: list[Entry], current: tuple[str, ...]) -> list[Edited]:
    recorded = recorded_checksums(ledger)
    applied = source.ancestors(current)
    return [
        Edited(rev, recorded[rev.id])
        for rev in source.revisions
        if rev.id in applied and rev.id in recorded and recorded[rev.id] != rev.checksum
    ]


def status_of(target: Target, source: Source) -> AppStatus:
    status = AppStatus(target=target)
    try:
        status.heads = source.heads()
        path = sqlite_path(target.url)
        if path is not None and not path.exists():
            state = DatabaseState((), [], ())  # no file yet: empty, and looking must not create it
        else:
            state = run_on_target(target, lambda conn: read_state(conn, source))
    except NetappsError as exc:
        status.error = exc
        status.state = UNREACHABLE if exc.exit_code == 3 else ERROR
        return status
    except Exception as exc:  # connected, but the database cannot be read (corrupt, no rights)
        status.error = UnreachableError(
            f"{target.name}: cannot read {target.display_url}: {scrub(first_line(exc), target.url)}"
        )
        status.state = ERROR
        return status
    status.current, status.ledger, status.user_tables = (
        state.current,
        state.ledger,
        state.user_tables,
    )
    known = set(source.by_id)
    status.unknown = tuple(r for r in status.current if r not in known)
    status.edited = edited_revisions(source, status.ledger, status.current)
    if len(status.heads) > 1:
        status.state = MULTIPLE_HEADS
    elif status.unknown:
        status.state = AHEAD
    elif not status.current and status.user_tables:
        status.state = UNVERSIONED
    else:
        status.pending = source.steps(status.current, status.heads[0] if status.heads else None)
        status.state = BEHIND if status.pending else UP_TO_DATE
    return status
