"""The Salesforce service starts only on a database at head (the SQL kind's schema_version):
a real process refuses behind head with exit 5, MIGRATE_ON_START=1 migrates first, and
/ready says 503 when the database falls behind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from salesforce_support import API, SalesforceCredentials, bearer, in_process, url_text
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from support import REPO
from tests_paths import SALESFORCE_MIGRATIONS

HEAD = sorted(p.name[:3] for p in SALESFORCE_MIGRATIONS.glob("*.up*.sql"))[-1]
BEHIND = f"{int(HEAD) - 1:03d}"


def _run(
    url: URL, credentials: SalesforceCredentials, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(credentials.env())
    env.update({"SALESFORCE_DATABASE_URL": url_text(url), "SALESFORCE_PORT": "1", **extra})
    return subprocess.run(
        [sys.executable, "-m", "salesforce_crm.api"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_process_refuses_a_database_behind_head(
    engine: str, netapps_db: Callable[..., URL]
) -> None:
    url = netapps_db("salesforce", BEHIND, engine=engine)
    done = _run(url, SalesforceCredentials())
    assert done.returncode == 5, done.stderr
    assert "salesforce: refusing to start" in done.stderr
    assert f"is at {BEHIND}" in done.stderr and "netapps migrate salesforce" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_setting_exits_2(netapps_db: Callable[..., URL]) -> None:
    url = netapps_db("salesforce")
    done = _run(url, SalesforceCredentials(), SALESFORCE_BOOTSTRAP_CLIENT_SECRET="")
    assert done.returncode == 2, done.stderr
    assert "go together" in done.stderr


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_migrate_on_start_brings_it_to_head_and_it_serves(
    engine: str, netapps_db: Callable[..., URL], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = netapps_db("salesforce", BEHIND, engine=engine)
    monkeypatch.setenv("SALESFORCE_DATABASE_URL", url_text(url))
    credentials = SalesforceCredentials()
    with in_process(credentials, migrate_on_start=True) as client:
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "revision": HEAD}
        headers = bearer(client, credentials)
        assert client.get(f"{API}/sobjects/WorkOrder/describe", headers=headers).status_code == 200


def test_ready_is_503_when_the_database_falls_behind(
    netapps_db: Callable[..., URL], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = netapps_db("salesforce")
    monkeypatch.setenv("SALESFORCE_DATABASE_URL", url_text(url))
    with in_process(SalesforceCredentials()) as client:
        assert client.get("/ready").status_code == 200
        engine = create_engine(url)
        with engine.begin() as conn:  # as if someone downgraded it under the service
            conn.execute(text("DELETE FROM schema_version WHERE version = :v"), {"v": HEAD})
        engine.dispose()
        answer = client.get("/ready")
        assert answer.status_code == 503
        assert f"is at {BEHIND}" in answer.json()["detail"]
