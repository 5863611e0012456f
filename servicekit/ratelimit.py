"""Login attempts rate-limited per client address and per user name (the ``limits`` library,
in memory: one worker process per service; use its Redis storage for several)."""

from __future__ import annotations

from fastapi import Request
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from servicekit.errors import Problem


class LoginLimiter:
    def __init__(self, rate: str):
        self._item = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def check(self, request: Request, username: str) -> None:
        """Counts one attempt for the address and for the name; 429 past the limit."""
        address = request.client.host if request.client else "unknown"
        for key in (f"ip:{address}", f"user:{username.lower()}"):
            if not await self._limiter.hit(self._item, "login", key):
                raise Problem(
                    429,
                    "too many login attempts; wait a minute and try again",
                    headers={"Retry-After": "60"},
                )
