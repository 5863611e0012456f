"""Integrations and their logs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from integration_platform.api.schemas import IntegrationCreate, LogCreate
from integration_platform.models import Integration, IntegrationLog
from servicekit.auth import Principal
from servicekit.errors import not_found


async def create_integration(
    session: AsyncSession, owner: Principal, body: IntegrationCreate
) -> Integration:
    assert owner.user_id is not None
    integration = Integration(
        name=body.name,
        description=body.description,
        flow_config=body.flow_config,
        status="draft",
        owner_id=owner.user_id,
    )
    session.add(integration)
    await session.flush()
    await session.refresh(integration)
    return integration


async def list_integrations(
    session: AsyncSession, limit: int, offset: int, status: str | None
) -> list[Integration]:
    query = select(Integration)
    if status:
        query = query.where(Integration.status == status)
    rows = await session.scalars(query.order_by(Integration.id).limit(limit).offset(offset))
    return list(rows)


async def get_integration(session: AsyncSession, integration_id: int) -> Integration:
    integration = await session.get(Integration, integration_id)
    if integration is None:
        raise not_found(f"integration {integration_id}")
    return integration


async def add_log(
    session: AsyncSession, integration_id: int, body: LogCreate, correlation_id: str
) -> IntegrationLog:
    await get_integration(session, integration_id)
    entry = IntegrationLog(
        integration_id=integration_id,
        level=body.level,
        message=body.message,
        correlation_id=correlation_id,
    )
    session.add(entry)
    await session.flush()
    await session.refresh(entry)
    return entry


async def list_logs(
    session: AsyncSession,
    limit: int,
    offset: int,
    integration_id: int | None,
    correlation_id: str | None,
    level: str | None,
) -> list[IntegrationLog]:
    query = select(IntegrationLog)
    if integration_id is not None:
        await get_integration(session, integration_id)
        query = query.where(IntegrationLog.integration_id == integration_id)
    if correlation_id:
        query = query.where(IntegrationLog.correlation_id == correlation_id)
    if level:
        query = query.where(IntegrationLog.level == level)
    rows = await session.scalars(
        query.order_by(IntegrationLog.logged_at, IntegrationLog.id).limit(limit).offset(offset)
    )
    return list(rows)
