"""Errors as RFC 9457 problem details (``application/problem+json``), never a traceback.

Routes raise :class:`Problem` (or HTTPException); service functions raise
:class:`servicekit.domain.DomainError`; validation errors, domain errors, unexpected exceptions
and database integrity errors are turned into problems here, once for every service.
"""

from __future__ import annotations

import traceback
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.domain import DomainError, status_of

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("servicekit.errors")


class Problem(Exception):
    """An error a client can act on: HTTP status, a short title, a specific detail."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers
        self.extensions = extensions


def unauthorized(detail: str = "authentication required") -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str = "your role does not allow this") -> Problem:
    return Problem(403, detail)


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} not found")


def conflict(detail: str) -> Problem:
    return Problem(409, detail)


def problem_response(
    request: Request,
    status: int,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    correlation_id = getattr(request.state, "correlation_id", None)
    if correlation_id:
        body["correlation_id"] = correlation_id
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        request, exc.status, exc.detail, exc.title, exc.headers, **exc.extensions
    )


async def _on_domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    extensions = dict(exc.extensions)
    if exc.fields:
        extensions["fields"] = list(exc.fields)
    status = status_of(exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    return problem_response(request, status, exc.detail, headers=headers, **extensions)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(
        request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Location and message of each error; the input values are left out (a password may be one).
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    return problem_response(request, 422, "the request does not match the schema", errors=errors)


async def _on_integrity(request: Request, exc: Exception) -> JSONResponse:
    # The statement and parameters stay in the server log's class name only: they may hold data.
    log.warning("integrity_error", error=type(getattr(exc, "orig", exc)).__name__)
    return problem_response(request, 409, "the change conflicts with existing data")


#: How long a client should wait before trying again when the database cannot be reached.
RETRY_AFTER_SECONDS = "5"


async def _on_database_unreachable(request: Request, exc: Exception) -> JSONResponse:
    """The database (or the connection to it) failed: 503, try again. SQLAlchemy invalidates
    the pool on a lost connection, so the requests after the database is back reconnect: the
    service recovers by itself. On SQLite this is also "database is locked" past the timeout."""
    log.warning("database_unavailable", error=type(getattr(exc, "orig", exc)).__name__)
    return problem_response(
        request,
        503,
        "the database cannot be reached; try again shortly",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


#: SQLSTATE class 22, "data exception": a value out of range, NUL in text… (asyncpg's errors
#: reach SQLAlchemy as a plain DBAPIError, not its DataError, and say it only this way).
DATA_EXCEPTION_CLASS = "22"


def _sqlstate(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else ""


async def _on_driver_error(request: Request, exc: Exception) -> JSONResponse:
    """Any other driver error: a lost connection (the driver names it its own way; SQLAlchemy
    marks it ``connection_invalidated``) is the database being unreachable; anything else is
    the server's fault, logged as the error boundary logs it."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return await _on_database_unreachable(request, exc)
    if _sqlstate(exc).startswith(DATA_EXCEPTION_CLASS):
        return await _on_data_error(request, exc)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    log.error("unhandled_error", error=type(exc).__name__, where=where, path=request.url.path)
    return problem_response(request, 500, "an unexpected error occurred; it has been logged")


async def _on_data_error(request: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot hold (a number out of its type's range, say): the input is
    # wrong, not the server. The value itself stays out of the log and the answer.
    log.warning("data_error", error=type(getattr(exc, "orig", exc)).__name__)
    return problem_response(request, 422, "a value is out of the range the database can hold")


class ErrorBoundaryMiddleware:
    """The last line: an exception no handler took becomes a 500 problem, and the log gets its
    type and where it was raised, not its message (a database error's message can quote the
    statement's parameters, a password hash among them). Not re-raised, so no server
    component prints the traceback either."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
            log.error("unhandled_error", error=type(exc).__name__, where=where, path=scope["path"])
            if started:
                return  # the answer is on its way: nothing more can be said
            request = Request(scope)
            # An app with a vendor-shaped API answers its paths in that shape (Salesforce's
            # UNKNOWN_EXCEPTION): app.state.unexpected_error_response(request) -> Response|None.
            state = getattr(scope.get("app"), "state", None)
            renderer = getattr(state, "unexpected_error_response", None)
            response = renderer(request) if renderer is not None else None
            if response is None:
                response = problem_response(
                    request, 500, "an unexpected error occurred; it has been logged"
                )
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(DomainError, _on_domain)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(DataError, _on_data_error)
    app.add_exception_handler(DBAPIError, _on_driver_error)
    for unreachable in (OperationalError, InterfaceError, ConnectionError, TimeoutError):
        app.add_exception_handler(unreachable, _on_database_unreachable)
