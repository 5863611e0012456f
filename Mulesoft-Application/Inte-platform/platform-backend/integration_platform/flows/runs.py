"""What every flow the platform carries has: a run per correlation id (``flow_runs``), the
flow's integration and a log entry per hop under the correlation id, and the relay's report
of every delivery attempt (attempts, next attempt, last error, ``dead``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from integration_platform.api.deps import ADMIN
from integration_platform.models import FlowRun, Integration, IntegrationLog, User
from servicekit.domain import Unavailable
from servicekit.messaging.outbox import DeliveryOutcome


@dataclass(frozen=True)
class FlowIntegration:
    """The integration a flow's log entries belong to (made on first use)."""

    name: str
    description: str


#: Each flow's integration, registered by the flow's module.
INTEGRATIONS: dict[str, FlowIntegration] = {}


def register_integration(flow: str, name: str, description: str) -> None:
    INTEGRATIONS[flow] = FlowIntegration(name, description)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def event(name: str, **details: Any) -> dict[str, Any]:
    """A history entry."""
    return {"at": now().isoformat(), "event": name, **details}


#: A flow's integration id per database (it never changes once made): one query saved per
#: log entry, several per message.
_INTEGRATION_IDS: dict[tuple[str, str], int] = {}


async def integration_id(session: AsyncSession, flow: str) -> int:
    database = str(session.get_bind().engine.url)
    cached = _INTEGRATION_IDS.get((database, flow))
    if cached is not None:
        return cached
    integration = INTEGRATIONS[flow]
    found = await session.scalar(
        select(Integration.id).where(Integration.name == integration.name).order_by(Integration.id)
    )
    if found is not None:
        _INTEGRATION_IDS[(database, flow)] = int(found)
        return int(found)
    owner = await session.scalar(
        select(User.id).order_by((User.role == ADMIN).desc(), User.id).limit(1)
    )
    if owner is None:
        raise Unavailable("the platform has no user yet to own the flow's integration")
    made = Integration(
        name=integration.name,
        description=integration.description,
        status="deployed",
        owner_id=owner,
        flow_config={"flow": flow},
    )
    session.add(made)
    await session.flush()
    return made.id


async def ensure_integrations(session: AsyncSession) -> bool:
    """Every registered flow's integration, made if missing; False while the platform has no
    user."""
    try:
        for flow in INTEGRATIONS:
            await integration_id(session, flow)
    except Unavailable:
        return False
    return True


async def log_hop(
    session: AsyncSession, flow: str, correlation_id: str, message: str, level: str = "INFO"
) -> None:
    session.add(
        IntegrationLog(
            integration_id=await integration_id(session, flow),
            level=level,
            message=message,
            correlation_id=correlation_id,
        )
    )


async def run_of(session: AsyncSession, correlation_id: str) -> FlowRun | None:
    """The run, locked for this transaction."""
    query = select(FlowRun).where(FlowRun.correlation_id == correlation_id)
    return await session.scalar(query.with_for_update())


async def record_delivery(session: AsyncSession, outcome: DeliveryOutcome) -> None:
    """The relay's report of one attempt to deliver one of the platform's messages; the
    flow's own hook runs after this one (a final delivery ends its run there)."""
    run = await run_of(session, outcome.correlation_id)
    if run is None:
        return
    run.attempts = outcome.attempts
    run.updated_at = now()
    if not outcome.delivered:
        run.last_error = outcome.error
        run.next_attempt_at = outcome.next_attempt_at
        if outcome.dead:
            run.status = "dead"
        await log_hop(
            session,
            run.flow,
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
        run.flow,
        outcome.correlation_id,
        f"delivered {outcome.topic} to {outcome.destination} (attempt {outcome.attempts})",
    )
    if run.status == "dead":  # a replayed message got through
        run.status = "running"
