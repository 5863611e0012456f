"""Where each database stands: current revision, heads, pending steps, edited files, state.

The state is derived from the guards (netapps.guards), so ``status`` and ``migrate`` cannot
disagree about what stops a migration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netapps import guards
from netapps.config import Project, Target
from netapps.connection import first_line, run_on_target, scrub
from netapps.errors import NetappsError, UnreachableError
from netapps.plan import make_plan
from netapps.recorder import Entry
from netapps.sources.base import Source
from netapps.sources.revisions import Step
from netapps.state import EMPTY, Edited, edited_revisions, read_state

UP_TO_DATE = "up to date"
BEHIND = "behind"
AHEAD = "ahead of the code"
UNVERSIONED = "unversioned with tables present"
MULTIPLE_HEADS = "multiple heads"
UNREACHABLE = "unreachable"
ERROR = "error"

#: A guard's finding -> the state it puts a database in.
_STATE_OF_GUARD = {
    "multiple-heads": MULTIPLE_HEADS,
    "unknown-revision": AHEAD,
    "unversioned": UNVERSIONED,
}


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

    @property
    def known(self) -> bool:
        """Whether the database could be read: "could not tell" is never "up to date"."""
        return self.error is None


def status_of(project: Project, target: Target, source: Source) -> AppStatus:
    status = AppStatus(target=target)
    try:
        status.heads = source.heads()
        if not target.engine.exists(target):
            state = EMPTY  # no database yet: empty, and looking must not create it
        else:
            state = run_on_target(target, lambda conn: read_state(conn, source, target))
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
    status.unknown = tuple(r for r in status.current if r not in source.by_id)
    status.edited = edited_revisions(source, status.ledger, status.current)
    situation = guards.Situation(
        project, target, source, state, purpose="check", heads=status.heads
    )
    for finding in guards.findings(situation):
        if finding.guard in _STATE_OF_GUARD:
            status.state = _STATE_OF_GUARD[finding.guard]
            return status
    plan = make_plan(target, source, status.current, "head")
    status.pending = list(plan.steps)
    status.state = BEHIND if status.pending else UP_TO_DATE
    return status
