"""SOQL through the engine in :mod:`salesforce_crm.soql` (its own package): ``query``,
``queryAll`` and the next pages of a locator, for the routes and for composite."""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import Any

from salesforce_crm.api.errors import SalesforceError
from salesforce_crm.api.ops import Call, Result
from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.catalog import CATALOG

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


def _engine() -> ModuleType:
    try:
        return importlib.import_module("salesforce_crm.soql")
    except ImportError:  # the engine ships separately; until it is here, say so
        raise SalesforceError(
            501, "NOT_IMPLEMENTED", "SOQL queries are not available in this build"
        ) from None


def _owner(call: Call) -> str:
    return ids.encode("005", call.actor.user_id) if call.actor.user_id else "system"


def _as_error(engine: ModuleType, exc: Exception) -> SalesforceError | None:
    if isinstance(exc, engine.SoqlError):
        code = str(getattr(exc, "error_code", "MALFORMED_QUERY"))
        message = str(getattr(exc, "message", None) or exc)
        return SalesforceError(400, code, message)
    return None


async def query(call: Call, soql: str | None, *, include_deleted: bool, batch: int) -> Result:
    if not soql or not soql.strip():
        raise SalesforceError(400, "MALFORMED_QUERY", "a query needs its SOQL in q")
    if len(soql) > MAX_SOQL_LENGTH or "\x00" in soql:
        raise SalesforceError(400, "MALFORMED_QUERY", "the query is too long or holds a NUL")
    engine = _engine()
    try:
        answer: dict[str, Any] = await engine.run_query(
            call.session,
            CATALOG,
            soql,
            include_deleted=include_deleted,
            batch_size=batch,
            owner_id=_owner(call),
            api_version=call.version,
        )
    except Exception as exc:
        error = _as_error(engine, exc)
        if error is None:
            raise
        raise error from None
    return Result(200, answer)


async def query_more(call: Call, locator: str) -> Result:
    engine = _engine()
    try:
        answer: dict[str, Any] = await engine.query_more(
            call.session, CATALOG, locator, owner_id=_owner(call), api_version=call.version
        )
    except Exception as exc:
        error = _as_error(engine, exc)
        if error is None:
            raise
        raise error from None
    return Result(200, answer)
