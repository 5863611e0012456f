"""FI approvals: listed (by decision) and decided once (Finance_Officer, Admin). Deciding the
approval of a work order's shortage drives that order (approved: requisitions, rejected: the
reason)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sap_clone.api.deps import FiUser, ReadSession, WriteSession
from sap_clone.api.fi_schemas import ApprovalOut, ApproveBody, Decision, RejectBody
from sap_clone.api.fields import KeyPath
from sap_clone.api.services import approvals, work_orders
from servicekit.messaging.outbox import wake_relays
from servicekit.schemas import Limit, Offset

router = APIRouter(prefix="/api/fi/approvals", tags=["fi"])


@router.get("")
async def list_approvals(
    principal: FiUser,
    session: ReadSession,
    limit: Limit = 100,
    offset: Offset = 0,
    decision: Annotated[Decision | None, Query()] = None,
) -> list[ApprovalOut]:
    rows = await approvals.list_approvals(session, limit, offset, decision)
    return [ApprovalOut.model_validate(a) for a in rows]


@router.get("/{approval_id}")
async def get_approval(
    approval_id: KeyPath, principal: FiUser, session: ReadSession
) -> ApprovalOut:
    return ApprovalOut.model_validate(await approvals.get_approval(session, approval_id))


@router.post("/{approval_id}/approve")
async def approve(
    approval_id: KeyPath,
    principal: FiUser,
    session: WriteSession,
    body: ApproveBody | None = None,
) -> ApprovalOut:
    comment = body.comment if body else None
    approval = await work_orders.decide_approval(
        session, approval_id, "approved", comment, principal
    )
    out = ApprovalOut.model_validate(approval)
    await session.commit()
    wake_relays()  # a work order's status change may have a message to send
    return out


@router.post("/{approval_id}/reject")
async def reject(
    approval_id: KeyPath, body: RejectBody, principal: FiUser, session: WriteSession
) -> ApprovalOut:
    approval = await work_orders.decide_approval(
        session, approval_id, "rejected", body.comment, principal
    )
    out = ApprovalOut.model_validate(approval)
    await session.commit()
    wake_relays()  # a work order's status change may have a message to send
    return out
