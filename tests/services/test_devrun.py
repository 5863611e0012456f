"""``make run`` as a user runs it, every service as a real process on free ports, in a
temporary folder: HTTPS verified against the dev CA (and refused without it), the hops
between the services over HTTPS, secrets made once and kept (0600), the login printed last and
shown again by ``make login``, a second run refused without changing anything, one service
stopped and started while the others answer, a killed service restarted, and Ctrl-C (while
running, migrating or starting) leaving no traceback and no process behind.

The tests over one run share it (module scope), in file order; the last one stops it."""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from devrun_support import (
    DevRun,
    accounts,
    devrun_command,
    eventually,
    free_ports,
    run_env,
)
from services_support import PROCESS_LOGS, issued
from sqlalchemy.engine import URL
from support import REPO

from servicekit.devrun.secrets import hop_key, load_secrets
from servicekit.devservices import DEV_SERVICES, dev_service

SAP = dev_service("sap")
SERVICENOW = dev_service("servicenow")


def _remember_for_the_leak_check(run: DevRun) -> None:
    """The run's secrets are issued ones: none may appear in any service's log."""
    kept = load_secrets(run.folder / "secrets.env")
    if kept is not None:
        for value in kept.values.values():
            issued(value)
    PROCESS_LOGS.extend(run.logs())


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, _test_config: Path) -> Iterator[DevRun]:
    root = tmp_path_factory.mktemp("devrun")
    ports = free_ports()
    env = run_env(_test_config, root / "dev", root / "data", ports)
    run = DevRun.start(env, ports, root / "first-run.out")
    try:
        yield run.wait_up()
    finally:
        run.kill()
        _remember_for_the_leak_check(run)


def test_every_service_serves_https_verified_against_the_dev_ca(first_run: DevRun) -> None:
    text = first_run.text()
    ca = shlex.quote(str(first_run.ca.resolve()))
    assert f"export REQUESTS_CA_BUNDLE={ca} SSL_CERT_FILE={ca}" in text
    for service in DEV_SERVICES:
        assert first_run.url(service) in text
        with first_run.client() as client:
            assert client.get(f"{first_run.url(service)}/health").json() == {"status": "ok"}
        # Without the dev CA the certificate is not trusted: nothing switches checks off.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{first_run.url(service)}/health", verify=ssl.create_default_context())
        # And there is no plain HTTP beside it.
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{first_run.ports[service.name]}/health", timeout=5)
        assert first_run.login_works(service), service.name


def test_the_printed_ca_line_is_all_a_requests_client_needs(first_run: DevRun) -> None:
    """The line make run prints, exported in a fresh shell, makes `requests` (what
    simple-salesforce uses) trust the services."""
    assert SAP is not None
    line = next(x for x in first_run.text().splitlines() if "export REQUESTS_CA_BUNDLE=" in x)
    script = (
        f"{line.strip()}; {shlex.quote(sys.executable)} -c "
        f"'import requests; print(requests.get(\"{first_run.url(SAP)}/health\").status_code)'"
    )
    env = {
        k: v for k, v in first_run.env.items() if k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
    }
    done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "200", done.stderr


