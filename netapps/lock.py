"""One migrator per database, across processes and machines.

PostgreSQL: a session-level advisory lock, held on the one connection that runs the whole
migration (an advisory lock belongs to its session, so it must not hop connections). SQLite:
an exclusive ``flock`` on a file beside the database, which the kernel releases when the
process dies, even by SIGKILL. Both wait up to a time-out and then say who holds the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, text

from netapps.errors import LockTimeout
from netapps.recorder import who

DEFAULT_TIMEOUT = 300.0
_POLL_SECONDS = 0.1


def advisory_key(app: str) -> int:
    """A stable 63-bit key per app (advisory locks are scoped to the current database)."""
    return zlib.crc32(f"netapps:{app}".encode()) | (0x4E41 << 32)


@contextmanager
def postgres_lock(conn: Connection, app: str, timeout: float) -> Iterator[None]:
    key = advisory_key(app)
    deadline = time.monotonic() + timeout
    while True:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if got:
            break
        if time.monotonic() >= deadline:
            holder = _postgres_holder(conn, key)
            raise LockTimeout(
                f"{app}: another migrator holds the migration lock ({holder}) and did not "
                f"release it within {timeout:g} s; wait for it, or raise --lock-timeout"
            )
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()


def _postgres_holder(conn: Connection, key: int) -> str:
    row = conn.execute(
        text(
            "SELECT a.pid, a.usename, a.client_addr, a.application_name, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid = :hi AND l.objid = :lo"
        ),
        {"hi": key >> 32, "lo": key & 0xFFFFFFFF},
    ).first()
    conn.commit()
    if row is None:
        return "holder unknown"
    return (
        f"PostgreSQL pid {row.pid}, user {row.usename}, from {row.client_addr or 'local socket'}, "
        f"application '{row.application_name}', since {row.backend_start:%Y-%m-%d %H:%M:%S}"
    )


@contextmanager
def file_lock(database: Path, app: str, timeout: float) -> Iterator[None]:
    path = database.with_name(database.name + ".migrate.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = (
                        os.pread(fd, 200, 0).decode(errors="replace").strip() or "holder unknown"
                    )
                    raise LockTimeout(
                        f"{app}: another migrator holds the migration lock on {database} "
                        f"({holder}) and did not release it within {timeout:g} s; wait for it, "
                        "or raise --lock-timeout"
                    ) from None
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(
            fd, f"{who()} pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0
        )
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
