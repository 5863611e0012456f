"""The password-reset flow, the platform's part: ServiceNow asks, SAP does it, the outcome
goes back to ServiceNow.

ServiceNow ──requested──▶ platform ──open──▶ SAP
ServiceNow ◀─progress──── platform
                          platform ◀──opened / outcome── SAP
ServiceNow ◀─resolved──── platform

Each message is applied in one transaction with its inbox row: the reset ticket
(``password_reset_tickets``, with its history), the flow run, a log entry per hop and the next
messages. The run ends once ServiceNow accepted the outcome (``servicenow_updated``). No
message ever carries a password: the temporary one is shown to SAP's administrator only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from integration_platform.flows.runs import event, log_hop, now, register_integration, run_of
from integration_platform.models import FlowRun, PasswordResetTicket
from servicekit.domain import NotFound
from servicekit.messaging.flows import FlowPart, OutboxWriter, Receive, Send
from servicekit.messaging.outbox import DeliveryOutcome, Message

FLOW = "password_reset"
SAP, SERVICENOW = "sap", "servicenow"
#: ServiceNow → platform: {servicenow_ticket_id, username, requester_name, requester_email,
#: reason, priority}
REQUESTED = "password_reset.requested"
#: platform → SAP: the same fields: open a reset ticket.
OPEN = "password_reset.open"
#: platform → ServiceNow: {status: "in_progress"}
PROGRESS = "password_reset.progress"
#: SAP → platform: {sap_ticket_id}
OPENED = "password_reset.opened"
#: SAP → platform: {outcome: "completed" | "rejected", reason, sap_ticket_id}
OUTCOME = "password_reset.outcome"
#: platform → ServiceNow: {outcome: "completed" | "rejected", reason, sap_ticket_id}
RESOLVED = "password_reset.resolved"

register_integration(
    FLOW,
    "Password reset: ServiceNow → SAP",
    "Password resets requested in ServiceNow, carried out in SAP",
)
_FORWARDED = (
    "servicenow_ticket_id",
    "username",
    "requester_name",
    "requester_email",
    "reason",
    "priority",
)


async def reset_of(session: AsyncSession, correlation_id: str) -> PasswordResetTicket | None:
    query = select(PasswordResetTicket).where(PasswordResetTicket.correlation_id == correlation_id)
    return await session.scalar(query.with_for_update())


async def on_requested(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    cid, payload = message.correlation_id, message.payload
    if await reset_of(session, cid) is not None:  # the same request again: already under way
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
        history=[event("received", source=message.source)],
    )
    session.add(ticket)
    session.add(FlowRun(correlation_id=cid, flow=FLOW, status="running", step=OPEN))
    await log_hop(
        session,
        FLOW,
        cid,
        f"received {message.topic} from {message.source} "
        f"(ticket {ticket.servicenow_ticket_id}, SAP user {ticket.username})",
    )
    forwarded = {k: payload.get(k) for k in _FORWARDED}
    await outbox.send(session, topic=OPEN, correlation_id=cid, payload=forwarded)
    await outbox.send(
        session, topic=PROGRESS, correlation_id=cid, payload={"status": "in_progress"}
    )
    ticket.status = "sent_to_sap"
    ticket.history = [*ticket.history, event("sent_to_sap")]
    await log_hop(session, FLOW, cid, f"queued {OPEN} for sap")


async def _known(session: AsyncSession, message: Message) -> tuple[PasswordResetTicket, FlowRun]:
    ticket = await reset_of(session, message.correlation_id)
    run = await run_of(session, message.correlation_id)
    if ticket is None or run is None:
        raise NotFound(f"no password-reset flow has the correlation id {message.correlation_id}")
    return ticket, run


async def on_opened(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
    ticket, run = await _known(session, message)
    ticket.sap_ticket_id = message.payload.get("sap_ticket_id")
    if ticket.sap_status is None:
        ticket.sap_status = "open"
    ticket.history = [
        *ticket.history,
        event("sap_ticket_opened", sap_ticket_id=ticket.sap_ticket_id),
    ]
    ticket.updated_at = now()
    run.step = "waiting_for_sap_admin"
    run.updated_at = now()
    await log_hop(
        session,
        FLOW,
        message.correlation_id,
        f"received {message.topic} from {message.source} (SAP ticket {ticket.sap_ticket_id})",
    )


async def on_outcome(session: AsyncSession, message: Message, outbox: OutboxWriter) -> None:
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
    ticket.history = [*ticket.history, event(f"sap_{ticket.sap_status}", reason=reason)]
    ticket.updated_at = now()
    run.step = RESOLVED
    run.updated_at = now()
    await log_hop(
        session,
        FLOW,
        message.correlation_id,
        f"received {message.topic} from {message.source}: {outcome}"
        + (f" ({reason})" if reason else ""),
        "INFO" if completed else "WARNING",
    )
    await outbox.send(
        session,
        topic=RESOLVED,
        correlation_id=message.correlation_id,
        payload={
            "outcome": "completed" if completed else "rejected",
            "reason": reason,
            "sap_ticket_id": ticket.sap_ticket_id,
        },
    )
    await log_hop(session, FLOW, message.correlation_id, f"queued {RESOLVED} for servicenow")


async def on_delivery(session: AsyncSession, outcome: DeliveryOutcome) -> None:
    """ServiceNow accepted the outcome: the run ends."""
    if not outcome.delivered or outcome.topic != RESOLVED:
        return
    ticket = await reset_of(session, outcome.correlation_id)
    run = await run_of(session, outcome.correlation_id)
    if ticket is None or run is None:
        return
    ticket.servicenow_updated = True
    ticket.history = [*ticket.history, event("servicenow_updated")]
    ticket.updated_at = now()
    run.status = "succeeded" if ticket.status == "completed" else "failed"
    run.step = "done"


PART = FlowPart(
    flow=FLOW,
    sends=(Send(OPEN, to=SAP), Send(PROGRESS, to=SERVICENOW), Send(RESOLVED, to=SERVICENOW)),
    receives=(
        Receive(REQUESTED, sender=SERVICENOW, handler=on_requested),
        Receive(OPENED, sender=SAP, handler=on_opened),
        Receive(OUTCOME, sender=SAP, handler=on_outcome),
    ),
    on_delivery=on_delivery,
)
