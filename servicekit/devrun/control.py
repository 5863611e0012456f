"""``make stop SERVICE=…`` / ``make start SERVICE=…`` / ``make status``: one line to the
running ``make run`` over a Unix socket in its folder (0600 through the 0700 folder), its
answer printed. One request per connection: ``stop NAME``, ``start NAME`` or ``status``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

from servicekit.devrun.supervisor import Supervisor

#: A start waits for the service to answer; give it that long and a little more.
CLIENT_TIMEOUT_SECONDS = 120.0
_MAX_REQUEST = 200


class NotRunning(Exception):
    """No ``make run`` answers on the socket."""


async def serve_control(path: Path, supervisor: Supervisor) -> asyncio.AbstractServer:
    """The control socket at ``path`` (any left by a run that died is replaced: the caller
    holds the run lock)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await reader.readline())[:_MAX_REQUEST].decode(errors="replace").split()
            ok, answer = await dispatch(supervisor, line)
            writer.write(f"{'ok' if ok else 'error'}\n{answer}\n".encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    server = await asyncio.start_unix_server(handle, path=str(path))
    path.chmod(0o600)
    return server


async def dispatch(supervisor: Supervisor, words: list[str]) -> tuple[bool, str]:
    names = ", ".join(supervisor.children)
    if words == ["status"]:
        return True, "\n".join(supervisor.status())
    if len(words) == 2 and words[0] in ("stop", "start"):
        command, name = words
        if name not in supervisor.children:
            return False, f"no service {name!r}: one of {names}"
        if not supervisor.up:
            return False, "make run is still starting the services; try again once it is up"
        if command == "stop":
            return True, await supervisor.stop_one(name)
        return await supervisor.start_one(name)
    return False, f"expected `stop NAME`, `start NAME` or `status` (NAME: one of {names})"


def send(path: Path, request: str) -> tuple[bool, str]:
    """The running ``make run``'s answer to ``request``; NotRunning when none answers."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CLIENT_TIMEOUT_SECONDS)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise NotRunning from None
        sock.sendall(request.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    status, _, answer = b"".join(chunks).decode(errors="replace").partition("\n")
    return status == "ok", answer.rstrip("\n")
