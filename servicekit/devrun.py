"""``make run``: every database migrated (dev: SQLite files, no server needed), then the three
services started on their ports, their URLs and the dev login printed; Ctrl-C stops them all.

The dev login's password is generated at every start (never written anywhere) and set on
the ``admin`` account of each service; each service generates its own JWT secret.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from servicekit.migrations import migrate_all
from servicekit.security import generate_password


@dataclass(frozen=True)
class DevService:
    name: str  # netapps' name, and the name its peers know it by
    label: str
    module: str
    prefix: str
    default_port: int
    login: str

    @property
    def port(self) -> int:
        return int(os.environ.get(f"{self.prefix}PORT", self.default_port))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SERVICES = (
    DevService("sap", "SAP_clone", "sap_clone.api", "SAP_", 4798, "admin"),
    DevService(
        "mulesoft",
        "Integration platform",
        "integration_platform.api",
        "MULESOFT_",
        4797,
        "admin@example.com",
    ),
    DevService(
        "servicenow", "ServiceNow", "servicenow.api", "SERVICENOW_", 4780, "admin@example.com"
    ),
)


def _wait_healthy(
    service: DevService, process: subprocess.Popen[bytes], timeout: float = 60
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"{service.url}/health", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Stopped by a signal rather than Ctrl-C (a terminal closing, `kill`): stop the services too.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    code = migrate_all()
    if code != 0:
        print(
            f"make run: migrating failed (netapps exit code {code}); nothing started",
            file=sys.stderr,
        )
        return code
    password = generate_password()
    # The services sign their messages to each other with one key per pair, made for this run.
    names = [service.name for service in SERVICES]
    pair_keys = {
        frozenset({a, b}): secrets.token_urlsafe(48)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for service in SERVICES:
            env = {
                **os.environ,
                f"{service.prefix}BOOTSTRAP_ADMIN_USERNAME": service.login,
                f"{service.prefix}BOOTSTRAP_ADMIN_PASSWORD": password,
                f"{service.prefix}HOP_SECRETS": os.environ.get(
                    f"{service.prefix}HOP_SECRETS",
                    ",".join(
                        f"{peer}={pair_keys[frozenset({service.name, peer})]}"
                        for peer in names
                        if peer != service.name
                    ),
                ),
            }
            process = subprocess.Popen([sys.executable, "-m", service.module], env=env)
            processes.append(process)
            if not _wait_healthy(service, process):
                print(f"make run: {service.label} did not start; stopping", file=sys.stderr)
                return 1
        print("\nServices (Ctrl-C stops all):")
        for service in SERVICES:
            print(f"  {service.label:<22} {service.url}   docs: {service.url}/docs")
        print(
            f"\nDev login (this run only): {SERVICES[0].login} on SAP_clone, "
            f"{SERVICES[1].login} on the others; password: {password}\n",
            flush=True,
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("make run: a service stopped; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(processes)


if __name__ == "__main__":
    sys.exit(main())
