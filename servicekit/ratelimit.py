"""Failed sign-ins limited per client address and per user name (429 past the limit).

Only failures count: a script that signs in correctly many times is never refused. The
failures live in the service's database (``login_failures``) so that every replica sees the
same count; a service without that table counts in its process's memory.
"""

from __future__ import annotations

import datetime as dt
from collections import deque

from fastapi import Request
from limits import parse
from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.errors import Problem


class LoginLimiter:
    def __init__(self, rate: str, table: Table | None = None):
        item = parse(rate)
        self.amount = item.amount
        self.window = dt.timedelta(seconds=item.get_expiry())
        self._table = table
        self._memory: dict[str, deque[dt.datetime]] = {}

    @staticmethod
    def keys(request: Request, username: str) -> list[str]:
        address = request.client.host if request.client else "unknown"
        return [f"ip:{address}", f"user:{username.lower()}"[:300]]

    async def check(self, session: AsyncSession, request: Request, username: str) -> None:
        """429 when the address or the name has failed ``amount`` times within the window."""
        keys = self.keys(request, username)
        since = dt.datetime.now(dt.UTC) - self.window
        if self._table is None:
            counts = {k: sum(1 for t in self._memory.get(k, ()) if t > since) for k in keys}
        else:
            table = self._table
            rows = await session.execute(
                select(table.c.limit_key, func.count())
                .where(table.c.limit_key.in_(keys), table.c.failed_at > since)
                .group_by(table.c.limit_key)
            )
            counts = {str(key): int(count) for key, count in rows}
        if any(count >= self.amount for count in counts.values()):
            raise Problem(
                429,
                "too many failed sign-ins; wait and try again",
                headers={"Retry-After": str(int(self.window.total_seconds()))},
            )

    async def record_failure(self, session: AsyncSession, request: Request, username: str) -> None:
        """Counts one failure for the address and the name (committed by the caller); the
        failures of these keys older than the window are dropped at the same time."""
        keys = self.keys(request, username)
        now = dt.datetime.now(dt.UTC)
        since = now - self.window
        if self._table is None:
            for key in keys:
                times = self._memory.setdefault(key, deque())
                while times and times[0] <= since:
                    times.popleft()
                times.append(now)
            return
        table = self._table
        await session.execute(
            delete(table).where(table.c.limit_key.in_(keys), table.c.failed_at <= since)
        )
        await session.execute(insert(table), [{"limit_key": k, "failed_at": now} for k in keys])
