"""What else happens when a work order changes status: the registry the flows hook into.

Every transition of :mod:`sap_clone.api.services.work_orders` writes its history row and then
awaits :func:`on_status_changed` in the same transaction, which awaits every registered hook
in order. None is registered by default. The CRM work-order flow registers one that writes
the ``sap.work_order.status_changed`` outbox message: the message is committed with the
change or not at all, and a hook that raises rolls the transition back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.models.work_orders import CrmWorkOrder

#: (session, order, from_status (None when the order was just opened), to_status, note).
StatusHook = Callable[[AsyncSession, CrmWorkOrder, str | None, str, str | None], Awaitable[None]]

STATUS_CHANGED_HOOKS: list[StatusHook] = []


def register(hook: StatusHook) -> StatusHook:
    """Adds ``hook`` (once: registering it again changes nothing); usable as a decorator."""
    if hook not in STATUS_CHANGED_HOOKS:
        STATUS_CHANGED_HOOKS.append(hook)
    return hook


def unregister(hook: StatusHook) -> None:
    if hook in STATUS_CHANGED_HOOKS:
        STATUS_CHANGED_HOOKS.remove(hook)


async def on_status_changed(
    session: AsyncSession,
    order: CrmWorkOrder,
    from_status: str | None,
    to_status: str,
    note: str | None,
) -> None:
    for hook in list(STATUS_CHANGED_HOOKS):
        await hook(session, order, from_status, to_status, note)
