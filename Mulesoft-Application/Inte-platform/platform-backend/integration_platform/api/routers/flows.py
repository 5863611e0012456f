"""The password-reset flow on the integration platform, and its runs.

Each message of the flow is applied in one transaction with its inbox row: the reset ticket
(``password_reset_tickets``, with its history), the flow run (``flow_runs``), an
``integration_logs`` entry per hop under the correlation id, and the next messages. The relay
reports every delivery attempt of the platform's messages back here (``record_delivery``):
attempts, next attempt and last error of the run, ``dead`` when a message failed too often,
and ``servicenow_updated`` once ServiceNow accepted the outcome, which ends the run.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from integration_platform.api.deps import ADMIN, Reader
from integration_platform.models import (
    MESSAGING,
    FlowRun,
    Integration,
    IntegrationLog,
    PasswordResetTicket,
    User,
)
from integration_platform.models.workflows import FLOW_RUN_STATUSES
from servicekit.auth import Principal, allow
from servicekit.db import ReadSession, database_of
from servicekit.errors import Problem, conflict, not_found
from servicekit.messaging import topics
from servicekit.messaging.admin import replay_messages
from servicekit.messaging.outbox import (
    DeliveryOutcome,
    Handler,
    Message,
    MessagingSpec,
    Outbox,
    wake_relays,
)

#: The integration the flow's log entries belong to (made on first use).
INTEGRATION_NAME = "Password reset: ServiceNow → SAP"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _event(event: str, **details: Any) -> dict[str, Any]:
    return {"at": _now().isoformat(), "event": event, **details}


#: The flow integration's id per database (it never changes once made): one query saved per
#: log entry, several per message.
_INTEGRATION_IDS: dict[str, int] = {}


async def _integration_id(session: AsyncSession) -> int:
    bind = session.get_bind()
    database = str(bind.engine.url)
    if database in _INTEGRATION_IDS:
        return _INTEGRATION_IDS[database]
    found = await session.scalar(
        select(Integration.id).where(Integration.name == INTEGRATION_NAME).order_by(Integration.id)
    )
    if found is not None:
        _INTEGRATION_IDS[database] = int(found)
        return int(found)
    owner = await session.scalar(
        select(User.id).order_by((User.role == ADMIN).desc(), User.id).limit(1)
    )
    if owner is None:
        raise Problem(503, "the platform has no user yet to own the flow's integration")
    integration = Integration(
        name=INTEGRATION_NAME,
        description="Password resets requested in ServiceNow, carried out in SAP",
        status="deployed",
        owner_id=owner,
        flow_config={"flow": topics.FLOW},
    )
    session.add(integration)
    await session.flush()
    return integration.id


async def ensure_integration(session: AsyncSession) -> int | None:
    """The flow's integration, made if missing; None while the platform has no user."""
    try:
        return await _integration_id(session)
    except Problem:
        return None


async def log_hop(
    session: AsyncSession, correlation_id: str, message: str, level: str = "INFO"
) -> None:
    session.add(
        IntegrationLog(
            integration_id=await _integration_id(session),
            level=level,
            message=message,
            correlation_id=correlation_id,
        )
    )


async def _reset(session: AsyncSession, correlation_id: str) -> PasswordResetTicket | None:
    query = select(PasswordResetTicket).where(PasswordResetTicket.correlation_id == correlation_id)
    return await session.scalar(query.with_for_update())


async def _run(session: AsyncSession, correlation_id: str) -> FlowRun | None:
    query = select(FlowRun).where(FlowRun.correlation_id == correlation_id)
    return await session.scalar(query.with_for_update())


