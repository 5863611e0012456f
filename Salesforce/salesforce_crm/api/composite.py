"""``composite``: up to 25 subrequests in one call and one transaction.

Each subrequest names a method and a URL under ``/services/data/vXX.X/`` (sObject create,
get, update, delete, upsert, get by external id; query), a ``referenceId``, and a body;
later subrequests use earlier results as ``@{referenceId.field}`` (``@{newAccount.id}``). With
``allOrNone`` the first failure rolls everything back and every other subrequest answers
PROCESSING_HALTED; without it each subrequest runs in a savepoint of its own.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import structlog

from salesforce_crm.api import ops, querying
from salesforce_crm.api.context import API_VERSIONS
from salesforce_crm.api.describe import describe
from salesforce_crm.api.errors import SalesforceError, as_salesforce, not_found
from salesforce_crm.api.ops import Call, Result
from salesforce_crm.api.services import records

MAX_SUBREQUESTS = 25
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)\.([A-Za-z0-9_.\[\]]+)\}")
_REFERENCE_ID = re.compile(r"^[A-Za-z0-9_]{1,80}$")
HALTED = SalesforceError(
    400,
    "PROCESSING_HALTED",
    "The transaction was rolled back since another operation in the same transaction failed.",
)
log = structlog.get_logger("salesforce_crm.composite")


class SubrequestProblem(Exception):
    """A subrequest that cannot run as given (its answer is the error)."""

    def __init__(self, error: SalesforceError):
        super().__init__(error.message)
        self.error = error


def _invalid(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALID_FIELD", message)


def _lookup(results: dict[str, Any], reference: str, path: str) -> Any:
    if reference not in results:
        raise _invalid(f"Invalid reference specified. No value for {reference}.{path} found.")
    value = results[reference]
    for part in re.split(r"\.|\[(\d+)\]", path):
        if part is None or part == "":
            continue
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            matches = [k for k in value if k == part] or [
                k for k in value if k.lower() == part.lower()
            ]
            if not matches:
                raise _invalid(
                    f"Invalid reference specified. No value for {reference}.{path} found."
                )
            value = value[matches[0]]
        else:
            raise _invalid(f"Invalid reference specified. No value for {reference}.{path} found.")
    return value


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return _lookup(results, whole.group(1), whole.group(2))
        return _REFERENCE.sub(lambda m: str(_lookup(results, m.group(1), m.group(2))), value)
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    return value


Operation = Callable[[], Awaitable[Result]]


def _route(call: Call, method: str, url: str, body: Any) -> Operation:
    """The operation a subrequest's method and URL name."""
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.strip("/").split("/")]
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if segments[:2] != ["services", "data"] or len(segments) < 4:
        raise not_found()
    version = segments[2].removeprefix("v")
    if not segments[2].startswith("v") or version not in API_VERSIONS:
        raise not_found()
    sub = Call(call.session, call.actor, version)
    rest = segments[3:]
    method = method.upper()
    if rest[0] in ("query", "queryAll") and len(rest) == 1 and method == "GET":
        return lambda: querying.query(
            sub, query.get("q"), include_deleted=rest[0] == "queryAll", batch=2000
        )
    if rest[0] == "sobjects" and len(rest) == 2 and method == "POST":
        return lambda: ops.create(sub, rest[1], body)
    if rest[0] == "sobjects" and len(rest) == 3:
        name, record_id = rest[1], rest[2]
        if method == "GET" and record_id == "describe":
            return lambda: _describe(sub, name)
        if method == "GET":
            return lambda: ops.get(sub, name, record_id, query.get("fields"))
        if method == "PATCH":
            return lambda: ops.update(sub, name, record_id, body)
        if method == "DELETE":
            return lambda: ops.delete(sub, name, record_id)
    if rest[0] == "sobjects" and len(rest) == 4:
        name, field, value = rest[1], rest[2], rest[3]
        if method == "GET":
            return lambda: ops.get_by_external_id(sub, name, field, value, query.get("fields"))
        if method == "PATCH":
            return lambda: ops.upsert(sub, name, field, value, body)
    if rest[0] in ("sobjects", "query", "queryAll"):
        raise SalesforceError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")
    raise not_found()