def test_the_hops_between_the_services_go_over_https(first_run: DevRun) -> None:
    """A password reset for an unknown SAP user travels ServiceNow → platform → SAP and its
    rejection back: every hop verified against the dev CA."""
    assert SERVICENOW is not None
    base = first_run.url(SERVICENOW)
    with first_run.client() as client:
        token = first_run.login(SERVICENOW).json()["access_token"]
        admin = {"Authorization": f"Bearer {issued(token)}"}
        email, password = (
            f"user-{secrets.token_hex(3)}@example.com",
            issued(f"pw-{secrets.token_urlsafe(12)}"),
        )
        created = client.post(
            f"{base}/api/users",
            json={"email": email, "password": password, "role": "user"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        login = client.post(
            f"{base}/api/auth/login", json={"username": email, "password": password}
        )
        user = {"Authorization": f"Bearer {issued(login.json()['access_token'])}"}
        ticket = client.post(
            f"{base}/api/password-resets",
            json={"sap_username": f"nobody-{secrets.token_hex(3)}", "reason": "forgot it"},
            headers=user,
        ).json()

        def closed() -> str | None:
            found = client.get(f"{base}/api/tickets/{ticket['ticket_number']}", headers=admin)
            status = found.json()["status"]
            return status if status in ("rejected", "resolved") else None

        assert eventually("the rejection reaches ServiceNow", closed) == "rejected"


def test_the_dev_folder_is_private_and_git_ignored(first_run: DevRun) -> None:
    folder = first_run.folder

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(folder) == 0o700 and mode(folder / "tls") == 0o700
    for private in ("secrets.env", "tls/ca-key.pem", "tls/server-key.pem", "control.sock"):
        assert mode(folder / private) == 0o600, private
    kept = load_secrets(folder / "secrets.env")
    assert kept is not None and kept.admin_password == first_run.password
    for service in DEV_SERVICES:
        assert len(kept.jwt_secret(service)) >= 32
    pairs = [(a, b) for i, a in enumerate(DEV_SERVICES) for b in DEV_SERVICES[i + 1 :]]
    assert all(len(kept.values[hop_key(a, b)]) >= 32 for a, b in pairs)
    # The repository's own .dev/ never reaches git.
    for path in (".dev/secrets.env", ".dev/tls/ca-key.pem", ".dev/logs/sap.log"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO)
        assert ignored.returncode == 0, f"{path} is not git-ignored"


def test_the_login_is_printed_last_and_make_login_shows_it_again(first_run: DevRun) -> None:
    banner = first_run.text().rstrip().splitlines()
    assert banner[-1] == f"  password: {first_run.password}"
    assert "make login" in banner[-3]
    again = first_run.make("login")
    assert again.returncode == 0, again.stderr
    assert f"password: {first_run.password}" in again.stdout
    # Only the login leaves the secrets file: no JWT or hop secret is ever printed.
    kept = load_secrets(first_run.folder / "secrets.env")
    assert kept is not None
    for service in DEV_SERVICES:
        assert kept.jwt_secret(service) not in first_run.text() + again.stdout
    for key, value in kept.values.items():
        if key.startswith("HOP_KEY_"):
            assert value not in first_run.text() + again.stdout


def test_make_login_before_any_run_says_so(tmp_path: Path, _test_config: Path) -> None:
    env = run_env(_test_config, tmp_path / "dev", tmp_path / "data", free_ports())
    done = devrun_command(env, "login")
    assert done.returncode == 1
    assert done.stderr.strip() == "make login: no dev login yet: `make run` makes one"


def test_one_service_stops_and_starts_while_the_others_answer(first_run: DevRun) -> None:
    victim = DEV_SERVICES[0]
    others = [s for s in DEV_SERVICES if s is not victim]
    before = first_run.pids()

    stopped = first_run.make("stop", f"SERVICE={victim.name}")
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped {victim.name} (pid {before[victim.name]})" in stopped.stdout
    assert not first_run.answers(victim)
    assert all(first_run.answers(s) for s in others)
    status = first_run.pids()
    assert status[victim.name] is None
    assert {s.name: status[s.name] for s in others} == {s.name: before[s.name] for s in others}
    # Stopped on purpose is not a crash: no restart is announced.
    assert f"({victim.name}) stopped" not in first_run.text()

    started = first_run.make("start", f"SERVICE={victim.name}")
    assert started.returncode == 0, started.stderr
    assert f"started {victim.name}" in started.stdout
    assert first_run.answers(victim)
    assert first_run.login_works(victim)
    again = first_run.make("start", f"SERVICE={victim.name}")
    assert again.returncode == 0 and "already running" in again.stdout


def test_stop_and_start_say_what_is_wrong(first_run: DevRun) -> None:
    names = ", ".join(s.name for s in DEV_SERVICES)
    missing = first_run.make("stop")
    assert missing.returncode != 0
    assert (
        f"make stop: say which service: make stop SERVICE=sap (one of {names})"
        in missing.stderr.splitlines()
    )
    unknown = first_run.command("start", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == f"no service 'nope': one of {names}"
    assert all(first_run.answers(s) for s in DEV_SERVICES)


def test_a_killed_service_is_reported_and_restarted_while_the_others_answer(
    first_run: DevRun,
) -> None:
    victim = DEV_SERVICES[-1]
    others = [s for s in DEV_SERVICES if s is not victim]
    before = first_run.pids()
    old = before[victim.name]
    assert old is not None
    os.kill(old, signal.SIGKILL)

    def back() -> bool:
        assert all(first_run.answers(s) for s in others), "another service stopped answering"
        pid = first_run.pids()[victim.name]
        return pid is not None and pid != old and first_run.answers(victim)

    eventually(f"{victim.name} restarted", back)
    text = first_run.text()
    assert f"({victim.name}) stopped, killed by SIGKILL: " in text
    assert "restarting in 1 s" in text
    eventually("the restart announced", lambda: f"({victim.name}) is back" in first_run.text())
    after = first_run.pids()
    assert {s.name: after[s.name] for s in others} == {s.name: before[s.name] for s in others}
    assert first_run.login_works(victim), "same secrets, same login"


def test_a_second_run_is_refused_and_changes_nothing(first_run: DevRun, tmp_path: Path) -> None:
    kept = sorted(p for p in first_run.folder.rglob("*") if p.is_file() and p.suffix != ".log")
    before = {p: p.read_bytes() for p in kept if p.name != "run.lock"}
    pids = first_run.pids()
    users = accounts(first_run.env)
    assert users.get("sap"), "SAP's admin exists"

    second = DevRun.start(first_run.env, first_run.ports, tmp_path / "second.out")
    assert second.finish() == 1
    lines = second.text().strip().splitlines()
    assert len(lines) == 1, second.text()
    line = lines[0]
    assert line.startswith("make run: already running (") and "nothing changed" in line
    assert f"pid {first_run.process.pid}" in line
    for service in DEV_SERVICES:
        assert f"{service.name} {first_run.ports[service.name]}" in line
    assert {p: p.read_bytes() for p in before} == before
    assert first_run.pids() == pids
    assert accounts(first_run.env) == users, "no password reset, no account changed"
    for service in DEV_SERVICES:
        assert first_run.login_works(service), "the first run's login still works"


def test_a_run_whose_ports_are_taken_starts_nothing(
    first_run: DevRun, tmp_path: Path, _test_config: Path
) -> None:
    """Another folder (another checkout) on the same ports: refused before anything is made."""
    env = run_env(_test_config, tmp_path / "dev", tmp_path / "data", first_run.ports)
    other = DevRun.start(env, first_run.ports, tmp_path / "other.out")
    assert other.finish() == 1
    lines = other.text().strip().splitlines()
    assert len(lines) == 1 and "in use by another program; nothing started" in lines[0], lines
    assert str(first_run.ports[DEV_SERVICES[0].name]) in lines[0]
    assert not (tmp_path / "dev" / "secrets.env").exists()
    assert not (tmp_path / "dev" / "tls").exists()
    assert not any((tmp_path / "data").iterdir()), "no database was migrated"


def test_ctrl_c_stops_everything_and_the_next_run_keeps_the_login_and_the_ca(
    first_run: DevRun, tmp_path: Path
) -> None:
    """Last: it ends the shared run."""
    secrets_before = (first_run.folder / "secrets.env").read_bytes()
    ca_before = first_run.ca.read_bytes()
    password = first_run.password
    assert first_run.processes_behind()

    first_run.ctrl_c()
    assert first_run.finish() == 0
    text = first_run.text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert first_run.processes_behind() == []
    assert not (first_run.folder / "control.sock").exists()

    again = DevRun.start(first_run.env, first_run.ports, tmp_path / "again.out").wait_up()
    try:
        assert again.password == password
        assert (again.folder / "secrets.env").read_bytes() == secrets_before
        assert again.ca.read_bytes() == ca_before, "a client that trusts the CA keeps trusting it"
        for service in DEV_SERVICES:
            assert again.login_works(service)
        # Even killed outright, make run takes its services with it and frees the lock.
        again.process.kill()
        again.finish()
        eventually("the services end with make run", lambda: again.processes_behind() == [])
        status = again.command("status")
        assert status.returncode == 1 and "make run is not running" in status.stderr
    finally:
        again.kill()
        PROCESS_LOGS.extend(again.logs())


@pytest.mark.parametrize("phase", ["migrating", "starting"])
def test_ctrl_c_while_starting_up_leaves_nothing_behind(
    phase: str, tmp_path: Path, _test_config: Path
) -> None:
    ports = free_ports()
    # Migrating step by step (no replay of a recording) leaves time to interrupt it.
    env = run_env(_test_config, tmp_path / "dev", tmp_path / "data", ports, NETAPPS_REPLAY="0")
    run = DevRun.start(env, ports, tmp_path / "run.out")
    try:
        if phase == "migrating":
            eventually("migrating", lambda: "↑" in run.text() or run.process.poll() is not None)
        else:
            first_log = tmp_path / "dev" / "logs" / f"{DEV_SERVICES[0].name}.log"
            eventually(
                "a service starting", lambda: first_log.exists() and first_log.stat().st_size
            )
        run.ctrl_c()
        code = run.finish()
    finally:
        run.kill()
    text = run.text()
    assert code == 0, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert run.processes_behind() == []
    assert not any(run.answers(s) for s in DEV_SERVICES)


def test_make_run_with_sap_on_postgresql(
    pg_database: URL, tmp_path: Path, _test_config: Path
) -> None:
    """SAP on PostgreSQL (as in production), the others on SQLite: served over HTTPS, and a
    second run refused without touching SAP's accounts."""
    ports = free_ports()
    sap_url = pg_database.render_as_string(hide_password=False)
    env = run_env(
        _test_config, tmp_path / "dev", tmp_path / "data", ports, SAP_DATABASE_URL=sap_url
    )
    run = DevRun.start(env, ports, tmp_path / "run.out")
    try:
        run.wait_up()
        for service in DEV_SERVICES:
            assert run.answers(service) and run.login_works(service), service.name
        users = accounts(env)
        assert users["sap"]
        second = DevRun.start(env, ports, tmp_path / "second.out")
        assert second.finish() == 1 and "already running" in second.text()
        assert accounts(env) == users
        run.ctrl_c()
        assert run.finish() == 0
        assert "Traceback" not in run.text()
        assert run.processes_behind() == []
    finally:
        run.kill()
        PROCESS_LOGS.extend(run.logs())


def test_a_service_that_cannot_start_stops_the_run_with_its_reason(
    tmp_path: Path, _test_config: Path
) -> None:
    failing = DEV_SERVICES[-1]
    ports = free_ports()
    bad = {f"{failing.prefix}HOP_WINDOW_SECONDS": "-1"}  # refused by its settings
    env = run_env(_test_config, tmp_path / "dev", tmp_path / "data", ports, **bad)
    run = DevRun.start(env, ports, tmp_path / "run.out")
    try:
        assert run.finish(timeout=180) == 1
    finally:
        run.kill()
    text = run.text()
    reason = next(line for line in text.splitlines() if "did not start" in line)
    assert reason.startswith(f"make run: {failing.label} did not start (exit code 2): ")
    assert "hop_window_seconds" in reason
    assert "password: " not in text, "no login is printed for a run that did not start"
    assert "Traceback" not in text
    assert run.processes_behind() == []
