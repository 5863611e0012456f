"""CRM work orders in PM: listed, read with lines and history, and moved (Maintenance_Engineer,
Admin). Orders are opened by the CRM work-order flow, not by a route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.api.deps import PmUser, ReadSession, WriteSession
from sap_clone.api.fields import KeyPath
from sap_clone.api.services import work_orders
from sap_clone.api.work_order_schemas import (
    FlowStatus,
    TransitionBody,
    WorkOrderDetail,
    WorkOrderOut,
    WorkOrderPage,
)
from sap_clone.models.work_orders import CrmWorkOrder
from servicekit.auth import Principal
from servicekit.messaging.outbox import wake_relays
from servicekit.schemas import Limit, Offset

router = APIRouter(prefix="/api/pm/work-orders", tags=["pm"])

CrmId = Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]
Transition = Callable[[AsyncSession, str, Principal, str | None], Awaitable[CrmWorkOrder]]


@router.get("")
async def list_work_orders(
    principal: PmUser,
    session: ReadSession,
    limit: Limit = 50,
    offset: Offset = 0,
    flow_status: Annotated[FlowStatus | None, Query(alias="status")] = None,
    crm_reference_id: CrmId = None,
    count: bool = False,
) -> WorkOrderPage:
    rows, total = await work_orders.list_orders(
        session, limit, offset, flow_status, crm_reference_id, count
    )
    return WorkOrderPage(
        items=[WorkOrderOut.model_validate(o) for o in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{work_order_id}")
async def get_work_order(
    work_order_id: KeyPath, principal: PmUser, session: ReadSession
) -> WorkOrderDetail:
    return WorkOrderDetail.model_validate(await work_orders.get_order(session, work_order_id))


def _transition_route(name: str, move: Transition) -> None:
    async def transition(
        work_order_id: KeyPath,
        principal: PmUser,
        session: WriteSession,
        body: TransitionBody | None = None,
    ) -> WorkOrderDetail:
        await move(session, work_order_id, principal, body.note if body else None)
        out = WorkOrderDetail.model_validate(await work_orders.get_order(session, work_order_id))
        await session.commit()
        wake_relays()  # a work order's status change may have a message to send
        return out

    router.add_api_route(
        f"/{{work_order_id}}/{name}",
        transition,
        methods=["POST"],
        summary=f"{name.capitalize()} a work order",
        name=f"{name}_work_order",
    )


for _name, _move in (
    ("proceed", work_orders.proceed),
    ("start", work_orders.start),
    ("complete", work_orders.complete),
    ("cancel", work_orders.cancel),
):
    _transition_route(_name, _move)
