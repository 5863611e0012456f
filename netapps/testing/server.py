"""A PostgreSQL server for tests: the one asked for, else 127.0.0.1:5432, else a throwaway one.

Without a URL, the server on ``$NETAPPS_TEST_PGHOST:$NETAPPS_TEST_PGPORT`` (127.0.0.1:5432) is
used when it answers as user ``postgres``; otherwise a throwaway server is started from local
PostgreSQL binaries (initdb and pg_ctl, as the postgres user when run as root) and stopped
afterwards. ``throwaway`` instead of a URL asks for a throwaway server even when one answers
on 5432. When neither works, :class:`Unavailable` says why in one line. A URL given explicitly
is used as is: it answers or it is unavailable.

A throwaway server is a test server: its files live in memory (``/dev/shm`` when it is there
with room to spare, else the temporary folder) and it never waits for a disk (``fsync``,
``synchronous_commit`` and ``full_page_writes`` off). Cloning a template then takes 20 to 35
ms instead of the 60 to 300 ms a disk-backed server spends writing the copy to its write-ahead
log and, at each ``DROP DATABASE``, checkpointing, on this kind of machine (bench/testdb.py
measures both). A crash loses it, which a test server started for one session may.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from netapps.testing.postgres_templates import connect_args
from netapps.urls import mask


class Unavailable(Exception):
    """No PostgreSQL server for the tests; the message says why."""


def default_url() -> URL:
    host = os.environ.get("NETAPPS_TEST_PGHOST", "127.0.0.1")
    port = int(os.environ.get("NETAPPS_TEST_PGPORT", "5432"))
    return URL.create("postgresql", username="postgres", host=host, port=port, database="postgres")


def answers(url: URL) -> str | None:
    """None when the server answers at ``url``; else why not (one line, password masked)."""
    try:
        with psycopg.connect(**connect_args(url), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if url.password:
            detail = detail.replace(url.password, "***")
        return f"no PostgreSQL answers at {mask(url)} ({detail})"


def local_bin_dir() -> Path | None:
    """Where initdb and pg_ctl live: Debian's versioned folder first, else on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the postgres user then."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root and runuser is missing")
        return [runuser, "-u", "postgres", "--", *args]
    return args


#: The word ``--netapps-postgres`` takes for a throwaway server whatever else answers.
THROWAWAY = "throwaway"
#: Where a throwaway server's files go when it has this much room: memory.
MEMORY_FOLDER = Path("/dev/shm")
MEMORY_NEEDED = 2 << 30
#: A test server's settings: nothing waits for a disk (see the module's docstring).
TEST_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def _files_folder() -> str | None:
    """The folder a throwaway server's files go in: memory when there is room, else None
    (the temporary folder)."""
    try:
        room = os.statvfs(MEMORY_FOLDER)
    except OSError:
        return None
    if not os.access(MEMORY_FOLDER, os.W_OK) or room.f_bavail * room.f_frsize < MEMORY_NEEDED:
        return None
    return str(MEMORY_FOLDER)


@contextmanager
def throwaway_server(bin_dir: Path) -> Iterator[URL]:
    """A new PostgreSQL cluster on a free port of 127.0.0.1 (trust authentication), its files
    in memory where there is room, removed with them afterwards; its maintenance database's
    URL."""
    workdir = Path(tempfile.mkdtemp(prefix="netapps-pg-", dir=_files_folder()))
    data, port = workdir / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    run = partial(subprocess.run, check=True, capture_output=True, text=True, timeout=120)
    pg_ctl = str(bin_dir / "pg_ctl")
    try:
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        run(_as_server_user([*initdb, "-E", "UTF8"]))
        settings = " ".join(f"-c {k}={v}" for k, v in TEST_SERVER_SETTINGS.items())
        options = f"-p {port} -k {workdir} {settings}"
        log = str(workdir / "server.log")
        run(_as_server_user([pg_ctl, "-D", str(data), "-o", options, "-w", "-l", log, "start"]))
        try:
            yield URL.create(
                "postgresql", username="postgres", host="127.0.0.1", port=port, database="postgres"
            )
        finally:
            subprocess.run(
                _as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def postgres_for_tests(given: str | None = None) -> Iterator[URL]:
    """The maintenance database's URL of a server the tests may create databases on (see the
    module's docstring); raises :class:`Unavailable` with the reason when there is none."""
    if given == THROWAWAY:
        bin_dir = local_bin_dir()
        if bin_dir is None:
            raise Unavailable(
                "no local PostgreSQL binaries (initdb, pg_ctl) for a throwaway server"
            )
        with _started(bin_dir, "a throwaway server was asked for") as url:
            yield url
        return
    if given:
        url = make_url(given)
        reason = answers(url)
        if reason is not None:
            raise Unavailable(reason)
        yield url
        return
    url = default_url()
    reason = answers(url)
    if reason is None:
        yield url
        return
    bin_dir = local_bin_dir()
    if bin_dir is None:
        raise Unavailable(f"{reason}, and no local PostgreSQL binaries (initdb, pg_ctl) were found")
    with _started(bin_dir, reason) as url:
        yield url


@contextmanager
def _started(bin_dir: Path, reason: str) -> Iterator[URL]:
    """A throwaway server; :class:`Unavailable` (``reason``, and why it did not start) when
    it does not start."""
    try:
        server = throwaway_server(bin_dir)
        started = server.__enter__()
    except Exception as exc:  # a throwaway server that cannot start is a reason, not a crash
        detail = str(getattr(exc, "stderr", "") or exc).strip()
        raise Unavailable(
            f"{reason}, and a throwaway server from {bin_dir} did not start ({detail})"
        ) from None
    try:
        yield started
    finally:
        server.__exit__(None, None, None)
