"""``GET /api/now/table/{table}``: ServiceNow's Table API, read-only, for tickets and incidents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from servicekit.db import ReadSession
from servicekit.schemas import MAX_INTEGER
from servicenow.api.deps import Agent
from servicenow.api.schemas import TableResult
from servicenow.api.services.table_api import read_table

router = APIRouter(prefix="/api/now/table", tags=["table api"])


@router.get("/{table}")
async def table_records(
    table: str,
    principal: Agent,
    session: ReadSession,
    sysparm_query: Annotated[str, Query(max_length=2_000)] = "",
    sysparm_limit: Annotated[int, Query(ge=1, le=1_000)] = 100,
    sysparm_offset: Annotated[int, Query(ge=0, le=MAX_INTEGER)] = 0,
) -> TableResult:
    rows = await read_table(session, principal, table, sysparm_query, sysparm_limit, sysparm_offset)
    return TableResult(result=rows)
