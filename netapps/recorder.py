"""The ledger: every migration applied or reverted in a database, by whom, when, how long.

One table per database, ``netapps_migration_log``, written in the same transaction as the
migration it records: a migration that rolls back leaves no row, one that commits always has
one. Its checksums are what ``migrate`` and ``check`` compare files against (Flyway's
validate); ``repair`` appends a row that accepts a file's new content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
)

from netapps import __version__
from netapps.engines.base import who
from netapps.settings import LEDGER_TABLE
from netapps.sources.revisions import checksums_from_ledger

_metadata = MetaData()
ledger = Table(
    LEDGER_TABLE,
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("app", String(64), nullable=False),
    Column("revision", String(255), nullable=False),
    # up, down, repair (a checksum accepted), stamp
    Column("direction", String(8), nullable=False),
    Column("checksum", String(64), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("applied_by", String(255), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("tool_version", String(32), nullable=False),
)


@dataclass(frozen=True)
class Entry:
    app: str
    revision: str
    direction: str
    checksum: str
    applied_at: dt.datetime
    applied_by: str
    duration_ms: int
    tool_version: str


def ensure(conn: Connection) -> None:
    """Create the ledger if it is missing (committed on its own: it holds no migration)."""
    if not inspect(conn).has_table(LEDGER_TABLE):
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            ledger.create(conn, checkfirst=True)
    if conn.in_transaction():
        conn.commit()


def record(
    conn: Connection,
    *,
    app: str,
    revision: str,
    direction: str,
    checksum: str,
    seconds: float,
) -> None:
    """Append a row; the caller's transaction decides whether it stays."""
    conn.execute(
        insert(ledger).values(
            app=app,
            revision=revision,
            direction=direction,
            checksum=checksum,
            applied_at=dt.datetime.now(dt.UTC),
            applied_by=who(),
            duration_ms=round(seconds * 1000),
            tool_version=__version__,
        )
    )


def entries(conn: Connection, app: str) -> list[Entry]:
    if not inspect(conn).has_table(LEDGER_TABLE):
        return []
    rows = conn.execute(select(ledger).where(ledger.c.app == app).order_by(ledger.c.id)).all()
    result = [
        Entry(
            app=r.app,
            revision=r.revision,
            direction=r.direction,
            checksum=r.checksum,
            applied_at=r.applied_at if r.applied_at.tzinfo else r.applied_at.replace(tzinfo=dt.UTC),
            applied_by=r.applied_by,
            duration_ms=r.duration_ms,
            tool_version=r.tool_version,
        )
        for r in rows
    ]
    if conn.in_transaction():
        conn.commit()
    return result


def recorded_checksums(history: list[Entry]) -> dict[str, str]:
    """The checksum each currently applied revision was applied (or repaired) with."""
    return checksums_from_ledger((e.revision, e.direction, e.checksum) for e in history)


def last_applied(history: list[Entry]) -> dict[str, Entry]:
    latest: dict[str, Entry] = {}
    for entry in history:
        if entry.direction == "up":
            latest[entry.revision] = entry
        elif entry.direction == "down":
            latest.pop(entry.revision, None)
    return latest
