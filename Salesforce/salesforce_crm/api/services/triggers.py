"""Per-object triggers: code that runs inside the transaction of a record's write.

A module registers callables for an object name and an event; :mod:`.records` runs them in
order of registration, in the same session (so what they write commits or rolls back with
the record). ``before_insert`` sees the validated values and may change them (they are
validated again); the ``after_*`` triggers see the record as the API shows it, before and
after. A trigger refuses a write by raising a ``servicekit.domain`` error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from salesforce_crm.api.services.actors import Actor

Event = Literal["before_insert", "after_insert", "after_update", "after_delete"]
EVENTS: tuple[Event, ...] = ("before_insert", "after_insert", "after_update", "after_delete")


@dataclass
class TriggerContext:
    """What a trigger gets: ``old`` and ``new`` are API names to API values (None where the
    event has no such side: ``old`` on insert, ``new`` on delete)."""

    session: AsyncSession
    object_name: str
    event: Event
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    actor: Actor


Trigger = Callable[[TriggerContext], Awaitable[None]]


class TriggerRegistry:
    def __init__(self) -> None:
        self._triggers: dict[tuple[str, Event], list[Trigger]] = {}

    def register(self, object_name: str, event: Event, trigger: Trigger) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown trigger event {event!r}; one of {', '.join(EVENTS)}")
        self._triggers.setdefault((object_name.lower(), event), []).append(trigger)

    def unregister(self, object_name: str, event: Event, trigger: Trigger) -> None:
        found = self._triggers.get((object_name.lower(), event), [])
        if trigger in found:
            found.remove(trigger)

    def of(self, object_name: str, event: Event) -> tuple[Trigger, ...]:
        return tuple(self._triggers.get((object_name.lower(), event), ()))

    async def run(self, context: TriggerContext) -> None:
        for trigger in self.of(context.object_name, context.event):
            await trigger(context)


#: The process's registry: flows register their triggers here at import.
TRIGGERS = TriggerRegistry()


def on(object_name: str, event: Event) -> Callable[[Trigger], Trigger]:
    """Decorator: ``@on("WorkOrder", "after_insert")`` registers the function."""

    def register(trigger: Trigger) -> Trigger:
        TRIGGERS.register(object_name, event, trigger)
        return trigger

    return register
