"""Requests carrying a NUL character are refused (422) before any route sees them.

PostgreSQL's text types cannot hold NUL: a NUL reaching a query failed there, as a server
error, while SQLite stored it. So it is refused in one place, for every service and engine,
wherever it travels: the path, the query string (raw or percent-encoded) or the body (raw,
or as a JSON ``\\u0000`` escape).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import problem_response

_ENCODED_NUL = re.compile(rb"%00")
_JSON_NUL_ESCAPE = re.compile(rb"\\u0000", re.IGNORECASE)


def _holds_nul(value: Any) -> bool:
    """Whether a decoded JSON document has a NUL in any key or string."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def body_holds_nul(body: bytes) -> bool:
    if b"\x00" in body:
        return True
    if not _JSON_NUL_ESCAPE.search(body):  # the usual case: no document to decode
        return False
    try:
        return _holds_nul(json.loads(body))
    except ValueError:
        return False  # not JSON: the route's own parsing refuses it


def where_nul(scope: Scope) -> str | None:
    """The part of the request line that holds a NUL, or None."""
    if "\x00" in scope["path"]:
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or _ENCODED_NUL.search(query):
        return "query"
    return None


class RefuseNulMiddleware:
    """Answers 422 to a request with a NUL in its path, query or body. The body is read whole
    before the route (the services' bodies are small JSON documents) and handed on as read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = where_nul(scope)
        messages: list[Message] = []
        if where is None:
            chunks = []
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            if body_holds_nul(b"".join(chunks)):
                where = "body"
        if where is not None:
            request = Request(scope)
            # A vendor-shaped API answers in its vendor's error shape on its own paths:
            # app.state.nul_refusal_response(request, where) -> Response | None.
            state = getattr(scope.get("app"), "state", None)
            renderer = getattr(state, "nul_refusal_response", None)
            response = renderer(request, where) if renderer is not None else None
            if response is None:
                response = problem_response(
                    request, 422, f"the request's {where} holds a NUL character", field=where
                )
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
