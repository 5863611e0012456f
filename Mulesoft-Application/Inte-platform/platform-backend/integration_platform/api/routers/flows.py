"""The flow runs: every role lists and reads them; an administrator replays a dead run's
messages. The flows themselves are :mod:`integration_platform.flows`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, select

from integration_platform.api.deps import ADMIN, Reader
from integration_platform.flows import MESSAGING_SPEC
from integration_platform.flows.crm_work_order import flow_of
from integration_platform.flows.password_reset import reset_of
from integration_platform.flows.runs import log_hop, now, run_of
from integration_platform.models import MESSAGING, FlowRun, PasswordResetTicket, WorkOrderFlow
from integration_platform.models.workflows import FLOW_RUN_STATUSES
from servicekit.auth import Principal, allow
from servicekit.db import ReadSession, database_of
from servicekit.errors import conflict, not_found
from servicekit.messaging.admin import replay_messages
from servicekit.messaging.outbox import wake_relays


class WorkOrderOut(BaseModel):
    salesforce_work_order_id: str
    work_order_number: str | None
    subject: str | None
    sap_work_order_id: str | None
    sap_status: str | None
    salesforce_status: str | None
    status_reason: str | None
    #: The newest SAP status applied, and the newest Salesforce accepted (SAP's numbering).
    sap_sequence: int
    salesforce_sequence: int
    history: list[Any]


class FlowRunOut(BaseModel):
    correlation_id: str
    flow: str
    status: str
    step: str | None
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    #: The reset ticket's state (password-reset runs).
    reset_status: str | None = None
    sap_status: str | None = None
    sap_ticket_id: str | None = None
    servicenow_ticket_id: str | None = None
    servicenow_updated: bool | None = None
    history: list[Any] | None = None
    #: The work order's state (CRM work-order runs).
    work_order: WorkOrderOut | None = None


def _run_out(
    run: FlowRun, ticket: PasswordResetTicket | None, work_order: WorkOrderFlow | None = None
) -> FlowRunOut:
    out = FlowRunOut(**{k: getattr(run, k) for k in FlowRunOut.model_fields if hasattr(run, k)})
    if ticket is not None:
        out.reset_status = ticket.status
        out.sap_status = ticket.sap_status
        out.sap_ticket_id = ticket.sap_ticket_id
        out.servicenow_ticket_id = ticket.servicenow_ticket_id
        out.servicenow_updated = ticket.servicenow_updated
        out.history = ticket.history
    if work_order is not None:
        out.work_order = WorkOrderOut(
            **{k: getattr(work_order, k) for k in WorkOrderOut.model_fields}
        )
        out.history = work_order.history
    return out


def _runs() -> Select[FlowRun, PasswordResetTicket, WorkOrderFlow]:
    """Runs with what each flow keeps of them (none of a flow's rows for another's runs)."""
    return (
        select(FlowRun, PasswordResetTicket, WorkOrderFlow)
        .outerjoin(
            PasswordResetTicket, PasswordResetTicket.correlation_id == FlowRun.correlation_id
        )
        .outerjoin(WorkOrderFlow, WorkOrderFlow.correlation_id == FlowRun.correlation_id)
    )


router = APIRouter(prefix="/api/flows/runs", tags=["flow runs"])
AdminOnly = Annotated[Principal, Depends(allow(ADMIN))]


@router.get("", summary="Flow runs, newest first (by correlation id, by status)")
async def list_runs(
    session: ReadSession,
    _: Reader,
    correlation_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Literal[FLOW_RUN_STATUSES] | None = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[FlowRunOut]:
    query = _runs()
    if correlation_id:
        query = query.where(FlowRun.correlation_id == correlation_id)
    if status:
        query = query.where(FlowRun.status == status)
    rows = await session.execute(query.order_by(FlowRun.id.desc()).limit(limit))
    return [_run_out(run, ticket, order) for run, ticket, order in rows.all()]


@router.get("/{correlation_id}", summary="One flow run, with its reset ticket or work order")
async def get_run(correlation_id: str, session: ReadSession, _: Reader) -> FlowRunOut:
    query = _runs().where(FlowRun.correlation_id == correlation_id)
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise not_found(f"flow run {correlation_id}")
    return _run_out(row[0], row[1], row[2])


@router.post("/{correlation_id}/replay", summary="Deliver a dead run's messages again")
async def replay_run(correlation_id: str, request: Request, admin: AdminOnly) -> FlowRunOut:
    outbox_table = MESSAGING.outbox
    async with database_of(request).writer() as session:
        run = await run_of(session, correlation_id)
        if run is None:
            raise not_found(f"flow run {correlation_id}")
        replayed = await replay_messages(
            session, MESSAGING_SPEC, outbox_table.c.correlation_id == correlation_id
        )
        if not replayed:
            raise conflict(f"the run is {run.status}: it has no dead message to replay")
        run.status = "running"
        run.attempts = 0
        run.next_attempt_at = now()
        run.updated_at = now()
        await log_hop(
            session, run.flow, correlation_id, f"{admin.name} replayed {replayed} dead message(s)"
        )
        await session.commit()
        ticket = await reset_of(session, correlation_id)
        order = await flow_of(session, correlation_id)
        out = _run_out(run, ticket, order)
    wake_relays()
    return out
