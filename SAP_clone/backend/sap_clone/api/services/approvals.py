"""FI approvals: requested (by the work-order flow, or seeded), decided once by Finance.

A decision locks the approval's row (FOR UPDATE on PostgreSQL; SQLite's write session holds
the database's write lock), so two officers deciding at once give one decision and one 409.
The decision is written on the approval (who, when, comment) and in its ticket's audit trail.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.api.roles import ADMIN, FINANCE_OFFICER
from sap_clone.api.services import audit
from sap_clone.api.services.keys import new_key
from sap_clone.api.services.rules import require_role
from sap_clone.models.core import AuditEntry
from sap_clone.models.fi import Approval
from servicekit.auth import SERVICE_ROLE, Principal
from servicekit.domain import Conflict, NotFound

FI_ROLES = (ADMIN, FINANCE_OFFICER, SERVICE_ROLE)
#: What a decision route sets, by its verb.
DECISIONS = {"approve": "approved", "reject": "rejected"}


async def list_approvals(
    session: AsyncSession, limit: int, offset: int, decision: str | None = None
) -> list[Approval]:
    query = select(Approval)
    if decision:
        query = query.where(Approval.decision == decision)
    rows = await session.scalars(query.order_by(Approval.approval_id).limit(limit).offset(offset))
    return list(rows)


async def get_approval(session: AsyncSession, approval_id: str) -> Approval:
    approval = await session.get(Approval, approval_id)
    if approval is None:
        raise NotFound(f"approval {approval_id} not found")
    return approval


def new_approval(
    cost_center_id: str,
    amount: Decimal,
    justification: str,
    ticket_id: str | None,
    actor: Principal,
) -> Approval:
    return Approval(
        approval_id=new_key("APR"),
        cost_center_id=cost_center_id,
        ticket_id=ticket_id,
        amount=amount,
        justification=justification,
        decision="pending",
        requested_by=actor.name,
        requested_at=dt.datetime.now(dt.UTC),
    )


async def record_decision(
    session: AsyncSession,
    approval_id: str,
    decision: str,
    comment: str | None,
    actor: Principal,
) -> Approval:
    """``approved`` or ``rejected``, once: a decided approval is a 409 naming its decision."""
    require_role(actor, FI_ROLES, "decide approvals")
    return await _decide(session, approval_id, decision, comment, actor)


async def withdraw(
    session: AsyncSession, approval_id: str, reason: str, actor: Principal
) -> Approval:
    """Rejects an approval nobody needs any more (its work order was cancelled): the
    cancelling user's doing, whatever their role, with the reason as the comment."""
    return await _decide(session, approval_id, "rejected", reason, actor)


async def _decide(
    session: AsyncSession,
    approval_id: str,
    decision: str,
    comment: str | None,
    actor: Principal,
) -> Approval:
    approval = (
        await session.scalars(
            select(Approval)
            .where(Approval.approval_id == approval_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if approval is None:
        raise NotFound(f"approval {approval_id} not found")
    if approval.decision != "pending":
        raise Conflict(
            f"approval {approval_id} is already {approval.decision} "
            f"(by {approval.decided_by}); a decision is taken once",
            decision=approval.decision,
        )
    approval.decision = decision
    approval.decided_by = actor.name
    approval.decided_at = dt.datetime.now(dt.UTC)
    approval.comments = comment
    if approval.ticket_id is not None:
        session.add(
            AuditEntry(
                ticket_id=approval.ticket_id,
                action=f"approval_{decision}",
                old_value=f"{approval_id}: pending",
                new_value=f"{approval_id}: {decision}" + (f" ({comment})" if comment else ""),
                performed_by=actor.name,
            )
        )
    await session.flush()
    audit.record(actor, decision, "approval", approval_id, comment=comment)
    return approval
