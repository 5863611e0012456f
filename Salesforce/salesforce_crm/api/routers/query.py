"""``query``, ``queryAll`` and ``query/{locator}``: thin routes over the SOQL engine."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import Response

from salesforce_crm.api import querying
from salesforce_crm.api.context import Caller, Version
from salesforce_crm.api.ops import Call
from salesforce_crm.api.routers.answers import answer
from salesforce_crm.api.routers.sobjects import V
from servicekit.db import WriteSession

router = APIRouter(tags=["salesforce REST API"])
Options = Annotated[str | None, Header(alias="Sforce-Query-Options")]


# A query may write its locator (the cursor of the next pages): a write session.
@router.get(V + "/query", include_in_schema=False)
@router.get(V + "/query/", summary="Run a SOQL query (q)")
async def query(
    version: Version,
    caller: Caller,
    session: WriteSession,
    q: str | None = None,
    options: Options = None,
) -> Response:
    result = await querying.query(
        Call(session, caller, version),
        q,
        include_deleted=False,
        batch=querying.batch_size(options),
    )
    await session.commit()
    return answer(result)


@router.get(V + "/queryAll", include_in_schema=False)
@router.get(V + "/queryAll/", summary="Run a SOQL query, deleted records included")
async def query_all(
    version: Version,
    caller: Caller,
    session: WriteSession,
    q: str | None = None,
    options: Options = None,
) -> Response:
    result = await querying.query(
        Call(session, caller, version), q, include_deleted=True, batch=querying.batch_size(options)
    )
    await session.commit()
    return answer(result)


@router.get(V + "/query/{locator}", summary="The next page of a query")
@router.get(V + "/queryAll/{locator}", include_in_schema=False)
async def query_more(
    locator: str, version: Version, caller: Caller, session: WriteSession
) -> Response:
    result = await querying.query_more(Call(session, caller, version), locator)
    await session.commit()
    return answer(result)