async def on_requested(session: AsyncSession, message: Message, outbox: Outbox) -> None:
    cid, payload = message.correlation_id, message.payload
    if await _reset(session, cid) is not None:  # the same request again: already under way
        return
    ticket = PasswordResetTicket(
        correlation_id=cid,
        servicenow_ticket_id=payload.get("servicenow_ticket_id"),
        username=str(payload.get("username", "")),
        requester_name=payload.get("requester_name"),
        requester_email=payload.get("requester_email"),
        reason=payload.get("reason"),
        priority=payload.get("priority"),
        status="pending",
        history=[_event("received", source=message.source)],
    )
    session.add(ticket)
    run = FlowRun(correlation_id=cid, flow=topics.FLOW, status="running", step=topics.RESET_OPEN)
    session.add(run)
    await log_hop(
        session,
        cid,
        f"received {message.topic} from {message.source} "
        f"(ticket {ticket.servicenow_ticket_id}, SAP user {ticket.username})",
    )
    forwarded = {
        k: payload.get(k)
        for k in (
            "servicenow_ticket_id",
            "username",
            "requester_name",
            "requester_email",
            "reason",
            "priority",
        )
    }
    await outbox.send(
        session,
        destination=topics.SAP,
        topic=topics.RESET_OPEN,
        correlation_id=cid,
        payload=forwarded,
    )
    await outbox.send(
        session,
        destination=topics.SERVICENOW,
        topic=topics.RESET_PROGRESS,
        correlation_id=cid,
        payload={"status": "in_progress"},
    )
    ticket.status = "sent_to_sap"
    ticket.history = [*ticket.history, _event("sent_to_sap")]
    await log_hop(session, cid, f"queued {topics.RESET_OPEN} for sap")


async def _known(session: AsyncSession, message: Message) -> tuple[PasswordResetTicket, FlowRun]:
    ticket = await _reset(session, message.correlation_id)
    run = await _run(session, message.correlation_id)
    if ticket is None or run is None:
        raise Problem(
            404, f"no password-reset flow has the correlation id {message.correlation_id}"
        )
    return ticket, run


async def on_opened(session: AsyncSession, message: Message, outbox: Outbox) -> None:
    ticket, run = await _known(session, message)
    ticket.sap_ticket_id = message.payload.get("sap_ticket_id")
    if ticket.sap_status is None:
        ticket.sap_status = "open"
    ticket.history = [
        *ticket.history,
        _event("sap_ticket_opened", sap_ticket_id=ticket.sap_ticket_id),
    ]
    ticket.updated_at = _now()
    run.step = "waiting_for_sap_admin"
    run.updated_at = _now()
    await log_hop(
        session,
        message.correlation_id,
        f"received {message.topic} from {message.source} (SAP ticket {ticket.sap_ticket_id})",
    )


async def on_outcome(session: AsyncSession, message: Message, outbox: Outbox) -> None:
    ticket, run = await _known(session, message)
    if ticket.status in ("completed", "failed"):
        return
    outcome = message.payload.get("outcome")
    reason = message.payload.get("reason")
    completed = outcome == "completed"
    ticket.status = "completed" if completed else "failed"
    ticket.sap_status = "completed" if completed else "rejected"
    if message.payload.get("sap_ticket_id"):
        ticket.sap_ticket_id = message.payload["sap_ticket_id"]
    ticket.history = [*ticket.history, _event(f"sap_{ticket.sap_status}", reason=reason)]
    ticket.updated_at = _now()
    run.step = topics.RESET_RESOLVED
    run.updated_at = _now()
    await log_hop(
        session,
        message.correlation_id,
        f"received {message.topic} from {message.source}: {outcome}"
        + (f" ({reason})" if reason else ""),
        "INFO" if completed else "WARNING",
    )
    await outbox.send(
        session,
        destination=topics.SERVICENOW,
        topic=topics.RESET_RESOLVED,
        correlation_id=message.correlation_id,
        payload={
            "outcome": "completed" if completed else "rejected",
            "reason": reason,
            "sap_ticket_id": ticket.sap_ticket_id,
        },
    )
    await log_hop(session, message.correlation_id, f"queued {topics.RESET_RESOLVED} for servicenow")


