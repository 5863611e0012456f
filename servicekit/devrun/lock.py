"""One ``make run`` at a time: an exclusive ``flock`` on ``run.lock``, held as long as the run
lives (the kernel drops it when the process ends, however it ends), the file telling a second
run which pid and ports hold it; and a check that the ports are free before anything starts."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from servicekit.devservices import DevService


class AlreadyRunning(Exception):
    """Another ``make run`` holds the lock; the message names its pid and ports."""


@dataclass
class RunLock:
    handle: IO[str]

    def release(self) -> None:
        self.handle.close()  # closing the file drops the lock


def acquire(path: Path, services: tuple[DevService, ...]) -> RunLock:
    """The lock, with this run's pid and ports written in it; AlreadyRunning when held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    handle = os.fdopen(fd, "r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            handle.close()
            raise
        holder = handle.read()
        handle.close()
        raise AlreadyRunning(_describe(holder)) from None
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "ports": {s.name: s.port for s in services}}))
    handle.flush()
    return RunLock(handle)


def _describe(holder: str) -> str:
    try:
        data = json.loads(holder)
        ports = ", ".join(f"{name} {port}" for name, port in data["ports"].items())
        return f"pid {int(data['pid'])}, ports {ports}"
    except (ValueError, KeyError, TypeError, AttributeError):
        return "its pid is not recorded yet"


def busy_ports(services: tuple[DevService, ...]) -> list[DevService]:
    """The services whose port something else already listens on."""
    busy = []
    for service in services:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", service.port))
            except OSError:
                busy.append(service)
    return busy
