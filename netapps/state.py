"""What a database holds, as netapps sees it: its current revision(s), its ledger and, when it
has no version, the tables it holds anyway. Read in one go on an open connection."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from netapps.config import Target
from netapps.recorder import Entry, entries, recorded_checksums
from netapps.settings import ALEMBIC_VERSION_TABLE, LEDGER_TABLE, SQL_VERSION_TABLE
from netapps.sources.base import Source
from netapps.sources.revisions import Revision


@dataclass(frozen=True)
class DatabaseState:
    current: tuple[str, ...]
    ledger: list[Entry]
    #: Tables present although no revision is recorded (only looked for then).
    user_tables: tuple[str, ...]


EMPTY = DatabaseState((), [], ())


def read_state(conn: Connection, source: Source, target: Target) -> DatabaseState:
    current = source.current(conn)
    user_tables: tuple[str, ...] = ()
    if not current:
        # netapps' own tables, of either kind of app (a schema holding one is another's).
        ignore = {ALEMBIC_VERSION_TABLE, SQL_VERSION_TABLE, LEDGER_TABLE}
        user_tables = target.engine.user_tables(conn, target, ignore)
    ledger = entries(conn, source.app.name)
    if conn.in_transaction():
        conn.commit()
    return DatabaseState(current, ledger, user_tables)


@dataclass
class Edited:
    revision: Revision
    recorded: str


def edited_revisions(source: Source, ledger: list[Entry], current: tuple[str, ...]) -> list[Edited]:
    """Applied revisions whose file changed since the ledger recorded it."""
    recorded = recorded_checksums(ledger)
    applied = source.ancestors(current)
    return [
        Edited(rev, recorded[rev.id])
        for rev in source.revisions
        if rev.id in applied and rev.id in recorded and recorded[rev.id] != rev.checksum
    ]