async def record_delivery(session: AsyncSession, outcome: DeliveryOutcome) -> None:
    """The relay's report of one attempt to deliver one of the platform's messages."""
    run = await _run(session, outcome.correlation_id)
    if run is None:
        return
    now = _now()
    run.attempts = outcome.attempts
    run.updated_at = now
    if not outcome.delivered:
        run.last_error = outcome.error
        run.next_attempt_at = outcome.next_attempt_at
        if outcome.dead:
            run.status = "dead"
        await log_hop(
            session,
            outcome.correlation_id,
            f"delivering {outcome.topic} to {outcome.destination} failed "
            f"(attempt {outcome.attempts}{', dead' if outcome.dead else ''}): {outcome.error}",
            "ERROR" if outcome.dead else "WARNING",
        )
        return
    run.last_error = None
    run.next_attempt_at = None
    await log_hop(
        session,
        outcome.correlation_id,
        f"delivered {outcome.topic} to {outcome.destination} (attempt {outcome.attempts})",
    )
    if outcome.topic == topics.RESET_RESOLVED:
        ticket = await _reset(session, outcome.correlation_id)
        if ticket is not None:
            ticket.servicenow_updated = True
            ticket.history = [*ticket.history, _event("servicenow_updated")]
            ticket.updated_at = now
            run.status = "succeeded" if ticket.status == "completed" else "failed"
            run.step = "done"
    elif run.status == "dead":  # a replayed message got through
        run.status = "running"


HANDLERS: dict[str, Handler] = {
    topics.RESET_REQUESTED: on_requested,
    topics.RESET_OPENED: on_opened,
    topics.RESET_OUTCOME: on_outcome,
}
MESSAGING_SPEC = MessagingSpec(
    tables=MESSAGING, handlers=HANDLERS, on_outcome=record_delivery, admin_roles=(ADMIN,)
)


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


def _run_out(run: FlowRun, ticket: PasswordResetTicket | None) -> FlowRunOut:
    out = FlowRunOut(**{k: getattr(run, k) for k in FlowRunOut.model_fields if hasattr(run, k)})
    if ticket is not None:
        out.reset_status = ticket.status
        out.sap_status = ticket.sap_status
        out.sap_ticket_id = ticket.sap_ticket_id
        out.servicenow_ticket_id = ticket.servicenow_ticket_id
        out.servicenow_updated = ticket.servicenow_updated
        out.history = ticket.history
    return out


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
    query = select(FlowRun, PasswordResetTicket).outerjoin(
        PasswordResetTicket, PasswordResetTicket.correlation_id == FlowRun.correlation_id
    )
    if correlation_id:
        query = query.where(FlowRun.correlation_id == correlation_id)
    if status:
        query = query.where(FlowRun.status == status)
    rows = await session.execute(query.order_by(FlowRun.id.desc()).limit(limit))
    return [_run_out(run, ticket) for run, ticket in rows.all()]


@router.get("/{correlation_id}", summary="One flow run and its reset ticket")
async def get_run(correlation_id: str, session: ReadSession, _: Reader) -> FlowRunOut:
    row = (
        await session.execute(
            select(FlowRun, PasswordResetTicket)
            .outerjoin(
                PasswordResetTicket, PasswordResetTicket.correlation_id == FlowRun.correlation_id
            )
            .where(FlowRun.correlation_id == correlation_id)
        )
    ).one_or_none()
    if row is None:
        raise not_found(f"flow run {correlation_id}")
    return _run_out(row[0], row[1])


@router.post("/{correlation_id}/replay", summary="Deliver a dead run's messages again")
async def replay_run(correlation_id: str, request: Request, admin: AdminOnly) -> FlowRunOut:
    outbox_table = MESSAGING.outbox
    async with database_of(request).writer() as session:
        run = await _run(session, correlation_id)
        if run is None:
            raise not_found(f"flow run {correlation_id}")
        replayed = await replay_messages(
            session, MESSAGING_SPEC, outbox_table.c.correlation_id == correlation_id
        )
        if not replayed:
            raise conflict(f"the run is {run.status}: it has no dead message to replay")
        run.status = "running"
        run.attempts = 0
        run.next_attempt_at = _now()
        run.updated_at = _now()
        await log_hop(session, correlation_id, f"{admin.name} replayed {replayed} dead message(s)")
        await session.commit()
        ticket = await _reset(session, correlation_id)
        out = _run_out(run, ticket)
    wake_relays()
    return out
