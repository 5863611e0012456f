"""SOQL through the engine in :mod:`salesforce_crm.soql`: ``query``,
``queryAll`` and the next pages of a locator, for the routes and for composite."""

from __future__ import annotations

import re

from salesforce_crm import soql as soql_engine
from salesforce_crm.api.errors import SalesforceError
from salesforce_crm.api.ops import Call, Result
from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.catalog import CATALOG
from salesforce_crm.soql import SoqlError

DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
_BATCH_OPTION = re.compile(r"batchsize\s*=\s*(\d{1,9})", re.IGNORECASE)
MAX_SOQL_LENGTH = 100_000  # Salesforce's limit on a query's text


def batch_size(options: str | None) -> int:
    """``Sforce-Query-Options: batchSize=N``, kept within 200-2000 (Salesforce treats the
    number as a request, not a promise)."""
    found = _BATCH_OPTION.search(options or "")
    if found is None:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(MAX_BATCH, int(found.group(1))))


def _owner(call: Call) -> str:
    return ids.encode("005", call.actor.user_id) if call.actor.user_id else "system"


def _as_error(exc: SoqlError) -> SalesforceError:
    return SalesforceError(400, exc.error_code, exc.message)


async def query(call: Call, soql: str | None, *, include_deleted: bool, batch: int) -> Result:
    if not soql or not soql.strip():
        raise SalesforceError(400, "MALFORMED_QUERY", "a query needs its SOQL in q")
    if len(soql) > MAX_SOQL_LENGTH or "\x00" in soql:
        raise SalesforceError(400, "MALFORMED_QUERY", "the query is too long or holds a NUL")
    try:
        answer = await soql_engine.run_query(
            call.session,
            CATALOG,
            soql,
            include_deleted=include_deleted,
            batch_size=batch,
            owner_id=_owner(call),
            api_version=call.version,
        )
    except SoqlError as exc:
        raise _as_error(exc) from None
    return Result(200, answer)


async def query_more(call: Call, locator: str) -> Result:
    try:
        answer = await soql_engine.query_more(
            call.session, CATALOG, locator, owner_id=_owner(call), api_version=call.version
        )
    except SoqlError as exc:
        raise _as_error(exc) from None
    return Result(200, answer)
