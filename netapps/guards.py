"""The guards: every reason not to migrate a database, in one list.

Each guard is a function that looks at a database's state (and the plan, when there is one)
and returns findings, each with what is wrong and how to fix it. ``migrate`` raises on the
first blocking finding (preflight), ``check`` lists them all, ``status`` derives its state
from them. A new guard is one function here, added to GUARDS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from netapps.config import Project, Target
from netapps.errors import CheckFailed, NetappsError, RevisionError, UsageError
from netapps.plan import Plan
from netapps.sources.base import Source
from netapps.state import DatabaseState, edited_revisions

#: Why the guards are asked: before migrating (preflight) or to list everything (check).
Purpose = Literal["migrate", "check"]


@dataclass(frozen=True)
class Finding:
    guard: str
    problem: str
    fix: str
    #: The error a blocked migration raises (its exit code is the command's).
    error: type[NetappsError] = CheckFailed

    def as_error(self, target: Target) -> NetappsError:
        return self.error(f"{target.name}: {self.problem}; {self.fix}")


@dataclass(frozen=True)
class Situation:
    """What the guards look at."""

    project: Project
    target: Target
    source: Source
    state: DatabaseState
    plan: Plan | None = None
    purpose: Purpose = "migrate"
    allow_destructive: bool = False
    #: Flyway's validate: applied files must not have changed.
    validate: bool = True
    heads: tuple[str, ...] = field(default=())


Guard = Callable[[Situation], list[Finding]]


def multiple_heads(s: Situation) -> list[Finding]:
    # Migrating to a named revision is fine with several heads (as in Alembic); migrating to
    # "head" cannot be planned at all, and resolving it already refuses with this advice.
    if len(s.heads) <= 1 or s.purpose == "migrate":
        return []
    return [
        Finding(
            "multiple-heads",
            f"multiple heads: {', '.join(s.heads)}",
            f"run `netapps merge {s.target.app.name}` to join them",
            RevisionError,
        )
    ]


def unknown_revision(s: Situation) -> list[Finding]:
    unknown = [r for r in s.state.current if r not in s.source.by_id]
    if not unknown:
        return []
    return [
        Finding(
            "unknown-revision",
            f"the database is at {', '.join(unknown)}, which no migration file defines "
            "(the code is older than the database)",
            "deploy the newer code",
        )
    ]


def unversioned_tables(s: Situation) -> list[Finding]:
    tables = s.state.user_tables
    if s.state.current or not tables:
        return []
    shown = ", ".join(tables[:3]) + (", …" if len(tables) > 3 else "")
    return [
        Finding(
            "unversioned",
            f"the database has tables ({shown}) but no migration version",
            f"run `netapps adopt {s.target.name}` to compare them with the models and stamp it",
        )
    ]


def edited_files(s: Situation) -> list[Finding]:
    if not s.validate:
        return []
    edited = edited_revisions(s.source, s.state.ledger, s.state.current)
    if not edited:
        return []
    files = ", ".join(e.revision.path.name for e in edited)
    return [
        Finding(
            "edited",
            f"applied migration files changed since they ran: {files}",
            f"restore them, or accept them with `netapps repair {s.target.name}`",
        )
    ]


def destructive(s: Situation) -> list[Finding]:
    """Destructive steps: refused in production unless allowed; always listed by check."""
    if s.plan is None:
        return []
    if s.purpose == "migrate" and (s.allow_destructive or s.project.environment != "production"):
        return []  # decided before reading the files: flagging parses every one in full
    flagged = [(step, found) for step in s.plan.steps if (found := s.source.destructive(step))]
    if not flagged:
        return []
    if s.purpose == "check":
        return [
            Finding(
                "destructive",
                f"pending migration {step.revision.id} is destructive: {found[0]}",
                "review it; in production migrate it with --allow-destructive",
            )
            for step, found in flagged
        ]
    names = ", ".join(f"{step.revision.id} ({step.direction})" for step, _found in flagged)
    return [
        Finding(
            "destructive",
            f"refusing destructive migrations in production: {names}",
            "review them with `netapps plan`, then rerun with --allow-destructive",
            UsageError,
        )
    ]


#: In the order preflight checks them.
GUARDS: list[Guard] = [
    multiple_heads,
    unversioned_tables,
    unknown_revision,
    edited_files,
    destructive,
]


def findings(situation: Situation) -> list[Finding]:
    return [finding for guard in GUARDS for finding in guard(situation)]


def preflight(situation: Situation) -> None:
    """Raise the first blocking finding: nothing runs when a guard objects."""
    for guard in GUARDS:
        found = guard(situation)
        if found:
            raise found[0].as_error(situation.target)
