"""What every ``/services/data`` route needs: the API version, the caller, the JSON body."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request

from salesforce_crm.api.errors import SalesforceError, invalid_session, not_found
from salesforce_crm.api.services.actors import STANDARD, Actor
from servicekit.security import InvalidToken, TokenService

#: The REST API versions this service answers, oldest first.
API_VERSIONS = ("58.0", "59.0", "60.0", "61.0", "62.0")
LATEST = API_VERSIONS[-1]


def api_version(version: str) -> str:
    """The ``vXX.X`` of the path, checked (the route captures what follows the ``v``)."""
    if version not in API_VERSIONS:
        raise not_found()
    return version


Version = Annotated[str, Depends(api_version)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() not in ("bearer", "oauth") or not token:
        return None
    return token


async def current_actor(request: Request) -> Actor:
    """The signed-in user of a ``Authorization: Bearer`` access token from
    ``/services/oauth2/token``; 401 INVALID_SESSION_ID otherwise."""
    token = bearer_token(request)
    if token is None:
        raise invalid_session()
    tokens: TokenService = request.app.state.tokens
    try:
        claims = tokens.decode(token, "access")
    except InvalidToken:
        raise invalid_session() from None
    if not claims.subject.isdigit():
        raise invalid_session()
    profile = next(iter(sorted(claims.roles)), STANDARD)
    return Actor(int(claims.subject), claims.name, profile)


Caller = Annotated[Actor, Depends(current_actor)]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """A request body as JSON; JSON_PARSER_ERROR when it is not (bad UTF-8, lone surrogates
    that no database could store, NaN, nesting too deep to parse)."""
    if not raw.strip():
        raise SalesforceError(400, "JSON_PARSER_ERROR", "the request body is empty")
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0][:120] if isinstance(exc, ValueError) else "too deep"
        raise SalesforceError(400, "JSON_PARSER_ERROR", f"malformed JSON: {reason}") from None
    _check_text(value)
    return value


#: No Salesforce request nests deeper (a composite body is four levels); deeper JSON is
#: refused before anything walks it recursively.
MAX_DEPTH = 64


def _check_text(value: Any) -> None:
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise SalesforceError(
                400, "JSON_PARSER_ERROR", f"malformed JSON: nested deeper than {MAX_DEPTH}"
            )
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise SalesforceError(
                    400, "JSON_PARSER_ERROR", "malformed JSON: invalid Unicode in a string"
                ) from None
        elif isinstance(item, dict):
            pending.extend((key, depth + 1) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)


async def json_body(request: Request) -> Any:
    return parse_json(await request.body())


Body = Annotated[Any, Depends(json_body)]
