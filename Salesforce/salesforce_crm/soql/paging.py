"""``query`` and ``queryAll``: the first page of a result, and the pages after it through a
locator (``nextRecordsUrl``), each re-running the query at its offset in a stable order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from salesforce_crm.sobjects.schema import Catalog
from salesforce_crm.soql import locators
from salesforce_crm.soql.compiler import Plan, compile_query
from salesforce_crm.soql.parser import parse
from salesforce_crm.soql.records import Records

#: Salesforce's default page size and the bounds it allows (``Sforce-Query-Options:
#: batchSize=``); a size outside them is taken as the nearest bound.
DEFAULT_BATCH_SIZE = 2_000
MIN_BATCH_SIZE, MAX_BATCH_SIZE = 200, 2_000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _plan(
    session: AsyncSession, catalog: Catalog, soql: str, include_deleted: bool, now: dt.datetime
) -> Plan:
    dialect = session.get_bind().dialect.name
    query = parse(soql)
    return compile_query(
        query, catalog, include_deleted=include_deleted, now=now, soql=soql, dialect=dialect
    )


async def _total(session: AsyncSession, plan: Plan) -> int:
    count = int((await session.execute(plan.count())).scalar_one())
    total = max(count - plan.offset, 0)
    return total if plan.limit is None else min(total, plan.limit)


def _next_url(api_version: str, locator: str, position: int) -> str:
    return f"/services/data/v{api_version}/query/{locator}-{position}"


async def run_query(
    session: AsyncSession,
    catalog: Catalog,
    soql: str,
    *,
    include_deleted: bool,
    batch_size: int,
    owner_id: str,
    api_version: str,
) -> dict[str, Any]:
    """The first page of ``soql``: ``{"totalSize", "done", "records"}`` and, when more rows
    follow, ``nextRecordsUrl``. Stores a locator only then, in the caller's transaction: the
    caller commits (a query inside an allOrNone composite request must not commit the
    writes before it)."""
    now = _now()
    plan = _plan(session, catalog, soql, include_deleted, now)
    if plan.count_only:
        return {"totalSize": await _total(session, plan), "done": True, "records": []}
    size = min(max(batch_size, MIN_BATCH_SIZE), MAX_BATCH_SIZE)
    wanted = size if plan.limit is None else min(size, plan.limit)
    # One row more than a page tells whether another page follows without counting. A query
    # with OFFSET answers one page only, as Salesforce's does (no cursor behind it).
    last_page = wanted == plan.limit or plan.has_offset
    probe = wanted if last_page else wanted + 1
    rows = (await session.execute(plan.rows(0, probe))).all()
    page = rows[:wanted]
    records = Records(plan, catalog, api_version)(page)
    if len(rows) <= wanted:
        return {"totalSize": len(page), "done": True, "records": records}
    total = await _total(session, plan)
    locator = await locators.store(
        session,
        soql=soql,
        include_deleted=include_deleted,
        batch_size=size,
        total_size=total,
        owner_id=owner_id,
        now=now,
    )
    await session.flush()
    return {
        "totalSize": total,
        "done": False,
        "nextRecordsUrl": _next_url(api_version, locator, len(page)),
        "records": records,
    }


async def query_more(
    session: AsyncSession, catalog: Catalog, locator: str, *, owner_id: str, api_version: str
) -> dict[str, Any]:
    """The page at ``locator`` (``0r8…-2000``, as in the nextRecordsUrl) of ``owner_id``'s
    query. Raises ``INVALID_QUERY_LOCATOR`` for an unknown, expired or another user's locator,
    or a position outside the result."""
    name, position = locators.split(locator)
    now = _now()
    stored = await locators.claim(session, name, owner_id, now)
    await session.flush()  # the caller commits the locator's new expiry with the answer
    if not 0 < position < stored.total_size:
        raise locators.invalid()
    plan = _plan(session, catalog, stored.soql, stored.include_deleted, now)
    wanted = min(stored.batch_size, stored.total_size - position)
    rows = (await session.execute(plan.rows(position, wanted))).all()
    records = Records(plan, catalog, api_version)(rows)
    following = position + len(records)
    answer: dict[str, Any] = {
        "totalSize": stored.total_size,
        "done": following >= stored.total_size or len(records) < wanted,
        "records": records,
    }
    if not answer["done"]:
        answer["nextRecordsUrl"] = _next_url(api_version, name, following)
    return answer
