"""The parts of ``make run`` on their own (no services started): the restart backoff, how a
stop is described, the kept secrets file, the run lock and the port check, and where the dev
peers' scheme comes from."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import stat
from pathlib import Path

import pytest
from sap_clone.api.settings import SapSettings

from servicekit.devrun.control import dispatch
from servicekit.devrun.lock import AlreadyRunning, acquire, busy_ports
from servicekit.devrun.run import ports_problem
from servicekit.devrun.secrets import (
    CLIENT_ID_KEY,
    CLIENT_SECRET_KEY,
    PASSWORD_KEY,
    SecretsFileInvalid,
    ensure_secrets,
    hop_key,
    jwt_key,
    load_secrets,
)
from servicekit.devrun.supervisor import (
    Child,
    Supervisor,
    backoff_seconds,
    describe_exit,
    last_log_line,
)
from servicekit.devservices import DEV_SERVICES, DevService
from servicekit.settings import DEV_PEER_PORTS


def test_the_backoff_doubles_from_one_second_up_to_its_cap() -> None:
    assert [backoff_seconds(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_a_stop_is_described_by_its_exit_code_or_signal() -> None:
    assert describe_exit(5) == "exit code 5"
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(-15) == "killed by SIGTERM"


def test_the_last_log_line_is_the_last_written_one(tmp_path: Path) -> None:
    log = tmp_path / "sap.log"
    assert last_log_line(log) == "(no log)"
    log.write_text("")
    assert last_log_line(log) == "(nothing logged)"
    log.write_text("starting\n" + "x" * 20000 + "\nsap: refusing to start: not at head\n\n")
    assert last_log_line(log) == "sap: refusing to start: not at head"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_are_made_once_0600_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    assert load_secrets(path) is None
    made = ensure_secrets(path, DEV_SERVICES)
    assert _mode(path) == 0o600
    pairs = [(a, b) for i, a in enumerate(DEV_SERVICES) for b in DEV_SERVICES[i + 1 :]]
    assert set(made.values) == {
        PASSWORD_KEY,
        CLIENT_ID_KEY,
        CLIENT_SECRET_KEY,
        *(jwt_key(s) for s in DEV_SERVICES),
        *(hop_key(a, b) for a, b in pairs),
    }
    assert all(len(made.jwt_secret(s)) >= 32 for s in DEV_SERVICES)
    # One key per pair, the same for both of its services, different from every other pair.
    assert len({made.values[hop_key(a, b)] for a, b in pairs}) == len(pairs)
    sap, mulesoft = DEV_SERVICES[0], DEV_SERVICES[1]
    assert hop_key(sap, mulesoft) == hop_key(mulesoft, sap)
    assert f"sap={made.values[hop_key(sap, mulesoft)]}" in made.hop_secrets(mulesoft, DEV_SERVICES)
    assert len({made.jwt_secret(s) for s in DEV_SERVICES}) == len(DEV_SERVICES)
    written = path.read_bytes()

    again = ensure_secrets(path, DEV_SERVICES)
    assert again == made and path.read_bytes() == written
    assert load_secrets(path) == made


def test_a_service_added_later_gets_its_secret_and_nothing_else_changes(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    made = ensure_secrets(path, DEV_SERVICES)
    newcomer = DevService("salesforce", "Salesforce", "x.api", "SALESFORCE_", 4799, "admin")
    grown = ensure_secrets(path, (*DEV_SERVICES, newcomer))
    assert len(grown.jwt_secret(newcomer)) >= 32
    assert {k: grown.values[k] for k in made.values} == made.values
    assert _mode(path) == 0o600


def test_a_secrets_file_opened_up_is_closed_again(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    ensure_secrets(path, DEV_SERVICES)
    path.chmod(0o644)
    ensure_secrets(path, DEV_SERVICES)
    assert _mode(path) == 0o600


def test_a_broken_secrets_file_is_named_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_text("# kept\nADMIN_PASSWORD=fine\nthe-secret-itself-without-a-key\n")
    with pytest.raises(SecretsFileInvalid) as caught:
        ensure_secrets(path, DEV_SERVICES)
    assert str(caught.value) == f"{path}: line 3 is not KEY=VALUE"
    assert "the-secret-itself" not in str(caught.value)


def test_the_run_lock_is_held_once_and_names_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    first = acquire(path, DEV_SERVICES)
    try:
        with pytest.raises(AlreadyRunning) as caught:
            acquire(path, DEV_SERVICES)
        message = str(caught.value)
        assert f"pid {os.getpid()}" in message
        for service in DEV_SERVICES:
            assert f"{service.name} {service.port}" in message
    finally:
        first.release()
    acquire(path, DEV_SERVICES).release()  # free again once released


def test_a_port_something_listens_on_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        service = DEV_SERVICES[0]
        monkeypatch.setenv(f"{service.prefix}PORT", str(taken))
        assert busy_ports((service,)) == [service]
    assert busy_ports((service,)) == []


def test_dev_peers_are_https_when_the_service_itself_serves_https(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SAP_PEERS", "SAP_TLS_CERTFILE", "SAP_TLS_KEYFILE"):
        monkeypatch.delenv(name, raising=False)
    assert {s.name: s.default_port for s in DEV_SERVICES} == DEV_PEER_PORTS
    plain = SapSettings().peer_urls
    assert plain == {s.name: f"http://127.0.0.1:{s.default_port}" for s in DEV_SERVICES}
    served = SapSettings(tls_certfile="server.pem", tls_keyfile="server-key.pem").peer_urls
    assert served == {s.name: f"https://127.0.0.1:{s.default_port}" for s in DEV_SERVICES}
    chosen = SapSettings(
        tls_certfile="server.pem", tls_keyfile="server-key.pem", peers="mulesoft=https://mule:1"
    ).peer_urls
    assert chosen["mulesoft"] == "https://mule:1"
    assert chosen["sap"] == "https://127.0.0.1:4798"


def test_ports_asked_for_are_checked_before_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = DEV_SERVICES[0], DEV_SERVICES[1]
    for service in DEV_SERVICES:
        monkeypatch.delenv(f"{service.prefix}PORT", raising=False)
    assert ports_problem(DEV_SERVICES) is None
    monkeypatch.setenv(f"{first.prefix}PORT", "http")
    assert ports_problem(DEV_SERVICES) == f"{first.prefix}PORT must be a port number, not 'http'"
    monkeypatch.setenv(f"{first.prefix}PORT", "70000")
    assert ports_problem(DEV_SERVICES) == (
        f"{first.prefix}PORT must be a port number (1-65535), not 70000"
    )
    monkeypatch.setenv(f"{first.prefix}PORT", str(second.default_port))
    assert ports_problem(DEV_SERVICES) == (
        f"{second.prefix}PORT and {first.prefix}PORT are both {second.default_port}"
    )


def test_control_requests_are_answered_in_one_line(tmp_path: Path) -> None:
    children = [Child(s, {}, tmp_path / f"{s.name}.log") for s in DEV_SERVICES]
    supervisor = Supervisor(children, ssl.create_default_context(), print)
    names = ", ".join(s.name for s in DEV_SERVICES)
    name = DEV_SERVICES[0].name

    def ask(*words: str) -> tuple[bool, str]:
        return asyncio.run(dispatch(supervisor, list(words)))

    assert ask("stop", name) == (
        False,
        "make run is still starting the services; try again once it is up",
    )
    assert ask("stop", "nope") == (False, f"no service 'nope': one of {names}")
    assert ask("restart", name)[0] is False
    assert ask("stop")[0] is False
    ok, status = ask("status")
    assert ok and [line.split(":")[0] for line in status.splitlines()] == list(supervisor.children)
