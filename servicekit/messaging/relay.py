"""The relay: delivers the outbox over signed HTTP, at least once, with exponential backoff.

Each service runs one relay per process (several replicas: several relays on one database).
A relay claims a batch of due messages in a short transaction — ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so replicas never claim the same row; the write lock (BEGIN IMMEDIATE) on SQLite —
and leases them: ``next_attempt_at`` moves a lease ahead and ``attempts`` grows before the
transaction commits. It then delivers without holding any lock. A delivered message is marked
so; a failed one is due again after a backoff (doubling, capped), and after the last allowed
attempt it is ``dead`` until an administrator replays it. A relay killed mid-delivery leaves
its lease to expire: the message is delivered again, and the receiver's inbox makes the second
delivery change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from sqlalchemy import select, update

from servicekit.db import Database
from servicekit.messaging import signing
from servicekit.messaging.outbox import (
    DeliveryOutcome,
    MessagingSpec,
    register_wakeup,
    unregister_wakeup,
)
from servicekit.tls import client_context

log = structlog.get_logger("servicekit.relay")

#: Where every service receives messages.
MESSAGES_PATH = "/api/messages"


@dataclass(frozen=True)
class RelayOptions:
    poll_seconds: float = 0.5
    batch: int = 20
    lease_seconds: float = 30.0
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    max_attempts: int = 10
    timeout_seconds: float = 10.0
    #: The CA the receivers' certificates are verified against (None: the system's store).
    ca_file: str | None = None


def backoff(attempts: int, options: RelayOptions) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: 1, 2, 4, ... capped."""
    return float(min(options.backoff_max_seconds, options.backoff_seconds * 2 ** (attempts - 1)))


def describe_failure(exc_or_response: BaseException | httpx.Response) -> str:
    """A short, secret-free reason: the receiver's status and problem detail, or the error."""
    if isinstance(exc_or_response, httpx.Response):
        detail = ""
        try:
            body = exc_or_response.json()
            detail = str(body.get("detail", ""))[:200] if isinstance(body, dict) else ""
        except ValueError:
            pass
        return f"HTTP {exc_or_response.status_code}" + (f": {detail}" if detail else "")
    return type(exc_or_response).__name__


class Relay:
    def __init__(
        self,
        db: Database,
        spec: MessagingSpec,
        service: str,
        keys: Callable[[str], str | None],
        peers: Mapping[str, str],
        options: RelayOptions,
    ):
        self.db = db
        self.spec = spec
        self.table = spec.tables.outbox
        self.service = service
        #: The hop key shared with a destination (None: none is).
        self.keys = keys
        self.peers = dict(peers)
        self.options = options
        self.wakeup = asyncio.Event()
        self._client: httpx.AsyncClient | None = None

    async def run(self) -> None:
        """Delivers until cancelled."""
        register_wakeup(self.wakeup)
        self._client = httpx.AsyncClient(
            timeout=self.options.timeout_seconds,
            verify=client_context(self.options.ca_file),
        )
        try:
            while True:
                try:
                    delivered = await self.deliver_due()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database went away: keep trying
                    log.warning("relay_error", service=self.service, error=type(exc).__name__)
                    delivered = 0
                if delivered < self.options.batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wakeup.wait(), self.options.poll_seconds)
                    self.wakeup.clear()
        finally:
            unregister_wakeup(self.wakeup)
            await self._client.aclose()

    async def claim(self) -> list[dict[str, Any]]:
        now = dt.datetime.now(dt.UTC)
        t = self.table
        query = (
            select(t)
            .where(t.c.status == "pending", t.c.next_attempt_at <= now)
            .order_by(t.c.next_attempt_at, t.c.id)
            .limit(self.options.batch)
        )
        if not self.db.info.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        async with self.db.writer() as session:
            rows = [dict(r._mapping) for r in (await session.execute(query)).all()]
            if not rows:
                await session.rollback()
                return []
            lease = now + dt.timedelta(seconds=self.options.lease_seconds)
            await session.execute(
                update(t)
                .where(t.c.id.in_([r["id"] for r in rows]))
                .values(next_attempt_at=lease, attempts=t.c.attempts + 1)
            )
            await session.commit()
        for row in rows:
            row["attempts"] += 1
        return rows

    async def deliver_due(self) -> int:
        """Claims one batch and delivers it (concurrently); the number claimed."""
        rows = await self.claim()
        if rows:
            await asyncio.gather(*(self.deliver(row) for row in rows))
        return len(rows)

    async def deliver(self, row: dict[str, Any]) -> None:
        error: str | None = None
        base = self.peers.get(row["destination"])
        key = self.keys(row["destination"])
        if base is None:
            error = f"no address for the service {row['destination']!r} (set PEERS)"
        elif key is None:
            error = f"no hop key shared with {row['destination']!r} (set HOP_SECRETS)"
        else:
            body = json.dumps(
                {
                    "message_id": row["message_id"],
                    "topic": row["topic"],
                    "correlation_id": row["correlation_id"],
                    "payload": row["payload"],
                },
                separators=(",", ":"),
            ).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Correlation-ID": row["correlation_id"],
                **signing.sign(key, self.service, "POST", MESSAGES_PATH, body),
            }
            assert self._client is not None
            try:
                response = await self._client.post(
                    base.rstrip("/") + MESSAGES_PATH, content=body, headers=headers
                )
                if not response.is_success:
                    error = describe_failure(response)
            except httpx.HTTPError as exc:
                error = describe_failure(exc)
        await self.record(row, error)

    async def record(self, row: dict[str, Any], error: str | None) -> None:
        t = self.table
        now = dt.datetime.now(dt.UTC)
        attempts = int(row["attempts"])
        dead = error is not None and attempts >= self.options.max_attempts
        next_at = (
            None
            if error is None or dead
            else now + dt.timedelta(seconds=backoff(attempts, self.options))
        )
        if error is None:
            values: dict[str, Any] = {
                "status": "delivered",
                "delivered_at": now,
                "last_error": None,
            }
        elif dead:
            values = {"status": "dead", "last_error": error}
        else:
            values = {"next_attempt_at": next_at, "last_error": error}
        outcome = DeliveryOutcome(
            message_id=row["message_id"],
            topic=row["topic"],
            destination=row["destination"],
            correlation_id=row["correlation_id"],
            attempts=attempts,
            delivered=error is None,
            dead=dead,
            error=error,
            next_attempt_at=next_at,
        )
        async with self.db.writer() as session:
            await session.execute(
                update(t).where(t.c.id == row["id"], t.c.status == "pending").values(**values)
            )
            await self.spec.report(session, outcome)
            await session.commit()
        event = "message_delivered" if error is None else "message_delivery_failed"
        log.info(
            event,
            topic=row["topic"],
            destination=row["destination"],
            message_id=row["message_id"],
            correlation_id=row["correlation_id"],
            attempts=attempts,
            dead=dead,
            error=error,
        )
