"""Passwords (argon2 through pwdlib), JWT access and refresh tokens (PyJWT), API keys.

Password hashing is deliberately slow, so it runs in a worker thread: the event loop keeps
serving other requests while one login is checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.concurrency import run_in_threadpool

TokenKind = Literal["access", "refresh"]
ALGORITHM = "HS256"

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the user does not exist, so that an unknown name costs as much time
# as a wrong password and the answer's timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    return await run_in_threadpool(_hasher.hash, password)


async def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; takes the same time when there is none."""
    if stored is None:
        await run_in_threadpool(_hasher.verify, password, _DUMMY_HASH)
        return False
    try:
        return bool(await run_in_threadpool(_hasher.verify, password, stored))
    except Exception:  # a malformed stored hash is a failed login, not a server error
        return False


def generate_password() -> str:
    """A random password for a dev login or a reset: 128 bits, URL-safe."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    name: str
    roles: frozenset[str]
    kind: TokenKind
    expires_at: dt.datetime
    must_change_password: bool = False
    #: The token's own id (``jti``): a refresh token's row in ``refresh_tokens``.
    token_id: str = ""


class InvalidToken(Exception):
    """Expired, forged, of the wrong kind or for another service."""


class TokenService:
    """Signs and checks one service's tokens (its own secret, issuer and audience)."""

    def __init__(self, secret: str, issuer: str, access_minutes: int, refresh_minutes: int):
        self._secret = secret
        self._issuer = issuer
        self._lifetimes = {
            "access": dt.timedelta(minutes=access_minutes),
            "refresh": dt.timedelta(minutes=refresh_minutes),
        }

    def lifetime(self, kind: TokenKind) -> dt.timedelta:
        return self._lifetimes[kind]

    def issue(
        self,
        subject: str,
        name: str,
        roles: list[str],
        kind: TokenKind,
        must_change_password: bool = False,
        token_id: str | None = None,
    ) -> str:
        now = dt.datetime.now(dt.UTC)
        claims: dict[str, Any] = {
            "sub": subject,
            "name": name,
            "roles": sorted(roles),
            "typ": kind,
            "iss": self._issuer,
            "aud": self._issuer,
            "iat": now,
            "exp": now + self._lifetimes[kind],
            "jti": token_id or uuid.uuid4().hex,
        }
        if must_change_password:
            claims["mcp"] = True
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str, kind: TokenKind) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._issuer,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "typ"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        if claims.get("typ") != kind:
            raise InvalidToken(f"not an {kind} token")
        return TokenClaims(
            subject=str(claims["sub"]),
            name=str(claims.get("name", "")),
            roles=frozenset(str(r) for r in claims.get("roles", [])),
            kind=kind,
            expires_at=dt.datetime.fromtimestamp(claims["exp"], dt.UTC),
            must_change_password=bool(claims.get("mcp", False)),
            token_id=str(claims.get("jti", "")),
        )


# API keys are 256 random bits: a plain SHA-256 is enough to store them (nothing to guess
# offline) and lets a key be found by its hash in one indexed lookup, unlike a salted hash.
API_KEY_BYTES = 32
API_KEY_PREFIX_LENGTH = 12


@dataclass(frozen=True)
class NewApiKey:
    key: str  # shown once to its owner, never stored
    prefix: str  # stored, to tell keys apart in a list
    digest: str  # stored: sha256 hex of the key


def new_api_key(label: str) -> NewApiKey:
    key = f"{label}_{secrets.token_urlsafe(API_KEY_BYTES)}"
    return NewApiKey(key, key[:API_KEY_PREFIX_LENGTH], api_key_digest(key))


def api_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def digest_in(key: str, digests: frozenset[str]) -> bool:
    """Constant-time membership of ``key``'s digest in ``digests``."""
    candidate = api_key_digest(key)
    found = False
    for digest in digests:
        found |= hmac.compare_digest(candidate, digest)
    return found
