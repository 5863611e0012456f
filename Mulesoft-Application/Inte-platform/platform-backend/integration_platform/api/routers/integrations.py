"""Integrations (everyone reads, builders create) and their logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from integration_platform.api.deps import Builder, Reader
from integration_platform.api.schemas import (
    IntegrationCreate,
    IntegrationOut,
    IntegrationStatus,
    LogCreate,
    LogLevel,
    LogOut,
)
from integration_platform.api.services import integrations
from servicekit.db import ReadSession, WriteSession
from servicekit.schemas import Limit, Offset, RowId

router = APIRouter(prefix="/api/integrations", tags=["integrations"])
logs_router = APIRouter(prefix="/api/integration-logs", tags=["integration logs"])

CorrelationFilter = Annotated[str | None, Query(max_length=100)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_integration(
    body: IntegrationCreate, principal: Builder, session: WriteSession
) -> IntegrationOut:
    integration = await integrations.create_integration(session, principal, body)
    out = IntegrationOut.model_validate(integration)
    await session.commit()
    return out


@router.get("")
async def list_integrations(
    _: Reader,
    session: ReadSession,
    limit: Limit = 100,
    offset: Offset = 0,
    state: Annotated[IntegrationStatus | None, Query(alias="status")] = None,
) -> list[IntegrationOut]:
    rows = await integrations.list_integrations(session, limit, offset, state)
    return [IntegrationOut.model_validate(i) for i in rows]


@router.get("/{integration_id}")
async def get_integration(integration_id: RowId, _: Reader, session: ReadSession) -> IntegrationOut:
    return IntegrationOut.model_validate(
        await integrations.get_integration(session, integration_id)
    )


@router.post("/{integration_id}/logs", status_code=status.HTTP_201_CREATED)
async def add_log(
    integration_id: RowId, body: LogCreate, request: Request, _: Builder, session: WriteSession
) -> LogOut:
    """A log entry, stamped with the request's X-Correlation-ID."""
    entry = await integrations.add_log(session, integration_id, body, request.state.correlation_id)
    out = LogOut.model_validate(entry)
    await session.commit()
    return out


@router.get("/{integration_id}/logs")
async def integration_logs(
    integration_id: RowId,
    _: Reader,
    session: ReadSession,
    limit: Limit = 100,
    offset: Offset = 0,
    correlation_id: CorrelationFilter = None,
    level: LogLevel | None = None,
) -> list[LogOut]:
    rows = await integrations.list_logs(
        session, limit, offset, integration_id, correlation_id, level
    )
    return [LogOut.model_validate(e) for e in rows]


@logs_router.get("")
async def all_logs(
    _: Reader,
    session: ReadSession,
    limit: Limit = 100,
    offset: Offset = 0,
    correlation_id: CorrelationFilter = None,
    level: LogLevel | None = None,
) -> list[LogOut]:
    """Every integration's log entries; ``correlation_id`` follows one flow across them."""
    rows = await integrations.list_logs(session, limit, offset, None, correlation_id, level)
    return [LogOut.model_validate(e) for e in rows]
