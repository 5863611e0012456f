"""A migration source: an app's revisions as a graph, and the steps between two points.

Both kinds of app (Alembic revision files, numbered SQL files) are read into the same
:class:`~netapps.sources.revisions.Revision` objects, so planning, revision names (``head``,
``base``, ``-1``, unique prefixes) and their errors are one implementation. Applying steps is
left to the subclass, which knows its tool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from netapps.config import App, Target
from netapps.errors import RevisionError
from netapps.sources.revisions import Revision, Step

if TYPE_CHECKING:
    from netapps.analysis.api import AppAnalysis
    from netapps.analysis.findings import Finding as LintFinding
    from netapps.plan import Plan

#: Called inside each step's transaction, after the step ran: (step, seconds it took).
StepCallback = Callable[[Connection, Step, float], None]


class Source:
    """Base class; subclasses fill in reading the files and running the tool."""

    kind = ""
    version_table = ""

    def __init__(self, app: App) -> None:
        self.app = app
        self._revisions: list[Revision] | None = None
        self._analysis: AppAnalysis | None = None

    # -- the files -------------------------------------------------------------------------
    def load(self) -> list[Revision]:
        raise NotImplementedError

    @property
    def revisions(self) -> list[Revision]:
        """All revisions, parents before children."""
        if self._revisions is None:
            self._revisions = _topological(self.load())
        return self._revisions

    @property
    def by_id(self) -> dict[str, Revision]:
        return {r.id: r for r in self.revisions}

    def heads(self) -> tuple[str, ...]:
        parents = {p for r in self.revisions for p in r.parents}
        return tuple(r.id for r in self.revisions if r.id not in parents)

    def single_head(self) -> str | None:
        heads = self.heads()
        if len(heads) > 1:
            raise RevisionError(
                f"{self.app.name} has multiple heads ({', '.join(heads)}); "
                f"run `netapps merge {self.app.name}` to join them"
            )
        return heads[0] if heads else None

    # -- what the steps do, read from the SQL they run ----------------------------------------
    def analysis(self) -> AppAnalysis:
        """The app's migrations rendered for PostgreSQL and parsed, once per source."""
        from netapps.analysis.api import AppAnalysis

        if self._analysis is None:
            self._analysis = AppAnalysis(self.app.folder, self.kind)  # type: ignore[arg-type]
        return self._analysis

    def destructive(self, step: Step) -> tuple[str, ...]:
        """What ``step`` runs that can destroy data (drops, truncation, narrowing types,
        DELETE without WHERE, statements that cannot be read): from the SQL itself, parsed by
        PostgreSQL's grammar (netapps.analysis), not from the migration's Python source."""
        from netapps.analysis.api import destructive_findings

        found = destructive_findings(
            self.app.folder,
            self.kind,  # type: ignore[arg-type]
            [step.revision.id],
            direction=step.direction,
            analysis=self.analysis(),
        )
        return tuple(f"{f.rule}: {f.message}" for f in found)

    def outside_transaction(self, step: Step) -> bool:
        """Whether ``step`` runs (part of) its work outside a transaction, where a failure or
        a kill cannot roll it back (CREATE INDEX CONCURRENTLY and the like)."""
        return False

    def concurrent_indexes(self, steps: list[Step]) -> list[tuple[str | None, str]]:
        """(schema, name) of the indexes the upgrades among ``steps`` build CONCURRENTLY."""
        from netapps.analysis.api import concurrent_indexes

        ids = [s.revision.id for s in steps if s.direction == "up" and self.outside_transaction(s)]
        if not ids:
            return []
        return concurrent_indexes(
            self.app.folder,
            self.kind,  # type: ignore[arg-type]
            ids,
            analysis=self.analysis(),
        )

    def lint(self, steps: list[Step] | None = None) -> list[LintFinding]:
        """Lock-aware findings of the upgrades among ``steps`` (all upgrades by default),
        knowing that netapps sets a lock time-out on every migration it runs."""
        from netapps.analysis.api import lint_app

        ids = None if steps is None else [s.revision.id for s in steps if s.direction == "up"]
        if ids == []:
            return []
        return lint_app(
            self.app.folder,
            self.kind,  # type: ignore[arg-type]
            ids,
            runner_sets_lock_timeout=True,
            analysis=self.analysis(),
        )

    def schemas(self) -> tuple[str, ...]:
        """Schemas the app's tables live in (mapped away on SQLite)."""
        return ()

    # -- the database ----------------------------------------------------------------------
    def current(self, conn: Connection) -> tuple[str, ...]:
        raise NotImplementedError

    def apply(self, conn: Connection, target: Target, plan: Plan, on_step: StepCallback) -> None:
        """Run exactly ``plan``'s steps, each in its own transaction, calling ``on_step``
        inside it (the ledger row commits with the step)."""
        raise NotImplementedError

    def stamp(self, conn: Connection, target: Target, revision: str | None) -> None:
        raise NotImplementedError

    def accept_checksums(self, conn: Connection, revisions: list[Revision]) -> None:
        """``repair``: the tool's own records accept these files as they are now (in the
        caller's transaction). Alembic keeps no checksums: only the ledger does."""

    def offline_sql(self, target: Target, current: tuple[str, ...], destination: str | None) -> str:
        raise NotImplementedError

    def create_revision(self, message: str, *, autogenerate: bool, target: Target) -> list[Path]:
        raise NotImplementedError

    def merge(self, message: str, target: Target) -> Path:
        raise NotImplementedError

    # -- names and plans -------------------------------------------------------------------
    def ancestors(self, ids: Iterable[str]) -> set[str]:
        by_id = self.by_id
        seen: set[str] = set()
        stack = [i for i in ids if i in by_id]
        while stack:
            rev = stack.pop()
            if rev in seen:
                continue
            seen.add(rev)
            stack.extend(p for p in (*by_id[rev].parents, *by_id[rev].dependencies) if p in by_id)
        return seen

    def resolve(self, spec: str, current: tuple[str, ...]) -> str | None:
        """A revision name as users type it -> a revision id, or None for base."""
        spec = spec.strip()
        if spec in ("head", "heads"):
            return self.single_head()
        if spec == "base":
            return None
        if spec.startswith(("-", "+")) and spec[1:].isdigit():
            return self._relative(int(spec), current)
        by_id = self.by_id
        if spec in by_id:
            return spec
        matches = [r for r in by_id if r.startswith(spec)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise RevisionError(
                f"{self.app.name}: revision '{spec}' is ambiguous: it starts "
                f"{', '.join(sorted(matches))}; type more of it"
            )
        raise RevisionError(
            f"{self.app.name}: unknown revision '{spec}'; "
            f"`netapps history {self.app.name}` lists them"
        )

    def _relative(self, offset: int, current: tuple[str, ...]) -> str | None:
        if len(current) > 1:
            raise RevisionError(
                f"{self.app.name}: the database is at several heads ({', '.join(current)}); "
                "name a revision instead of a relative step"
            )
        position = current[0] if current else None
        by_id = self.by_id
        for moved in range(abs(offset)):
            if offset < 0:
                if position is None:
                    raise RevisionError(
                        f"{self.app.name}: cannot go {abs(offset)} steps down: only {moved} "
                        "revisions are applied (below base there is nothing)"
                    )
                parents = by_id[position].parents
                if len(parents) > 1:
                    raise RevisionError(
                        f"{self.app.name}: {position} is a merge point; name the revision to go to"
                    )
                position = parents[0] if parents else None
            else:
                children = (
                    [r.id for r in self.revisions if position in r.parents]
                    if position
                    else [r.id for r in self.revisions if not r.parents]
                )
                if not children:
                    raise RevisionError(
                        f"{self.app.name}: cannot go {offset} steps up: only {moved} revisions "
                        "are left above the current one"
                    )
                if len(children) > 1:
                    raise RevisionError(
                        f"{self.app.name}: {position or 'base'} has several children "
                        f"({', '.join(children)}); name the revision to go to"
                    )
                position = children[0]
        return position

    def steps(self, current: tuple[str, ...], destination: str | None) -> list[Step]:
        """The steps from ``current`` to ``destination`` (None: base), in the order they run."""
        applied = self.ancestors(current)
        if destination is None:
            wanted: set[str] = set()
        else:
            wanted = self.ancestors([destination])
        order = [r.id for r in self.revisions]
        if destination is not None and destination not in applied:
            return [
                Step(self.by_id[rid], "up") for rid in order if rid in wanted and rid not in applied
            ]
        return [
            Step(self.by_id[rid], "down")
            for rid in reversed(order)
            if rid in applied and rid not in wanted
        ]


def _topological(revisions: list[Revision]) -> list[Revision]:
    """Parents before children; ties broken by id so the order is the same everywhere."""
    by_id = {r.id: r for r in revisions}
    placed: list[Revision] = []
    done: set[str] = set()
    remaining = sorted(by_id)
    while remaining:
        progressed = False
        for rid in list(remaining):
            needs = (*by_id[rid].parents, *by_id[rid].dependencies)
            if all(p in done or p not in by_id for p in needs):
                placed.append(by_id[rid])
                done.add(rid)
                remaining.remove(rid)
                progressed = True
                break
        if not progressed:
            raise RevisionError(f"revisions {', '.join(remaining)} form a cycle; fix down_revision")
    return placed
