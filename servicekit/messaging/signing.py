"""Signed hops: an HMAC-SHA256 over the method, path, timestamp, sender and body of a
request between two services, with a replay window.

The key is shared by the services (``<PREFIX>HOP_SECRET``); it never travels. A request whose
signature does not match was forged or altered; one whose timestamp is outside the window is
an old request sent again. A replay inside the window is caught by the inbox, which keeps the
signature each message was first applied with.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

SOURCE_HEADER = "X-Hop-Source"
TIMESTAMP_HEADER = "X-Hop-Timestamp"
SIGNATURE_HEADER = "X-Hop-Signature"


class HopRefused(Exception):
    """The request is not a valid signed hop; the message says why (no secret in it)."""


@dataclass(frozen=True)
class SignedHop:
    source: str
    signature: str


def signature(secret: str, method: str, path: str, timestamp: str, source: str, body: bytes) -> str:
    signed = "\n".join(
        [method.upper(), path, timestamp, source, hashlib.sha256(body).hexdigest()]
    ).encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(
    secret: str, source: str, method: str, path: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The headers that make a request a signed hop from ``source``."""
    timestamp = f"{time.time() if now is None else now:.6f}"
    return {
        SOURCE_HEADER: source,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, method, path, timestamp, source, body),
    }


def is_signed(headers: Mapping[str, str]) -> bool:
    return any(h in headers for h in (SOURCE_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))


def verify(
    secret: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    window_seconds: float,
    now: float | None = None,
) -> SignedHop:
    """The hop's sender and signature, or HopRefused."""
    source = headers.get(SOURCE_HEADER, "")
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    given = headers.get(SIGNATURE_HEADER, "")
    if not (source and timestamp and given):
        raise HopRefused(
            f"a hop needs the {SOURCE_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers"
        )
    try:
        sent_at = float(timestamp)
    except ValueError:
        raise HopRefused(f"{TIMESTAMP_HEADER} is not a Unix time") from None
    expected = signature(secret, method, path, timestamp, source, body)
    if not hmac.compare_digest(expected, given):
        raise HopRefused("the hop's signature does not match")
    now = time.time() if now is None else now
    if abs(now - sent_at) > window_seconds:
        raise HopRefused(
            f"the hop was signed {abs(now - sent_at):.0f} s ago, outside the "
            f"{window_seconds:.0f} s window (a replay, or a clock off)"
        )
    return SignedHop(source, given)
