"""Outgoing calls from one service to another: the current request's correlation id goes
along, so that one flow can be followed through every app's logs."""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from servicekit.middleware import CORRELATION_HEADER
from servicekit.tls import client_context


def current_correlation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(value) if value else None


async def _add_correlation_id(request: httpx.Request) -> None:
    correlation_id = current_correlation_id()
    if correlation_id and CORRELATION_HEADER not in request.headers:
        request.headers[CORRELATION_HEADER] = correlation_id


def service_client(
    base_url: str, api_key: str | None = None, ca_file: str | None = None, **options: Any
) -> httpx.AsyncClient:
    """An httpx client for calls to another service, authenticated with its API key and
    carrying the correlation id of the request being served; HTTPS verified against
    ``ca_file`` (the dev CA) when given, else the system's trust store."""
    headers = {"X-API-Key": api_key} if api_key else {}
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        event_hooks={"request": [_add_correlation_id]},
        timeout=options.pop("timeout", 10.0),
        verify=client_context(ca_file),
        **options,
    )
