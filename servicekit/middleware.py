"""Request middleware: the correlation id, the access log line, CORS, NUL refused.

Pure ASGI rather than BaseHTTPMiddleware: it costs less per request and does not wrap the
response body.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import ErrorBoundaryMiddleware
from servicekit.nul import RefuseNulMiddleware

CORRELATION_HEADER = "X-Correlation-ID"
_HEADER_KEY = CORRELATION_HEADER.lower().encode()
# A caller's id is accepted when it is short printable text; anything else is replaced, so a
# header cannot inject lines or markup into the logs.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")

access_log = structlog.get_logger("servicekit.access")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


class CorrelationIdMiddleware:
    """Takes ``X-Correlation-ID`` from the request or mints one; puts it in
    ``request.state.correlation_id``, the log context, and the response header; logs one
    access line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == _HEADER_KEY), b"").decode("latin-1")
        correlation_id = given if _ACCEPTABLE.match(given) else new_correlation_id()
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        began = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((_HEADER_KEY, correlation_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - began) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


def install_middleware(app: FastAPI, allowed_origins: list[str]) -> None:
    if allowed_origins:
        # Only the configured origins; credentials are allowed because they are named.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=allowed_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Correlation-ID", "X-API-Key"],
            expose_headers=["X-Correlation-ID"],
        )
    app.add_middleware(RefuseNulMiddleware)
    app.add_middleware(ErrorBoundaryMiddleware)
    app.add_middleware(CorrelationIdMiddleware)  # outermost: errors get the id too
