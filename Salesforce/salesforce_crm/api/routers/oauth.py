"""``POST /services/oauth2/token``: Salesforce's OAuth 2.0 token endpoint.

Two grants: ``password`` (a connected app's client id and secret, and a user's name and
password) and ``client_credentials`` (the app alone, acting as its run-as user). The answer
is Salesforce's: ``access_token``, ``instance_url`` (this service's base URL as the client
reached it), ``id``, ``token_type``, ``issued_at`` (ms) and ``signature``. Failures are OAuth
errors (``{"error", "error_description"}``, 400), never saying which part was wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from salesforce_crm.api.services import accounts
from salesforce_crm.api.services.actors import Actor
from salesforce_crm.api.settings import SalesforceSettings
from salesforce_crm.sobjects import ids
from servicekit.db import database_of
from servicekit.errors import Problem
from servicekit.ratelimit import LoginLimiter
from servicekit.security import TokenService

router = APIRouter(tags=["salesforce OAuth"])
#: The org id every token's identity URL names (this service is one org).
ORG_ID = "00D5g0000000001AAA"
_MAX_FIELD = 1024


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _form(raw: bytes) -> dict[str, str] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    fields: dict[str, str] = {}
    for name, values in parse_qs(text, keep_blank_values=True).items():
        if len(values) != 1 or len(values[0]) > _MAX_FIELD or "\x00" in values[0]:
            return None
        fields[name] = values[0]
    return fields


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or len(encoded) > 4 * _MAX_FIELD:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:  # bad base64 or bad UTF-8
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon or "\x00" in decoded:
        return None
    return client_id, secret


@router.post("/services/oauth2/token", summary="An access token (password, client_credentials)")
async def token(request: Request) -> JSONResponse:
    form = _form(await request.body())
    if form is None:
        return oauth_error("invalid_request", "malformed request")
    grant = form.get("grant_type", "")
    if grant not in ("password", "client_credentials"):
        return oauth_error("unsupported_grant_type", "grant type not supported")
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    basic = _basic_credentials(request.headers.get("authorization", ""))
    if basic is not None and not client_id:  # RFC 6749 2.3.1: the client in HTTP Basic
        client_id, client_secret = basic
    if not client_id or not client_secret:
        return oauth_error("invalid_client_id", "client identifier invalid")
    limiter: LoginLimiter = request.app.state.login_limiter
    limit_key = form.get("username") or f"client:{client_id}"
    db = database_of(request)
    async with db.reader() as session:
        try:
            await limiter.check(session, request, limit_key)
        except Problem:
            return oauth_error("invalid_grant", "too many failed logins; wait and try again", 429)
        client = await accounts.client_of(session, client_id, client_secret)
        if client is None:
            # Only failures count: a script that signs in correctly is never refused.
            await limiter.record_failure(session, request, limit_key)
            return oauth_error("invalid_client", "invalid client credentials")
        actor: Actor | None
        if grant == "password":
            username, password = form.get("username", ""), form.get("password", "")
            actor = await accounts.sign_in(session, username, password) if username else None
            if actor is None:
                await limiter.record_failure(session, request, limit_key)
                return oauth_error("invalid_grant", "authentication failure")
        else:
            run_as = client.run_as_user_id
            actor = await accounts.actor_of_user(session, run_as) if run_as else None
            if actor is None:
                return oauth_error("invalid_grant", "no client credentials user enabled")
    return JSONResponse(issue(request, actor))


def issue(request: Request, actor: Actor) -> dict[str, str]:
    """The token answer for ``actor``."""
    assert actor.user_id is not None
    tokens: TokenService = request.app.state.tokens
    settings: SalesforceSettings = request.app.state.settings
    access_token = tokens.issue(str(actor.user_id), actor.username, [actor.profile], "access")
    instance_url = str(request.base_url).rstrip("/")
    identity = f"{instance_url}/id/{ORG_ID}/{ids.encode('005', actor.user_id)}"
    issued_at = str(int(time.time() * 1000))
    # A key of its own, derived from the token secret: a signature over text the caller
    # partly chooses (the host it reached) never uses the key that signs tokens.
    key = hmac.new(settings.secret.encode(), b"oauth-response-signature", hashlib.sha256)
    mac = hmac.new(key.digest(), (identity + issued_at).encode(), hashlib.sha256)
    return {
        "access_token": access_token,
        "instance_url": instance_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": base64.b64encode(mac.digest()).decode(),
    }
