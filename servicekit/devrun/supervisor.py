"""Keeps the dev services running: each one a child process (its output in its log file),
started together and waited for over HTTPS; one that stops on its own is reported (name, exit
code, last log line) and restarted after a backoff (1 s, 2 s, 4 s … capped) while the others
keep running; one stopped on purpose (``make stop``) stays stopped until ``make start``."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import ssl
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from servicekit.devservices import DevService

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
#: A service up this long counts as recovered: its next stop starts the backoff afresh.
STABLE_SECONDS = 60.0
START_TIMEOUT_SECONDS = 90.0
#: How long a service has to stop after SIGTERM before it is killed.
STOP_TIMEOUT_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


def backoff_seconds(failures: int) -> float:
    """The wait before restarting a service that has stopped ``failures`` times in a row."""
    return float(min(BACKOFF_FIRST_SECONDS * 2 ** max(failures - 1, 0), BACKOFF_CAP_SECONDS))


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def last_log_line(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(size - 8192, 0))
            tail = handle.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(nothing logged)"


def _die_with_supervisor() -> None:
    """Runs in the child before exec: the kernel sends it SIGTERM when the supervisor dies,
    however it dies, so that no service outlives ``make run``."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    service: DevService
    env: dict[str, str]
    log: Path
    process: asyncio.subprocess.Process | None = None
    #: False after ``make stop``: not restarted until ``make start``.
    wanted: bool = True
    failures: int = 0
    started_at: float = 0.0
    note: str = ""
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None


class Supervisor:
    def __init__(
        self, children: list[Child], ca: ssl.SSLContext, report: Callable[[str], None]
    ) -> None:
        self.children = {child.service.name: child for child in children}
        self._ca = ca
        self._report = report
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        #: Every service answered once: from then on one may be stopped and started.
        self.up = False

    # ------------------------------------------------------------------ one process
    async def _spawn(self, child: Child) -> asyncio.subprocess.Process:
        with child.log.open("ab") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                child.service.module,
                env=child.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
                # Its own session: a Ctrl-C in the terminal reaches the supervisor alone,
                # which then stops every service in order.
                start_new_session=True,
                preexec_fn=_die_with_supervisor,
            )
        child.process = process
        child.started_at = time.monotonic()
        child.note = ""
        return process

    async def _healthy(self, child: Child, process: asyncio.subprocess.Process) -> bool:
        """True once the service answers /health over HTTPS verified against the dev CA;
        False when the process ends first or does not answer in time."""
        url = f"{child.service.url()}/health"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        async with httpx.AsyncClient(verify=self._ca, timeout=2) as client:
            while time.monotonic() < deadline:
                if process.returncode is not None:
                    return False
                try:
                    if (await client.get(url)).status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        return False

    async def _terminate(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()

    def _background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --------------------------------------------------------------------- the run
    async def start_all(self) -> bool:
        """Every service started side by side; True when all answer. On False the failure
        has been reported (the caller stops the rest)."""
        processes = {name: await self._spawn(child) for name, child in self.children.items()}
        results = await asyncio.gather(
            *(self._healthy(self.children[name], p) for name, p in processes.items())
        )
        for (name, process), healthy in zip(processes.items(), results, strict=True):
            if not healthy:
                child = self.children[name]
                why = (
                    describe_exit(process.returncode)
                    if process.returncode is not None
                    else f"no answer in {START_TIMEOUT_SECONDS:g} s"
                )
                self._report(
                    f"make run: {child.service.label} did not start ({why}): "
                    f"{last_log_line(child.log)}"
                )
                return False
        for child in self.children.values():
            self._background(self._watch(child))
        self.up = True
        return True

    async def _watch(self, child: Child) -> None:
        """Restarts the child whenever it stops on its own, until the run ends."""
        while not self._stopping:
            process = child.process
            if process is None:  # stopped on purpose, or waiting for its restart
                await child.wake.wait()
                child.wake.clear()
                continue
            code = await process.wait()
            if self._stopping:
                return
            if child.process is not process or not child.wanted:
                continue  # `make stop` (or `make start`) took care of it
            child.process = None
            if time.monotonic() - child.started_at >= STABLE_SECONDS:
                child.failures = 0
            child.failures += 1
            delay = backoff_seconds(child.failures)
            child.note = f"{describe_exit(code)}; restarting in {delay:g} s"
            self._report(
                f"make run: {child.service.label} ({child.service.name}) stopped, "
                f"{describe_exit(code)}: {last_log_line(child.log)}; restarting in {delay:g} s"
            )
            with contextlib.suppress(TimeoutError):  # woken early by make start/stop or Ctrl-C
                await asyncio.wait_for(child.wake.wait(), delay)
            child.wake.clear()
            if self._stopping or not child.wanted or child.process is not None:
                continue
            restarted = await self._spawn(child)
            self._background(self._announce(child, restarted))

    async def _announce(self, child: Child, process: asyncio.subprocess.Process) -> None:
        if await self._healthy(child, process) and child.process is process:
            self._report(
                f"make run: {child.service.label} ({child.service.name}) is back, pid {process.pid}"
            )

    async def shutdown(self) -> None:
        """Every service stopped (SIGTERM, then SIGKILL after a while) and waited for."""
        self._stopping = True
        for child in self.children.values():
            child.wake.set()
        await asyncio.gather(
            *(self._terminate(c.process) for c in self.children.values() if c.process)
        )
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------ make stop / start
    async def stop_one(self, name: str) -> str:
        child = self.children[name]
        child.wanted = False
        process, child.process = child.process, None
        child.note = "stopped with make stop"
        child.wake.set()
        if process is None or process.returncode is not None:
            return f"{name} was not running; it stays stopped until `make start SERVICE={name}`"
        await self._terminate(process)
        return f"stopped {name} (pid {process.pid}); `make start SERVICE={name}` starts it again"

    async def start_one(self, name: str) -> tuple[bool, str]:
        child = self.children[name]
        if child.running and child.process is not None:
            return True, f"{name} is already running (pid {child.process.pid})"
        child.wanted = True
        child.failures = 0
        process = await self._spawn(child)
        child.wake.set()
        if await self._healthy(child, process):
            return True, f"started {name} (pid {process.pid}) at {child.service.url()}"
        return False, f"{name} did not start: {last_log_line(child.log)}"

    def status(self) -> list[str]:
        lines = []
        for name, child in self.children.items():
            if child.running and child.process is not None:
                state = f"running, pid {child.process.pid}"
            else:
                state = f"not running ({child.note or 'starting'})"
            lines.append(f"{name}: {state}, {child.service.url()}")
        return lines
