"""Offline SQL (``alembic upgrade --sql``, ``netapps plan --sql``): the statements that bring
netapps' own bookkeeping along, so that SQL applied with ``psql -f`` leaves a database exactly
as an online run does — the ledger table and one ledger row per migration, written inside
that migration's transaction.
"""

from __future__ import annotations

from sqlalchemy import func, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql.elements import ClauseElement

from netapps import __version__
from netapps.engines.base import who
from netapps.recorder import ledger

#: Who applied an offline migration: whoever generated the SQL, marked as such.
OFFLINE = "(offline SQL)"


def create_ledger() -> CreateTable:
    """The ledger table, created unless it exists."""
    return CreateTable(ledger, if_not_exists=True)


def ledger_row(*, app: str, revision: str, direction: str, checksum: str) -> ClauseElement:
    """A ledger row for one step (the database's clock says when)."""
    return insert(ledger).values(
        app=app,
        revision=revision,
        direction=direction,
        checksum=checksum,
        applied_at=func.current_timestamp(),
        applied_by=f"{who()} {OFFLINE}",
        duration_ms=0,
        tool_version=__version__,
    )


def as_text(element: ClauseElement, dialect: Dialect) -> str:
    """One statement as SQL text for ``dialect``, values inlined, ending in ``;``."""
    compiled = element.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return str(compiled).strip() + ";"