async def _describe(call: Call, object_name: str) -> Result:
    return Result(200, describe(records.sobject(object_name), call.version))


def _entry(
    reference_id: str, status: int, body: Any, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "body": body,
        "httpHeaders": headers or {},
        "httpStatusCode": status,
        "referenceId": reference_id,
    }


def _parse(request: Any) -> tuple[bool, list[dict[str, Any]]]:
    if not isinstance(request, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "the request must be a JSON object")
    all_or_none = request.get("allOrNone", False)
    subrequests = request.get("compositeRequest")
    if not isinstance(all_or_none, bool):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean")
    if not isinstance(subrequests, list) or not subrequests:
        raise SalesforceError(400, "INVALID_FIELD", "compositeRequest must be a non-empty array")
    if len(subrequests) > MAX_SUBREQUESTS:
        raise SalesforceError(
            400, "LIMIT_EXCEEDED", f"at most {MAX_SUBREQUESTS} subrequests in one composite"
        )
    seen: set[str] = set()
    for sub in subrequests:
        if not isinstance(sub, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "a subrequest must be a JSON object")
        method, url, reference = sub.get("method"), sub.get("url"), sub.get("referenceId")
        if not isinstance(method, str) or not isinstance(url, str) or len(url) > 4000:
            raise SalesforceError(400, "INVALID_FIELD", "a subrequest needs its method and url")
        if not isinstance(reference, str) or not _REFERENCE_ID.match(reference):
            raise SalesforceError(
                400, "INVALID_FIELD", "a subrequest needs a referenceId of letters, digits and _"
            )
        if reference in seen:
            raise SalesforceError(400, "INVALID_FIELD", f"duplicate referenceId: {reference}")
        seen.add(reference)
    return all_or_none, subrequests


async def run(call: Call, request: Any) -> dict[str, Any]:
    """The composite answer; the caller commits when it returns."""
    all_or_none, subrequests = _parse(request)
    results: dict[str, Any] = {}
    answers: list[dict[str, Any]] = []
    for sub in subrequests:
        reference = sub["referenceId"]
        try:
            if all_or_none:
                result = await _one(call, sub, results)
            else:
                async with call.session.begin_nested():
                    result = await _one(call, sub, results)
        except Exception as exc:
            error = exc.error if isinstance(exc, SubrequestProblem) else as_salesforce(exc)
            if error.status >= 500:
                log.error("composite_subrequest_failed", error=type(exc).__name__)
            answers.append(_entry(reference, error.status, error.body()))
            if all_or_none:
                await call.session.rollback()
                halted = [
                    _entry(a["referenceId"], HALTED.status, HALTED.body()) for a in answers[:-1]
                ]
                later = [
                    _entry(s["referenceId"], HALTED.status, HALTED.body())
                    for s in subrequests[len(answers) :]
                ]
                return {"compositeResponse": [*halted, answers[-1], *later]}
            continue
        if isinstance(result.body, dict):
            results[reference] = result.body
        headers = None
        if result.status == 201 and isinstance(result.body, dict) and "id" in result.body:
            headers = {"Location": f"{sub['url'].rstrip('/')}/{result.body['id']}"}
        answers.append(_entry(reference, result.status, result.body, headers))
    return {"compositeResponse": answers}


async def _one(call: Call, sub: dict[str, Any], results: dict[str, Any]) -> Result:
    try:
        url = _substitute(sub["url"], results)
        body = _substitute(sub.get("body"), results)
    except SalesforceError as error:
        raise SubrequestProblem(error) from None
    if not isinstance(url, str):
        raise SubrequestProblem(_invalid("a reference in the url must be a text value"))
    operation = _route(call, sub["method"], url, body)
    return await operation()
