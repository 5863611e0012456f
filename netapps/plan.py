"""A plan: where a database is, where it is asked to go, and the steps between, in order.

The target is resolved once per plan, and a run plans twice: once to see whether there is
anything to do (a no-op takes no lock), once more under the migration lock, where the state
cannot change any more. The steps of that second plan are the ones the guards validate, the
backup is labelled with, and the executor runs and checks Alembic's steps against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from netapps.config import Target
from netapps.errors import RevisionError
from netapps.sources.base import Source
from netapps.sources.revisions import Step

Direction = Literal["up", "down"]


@dataclass(frozen=True)
class Plan:
    target: Target
    current: tuple[str, ...]
    #: The resolved destination: a revision id, or None for base.
    destination: str | None
    steps: tuple[Step, ...]

    @property
    def direction(self) -> Direction | None:
        return self.steps[0].direction if self.steps else None

    @property
    def is_noop(self) -> bool:
        return not self.steps

    @property
    def destination_name(self) -> str:
        return self.destination or "base"


def make_plan(target: Target, source: Source, current: tuple[str, ...], spec: str) -> Plan:
    """Resolve ``spec`` (head, base, -1, +2, an id or unique prefix) from ``current``."""
    destination = source.resolve(spec, current)
    return Plan(target, current, destination, tuple(source.steps(current, destination)))


def require_direction(plan: Plan, wanted: Direction | None, spec: str) -> None:
    """``upgrade`` never moves down and ``downgrade`` never up: decided on the plan made
    under the lock, so a migrator that ran meanwhile cannot turn one into the other."""
    if wanted is None or plan.is_noop or plan.direction == wanted:
        return
    other = "downgrade" if wanted == "up" else "upgrade"
    where = ", ".join(plan.current) or "base"
    raise RevisionError(
        f"{plan.target.name}: {spec} ({plan.destination_name}) is not "
        f"{'above' if wanted == 'up' else 'below'} the current revision ({where}); "
        f"use `netapps {other}`"
    )
