"""Errors as Salesforce's REST API sends them, for every path under ``/services``.

The body is a JSON array ``[{"message", "errorCode", "fields"}]``. One mapping turns every
kind of failure into it: this module's :class:`SalesforceError`, ``servicekit.domain`` errors
(their ``error_code`` extension, else a code by kind), :class:`ValueProblem`, validation and
routing errors, integrity errors, a database that cannot be reached (503) and anything
unexpected (500 ``UNKNOWN_EXCEPTION``, no detail). Paths outside ``/services`` keep
servicekit's problem+json.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from salesforce_crm.sobjects.values import ValueProblem
from servicekit.domain import DomainError
from servicekit.errors import Problem

PREFIX = "/services"
log = structlog.get_logger("salesforce_crm.errors")


class SalesforceError(Exception):
    """An answer in Salesforce's error shape: HTTP status, errorCode, message, fields."""

    def __init__(
        self, status: int, error_code: str, message: str, fields: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        return [
            {"message": self.message, "errorCode": self.error_code, "fields": list(self.fields)}
        ]


def not_found(message: str = "The requested resource does not exist") -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", message)


def invalid_session() -> SalesforceError:
    return SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")


_STATUS_OF_KIND = {
    "not_found": 404,
    "forbidden": 403,
    "invalid": 400,
    "conflict": 400,
    "unavailable": 503,
}
_CODE_OF_KIND = {
    "not_found": "NOT_FOUND",
    "forbidden": "INSUFFICIENT_ACCESS",
    "invalid": "INVALID_FIELD",
    "conflict": "FIELD_INTEGRITY_EXCEPTION",
    "unavailable": "SERVER_UNAVAILABLE",
}
_CODE_OF_STATUS = {
    400: "JSON_PARSER_ERROR",
    401: "INVALID_SESSION_ID",
    403: "INSUFFICIENT_ACCESS",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "REQUEST_LIMIT_EXCEEDED",
    503: "SERVER_UNAVAILABLE",
}
UNEXPECTED = "An unexpected error occurred. Please include this ErrorId if you contact support: {}"


def as_salesforce(exc: BaseException, correlation_id: str = "") -> SalesforceError:
    """The Salesforce error of any exception (the one mapping, used by the handlers below
    and by composite for each subrequest)."""
    if isinstance(exc, SalesforceError):
        return exc
    if isinstance(exc, ValueProblem):
        return SalesforceError(400, exc.error_code, exc.message, (exc.field,))
    if isinstance(exc, DomainError):
        status = int(exc.extensions.get("status", _STATUS_OF_KIND.get(exc.kind, 400)))
        code = str(exc.extensions.get("error_code") or _CODE_OF_KIND.get(exc.kind, "INVALID_FIELD"))
        return SalesforceError(status, code, exc.detail, exc.fields)
    if isinstance(exc, IntegrityError):
        # The service checks what it can first; what reaches here is a race or a constraint
        # the service does not pre-check. The database's message may quote values: not shown.
        text = str(getattr(exc, "orig", exc)).lower()
        if "unique" in text or "duplicate" in text:
            return SalesforceError(400, "DUPLICATE_VALUE", "duplicate value found")
        return SalesforceError(
            400, "FIELD_INTEGRITY_EXCEPTION", "the change conflicts with existing data"
        )
    if isinstance(exc, DataError):  # a value the database cannot hold (out of range, say)
        return SalesforceError(400, "INVALID_FIELD", "a value is out of range or of the wrong type")
    if isinstance(exc, DBAPIError | OSError):
        return SalesforceError(503, "SERVER_UNAVAILABLE", "the database cannot be reached")
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return not_found()
        if exc.status_code == 405:
            return SalesforceError(405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed here")
        code = _CODE_OF_STATUS.get(exc.status_code, "UNKNOWN_EXCEPTION")
        return SalesforceError(exc.status_code, code, str(exc.detail))
    if isinstance(exc, RequestValidationError):
        where = ", ".join(".".join(str(p) for p in error.get("loc", ())) for error in exc.errors())
        return SalesforceError(400, "JSON_PARSER_ERROR", f"invalid request: {where}")
    if isinstance(exc, Problem):
        code = _CODE_OF_STATUS.get(exc.status, "UNKNOWN_EXCEPTION")
        return SalesforceError(exc.status, code, exc.detail)
    return SalesforceError(500, "UNKNOWN_EXCEPTION", UNEXPECTED.format(correlation_id or "-"))


def salesforce_response(error: SalesforceError, headers: dict[str, str] | None = None) -> Response:
    if error.status == 503:
        headers = {**(headers or {}), "Retry-After": "5"}
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def _correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _for_services(cls: type[Exception], previous: Handler | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PREFIX):
            error = as_salesforce(exc, _correlation_id(request))
            if error.status >= 500:
                log.error("services_error", error=type(exc).__name__, status=error.status)
            headers = getattr(exc, "headers", None)
            return salesforce_response(error, headers if error.status == 429 else None)
        if previous is not None:
            return await previous(request, exc)
        raise exc

    return handle


def unexpected_error_response(request: Request) -> Response | None:
    """servicekit's error boundary asks this for a 500 on our paths."""
    if not request.url.path.startswith(PREFIX):
        return None
    return salesforce_response(
        SalesforceError(500, "UNKNOWN_EXCEPTION", UNEXPECTED.format(_correlation_id(request)))
    )


def nul_refusal_response(request: Request, where: str) -> Response | None:
    """servicekit's NUL refusal, on our paths: a query's NUL is a malformed query, a body's a
    JSON parser error, a path's a resource that does not exist."""
    path = request.url.path
    if not path.startswith(PREFIX):
        return None
    if where == "path":
        return salesforce_response(not_found())
    if where == "query":
        code = "MALFORMED_QUERY" if "/query" in path else "INVALID_FIELD"
    else:
        code = "JSON_PARSER_ERROR"
    return salesforce_response(
        SalesforceError(400, code, f"the request's {where} holds a NUL character")
    )


def install(app: FastAPI, max_body_bytes: int) -> None:
    """The Salesforce error shape on ``/services`` (servicekit's handlers elsewhere) and the
    request body limit. Every class servicekit handles is wrapped too: a more specific
    handler of servicekit's (a lost connection's 503, say) would otherwise answer first."""
    own: tuple[type[Exception], ...] = (
        SalesforceError,
        ValueProblem,
        DomainError,
        Problem,
        StarletteHTTPException,
        RequestValidationError,
        IntegrityError,
        DBAPIError,
        OSError,
    )
    servicekits = tuple(
        cls
        for cls in app.exception_handlers
        if isinstance(cls, type) and issubclass(cls, Exception) and cls not in own
    )
    for cls in (*own, *servicekits):
        previous = app.exception_handlers.get(cls)
        app.add_exception_handler(cls, _for_services(cls, previous))  # type: ignore[arg-type]
    app.state.unexpected_error_response = unexpected_error_response
    app.state.nul_refusal_response = nul_refusal_response
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)


class BodyLimitMiddleware:
    """Refuses a ``/services`` request body above ``max_bytes`` with 413 before any route
    reads it: by its Content-Length when it has one, else by counting what arrives."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_bytes
            except ValueError:
                too_large = False
            if too_large:
                await self._refuse(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Read (and drop) what the client is still sending, up to a bound: a client that is
        # cut off mid-upload sees a broken connection instead of this answer.
        drained = 0
        while drained <= 4 * self.max_bytes:
            message = await receive()
            if message["type"] != "http.request":
                break
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        error = SalesforceError(
            413,
            "REQUEST_TOO_LARGE",
            f"the request body exceeds the limit of {self.max_bytes} bytes",
        )
        body = json.dumps(error.body()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
