"""``POST composite``: several subrequests in one transaction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from salesforce_crm.api import composite as composite_requests
from salesforce_crm.api import record_collections as collections
from salesforce_crm.api.context import Body, Caller, Version
from salesforce_crm.api.ops import Call
from salesforce_crm.api.routers.sobjects import V
from servicekit.db import WriteSession
from servicekit.messaging.outbox import wake_relays

router = APIRouter(tags=["salesforce REST API"])


@router.post(V + "/composite", include_in_schema=False)
@router.post(V + "/composite/", summary="Subrequests in one transaction (allOrNone)")
async def composite(
    version: Version, caller: Caller, body: Body, session: WriteSession
) -> dict[str, Any]:
    answer = await composite_requests.run(Call(session, caller, version), body)
    await session.commit()
    wake_relays()
    return answer


@router.post(V + "/composite/sobjects", summary="Create up to 200 records (allOrNone)")
async def create_collection(
    version: Version, caller: Caller, body: Body, session: WriteSession
) -> list[Any]:
    answer = await collections.create(Call(session, caller, version), body)
    await session.commit()
    wake_relays()
    return answer


@router.patch(V + "/composite/sobjects", summary="Update up to 200 records (allOrNone)")
async def update_collection(
    version: Version, caller: Caller, body: Body, session: WriteSession
) -> list[Any]:
    answer = await collections.update(Call(session, caller, version), body)
    await session.commit()
    wake_relays()
    return answer


@router.delete(V + "/composite/sobjects", summary="Delete up to 200 records (ids, allOrNone)")
async def delete_collection(
    version: Version,
    caller: Caller,
    session: WriteSession,
    ids: str | None = None,
    allOrNone: bool = False,
) -> list[Any]:
    answer = await collections.delete(Call(session, caller, version), ids, allOrNone)
    await session.commit()
    wake_relays()
    return answer
