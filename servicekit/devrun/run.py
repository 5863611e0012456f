"""``make run`` itself: refuse when one already runs (or its ports are taken) without changing
anything; otherwise the dev CA and secrets (made once, kept), the databases migrated, every
service started over HTTPS and supervised until Ctrl-C; the login printed last."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sys
from types import FrameType

from servicekit.devrun.control import serve_control
from servicekit.devrun.folder import DevFolder
from servicekit.devrun.lock import AlreadyRunning, acquire, busy_ports
from servicekit.devrun.secrets import DevSecrets, SecretsFileInvalid, ensure_secrets
from servicekit.devrun.supervisor import Child, Supervisor
from servicekit.devservices import DEV_SERVICES, DevService
from servicekit.migrations import migrate_all
from servicekit.tls import DevCertificates, client_context, ensure_dev_certificates

#: netapps' exit code for Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def service_env(
    service: DevService, certificates: DevCertificates, secrets: DevSecrets
) -> dict[str, str]:
    p = service.prefix
    return {
        **os.environ,
        f"{p}HOST": "127.0.0.1",  # the dev certificate is for loopback only
        f"{p}PORT": str(service.port),
        f"{p}TLS_CERTFILE": str(certificates.cert_path),
        f"{p}TLS_KEYFILE": str(certificates.key_path),
        f"{p}TLS_CA_FILE": str(certificates.ca_path),
        f"{p}PEERS": ",".join(f"{s.name}={s.url()}" for s in DEV_SERVICES),
        f"{p}JWT_SECRET": secrets.jwt_secret(service),
        f"{p}HOP_SECRETS": secrets.hop_secrets(service, DEV_SERVICES),
        f"{p}BOOTSTRAP_ADMIN_USERNAME": service.login,
        f"{p}BOOTSTRAP_ADMIN_PASSWORD": secrets.admin_password,
        # Salesforce's connected app (the others ignore it: not their prefix's setting).
        f"{p}BOOTSTRAP_CLIENT_ID": secrets.salesforce_client[0],
        f"{p}BOOTSTRAP_CLIENT_SECRET": secrets.salesforce_client[1],
        "PYTHONUNBUFFERED": "1",
    }


def login_lines(folder: DevFolder, secrets: DevSecrets) -> list[str]:
    logins = " · ".join(f"{s.label}: {s.login}" for s in DEV_SERVICES)
    return [
        f"Dev login (kept in {folder.secrets}; `make login` shows it again):",
        f"  {logins}",
        f"  password: {secrets.admin_password}",
    ]


def connected_app_lines(secrets: DevSecrets) -> list[str]:
    """Salesforce's connected app: with the login, what simple-salesforce signs in with."""
    client_id, client_secret = secrets.salesforce_client
    return [
        "Salesforce's connected app (POST /services/oauth2/token, grant_type=password, with the"
        " login below):",
        f"  client_id={client_id} client_secret={client_secret}",
    ]


def banner(folder: DevFolder, certificates: DevCertificates, secrets: DevSecrets) -> str:
    ca = shlex.quote(str(certificates.ca_path))
    names = ", ".join(s.name for s in DEV_SERVICES)
    lines = [
        "",
        f"Services over HTTPS (Ctrl-C stops all; their logs: {folder.logs}/NAME.log):",
        *(
            f"  {s.label:<22} {s.url()}   docs: {s.url()}/docs   (make stop/start SERVICE={s.name})"
            for s in DEV_SERVICES
        ),
        "",
        f"They are signed by the dev CA {certificates.ca_path}; to trust it in a shell"
        " (requests, httpx):",
        f"  export REQUESTS_CA_BUNDLE={ca} SSL_CERT_FILE={ca}",
        f"One service: `make stop SERVICE=sap`, `make start SERVICE=sap` ({names});"
        " `make status`. A service that stops on its own is restarted.",
        "",
        *connected_app_lines(secrets),
        *login_lines(folder, secrets),
        "",
    ]
    return "\n".join(lines)


async def supervise(folder: DevFolder, certificates: DevCertificates, secrets: DevSecrets) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    for service in DEV_SERVICES:  # each run's logs start empty
        folder.log(service.name).write_bytes(b"")
    children = [
        Child(service, service_env(service, certificates, secrets), folder.log(service.name))
        for service in DEV_SERVICES
    ]
    ca = client_context(certificates.ca_path)
    assert not isinstance(ca, bool)  # a CA file was given
    supervisor = Supervisor(children, ca, say)
    server: asyncio.AbstractServer | None = None
    try:
        try:
            server = await serve_control(folder.control, supervisor)
        except OSError as exc:  # e.g. a folder path too long for a Unix socket
            say(f"make run: no control socket ({exc.strerror or exc}): make stop/start/status off")
        starting = asyncio.create_task(supervisor.start_all())
        interrupted = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            say("make run: interrupted while starting; stopping")
            return 0
        interrupted.cancel()
        if not starting.result():
            return 1
        print(banner(folder, certificates, secrets), flush=True)
        await stop.wait()
        say("make run: stopping every service")
        return 0
    finally:
        if server is not None:
            server.close()
        await supervisor.shutdown()
        with contextlib.suppress(FileNotFoundError):
            folder.control.unlink()


def ports_problem(services: tuple[DevService, ...]) -> str | None:
    """What is wrong with the ports asked for (``<PREFIX>PORT``), if anything."""
    seen: dict[int, str] = {}
    for service in services:
        variable = f"{service.prefix}PORT"
        try:
            port = service.port
        except ValueError:
            return f"{variable} must be a port number, not {os.environ.get(variable)!r}"
        if not 0 < port < 65536:
            return f"{variable} must be a port number (1-65535), not {port}"
        if port in seen:
            return f"{variable} and {seen[port]} are both {port}"
        seen[port] = variable
    return None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run() -> int:
    # Until the services run (the supervisor then handles them): Ctrl-C, a terminal closing
    # or a `kill` end make run here, quietly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    folder = DevFolder.from_environment()
    problem = ports_problem(DEV_SERVICES)
    if problem:
        say(f"make run: {problem}; nothing started")
        return 2
    try:
        folder.create()
        try:
            lock = acquire(folder.lock, DEV_SERVICES)
        except AlreadyRunning as exc:
            say(f"make run: already running ({exc}); nothing changed")
            return 1
        try:
            busy = busy_ports(DEV_SERVICES)
            if busy:
                ports = ", ".join(f"{s.port} ({s.label})" for s in busy)
                say(f"make run: port {ports} in use by another program; nothing started")
                return 1
            certificates = ensure_dev_certificates(folder.tls)
            secrets = ensure_secrets(folder.secrets, DEV_SERVICES)
            code = migrate_all()
            if code == EXIT_INTERRUPTED:  # netapps stopped cleanly between two migrations
                say("make run: interrupted while migrating; nothing started")
                return 0
            if code != 0:
                say(f"make run: migrating failed (netapps exit code {code}); nothing started")
                return code
            return asyncio.run(supervise(folder, certificates, secrets))
        finally:
            lock.release()
    except KeyboardInterrupt:
        say("make run: interrupted; nothing left running")
        return 0
    except SecretsFileInvalid as exc:
        say(f"make run: {exc}; fix or delete it (new secrets are then made)")
        return 1
    except OSError as exc:  # the dev folder cannot be written, say
        where = f" ({exc.filename})" if exc.filename else ""
        say(f"make run: {exc.strerror or exc}{where}; nothing started")
        return 1
