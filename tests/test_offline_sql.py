"""Offline SQL applies: what ``alembic upgrade head --sql`` and ``netapps plan APP --sql`` print
(and their downgrades) runs under ``psql -v ON_ERROR_STOP=1 -f`` on a fresh PostgreSQL
database and leaves the same schema, version and ledger as an online migration.

PostgreSQL only: offline SQL is for databases a DBA applies by hand; SQLite has no ``psql``,
and Alembic's batch mode (SQLite's ALTER TABLE) needs a live connection.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL
from support import ALEMBIC_APPS, APP_FOLDERS

from netapps import commands
from netapps.config import load_project
from netapps.executor import MigrateOptions

pytestmark = pytest.mark.skipif(
    shutil.which("psql") is None or shutil.which("pg_dump") is None,
    reason="psql and pg_dump are needed to apply offline SQL",
)

BIN = Path(sys.executable).parent
URL_VARIABLES = {
    "sap": "SAP_DATABASE_URL",
    "mulesoft": "MULESOFT_DATABASE_URL",
    "servicenow": "SERVICENOW_DATABASE_URL",
    "salesforce": "SALESFORCE_DATABASE_URL",
}
NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # --sql connects to nothing


def _text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _run(args: list[str], cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **variables}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{args} failed:\n{done.stderr}"
    return done


def alembic_sql(app: str, *args: str) -> str:
    """``alembic ARGS --sql`` in the app's folder; stdout, which must be SQL only."""
    done = _run([str(BIN / "alembic"), *args, "--sql"], APP_FOLDERS[app], DATABASE_URL=NOWHERE)
    return done.stdout


def netapps_sql(app: str, url: URL, *args: str) -> str:
    """``netapps plan APP ARGS --sql`` against the database at ``url``; stdout."""
    done = _run(
        [str(BIN / "netapps"), "plan", app, *args, "--sql"],
        APP_FOLDERS[app],
        **{URL_VARIABLES[app]: _text(url)},
    )
    assert " → " in done.stderr  # the plan itself goes to stderr
    return done.stdout


def apply(sql: str, url: URL, tmp_path: Path) -> None:
    script = tmp_path / "offline.sql"
    script.write_text(sql)
    done = subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(url.host),
            "-p",
            str(url.port),
            "-U",
            "postgres",
            "-d",
            str(url.database),
            "-f",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"psql failed:\n{done.stderr}\n--- SQL ---\n{sql[:3000]}"


def schema(url: URL) -> list[str]:
    """The database's schema as pg_dump writes it (comments and blank lines left out)."""
    done = subprocess.run(
        [
            "pg_dump",
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-h",
            str(url.host),
            "-p",
            str(url.port),
            "-U",
            "postgres",
            str(url.database),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # \restrict / \unrestrict carry a random key in each dump (pg_dump 15.14 and later).
    return [
        line
        for line in done.stdout.splitlines()
        if line.strip() and not line.startswith(("--", "\\restrict", "\\unrestrict"))
    ]


def state(url: URL) -> tuple[list[str], list[tuple[str, str]]]:
    """The recorded version(s) and the ledger's (revision, direction) rows, in order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" in tables:
                query = "SELECT version_num FROM alembic_version ORDER BY 1"
            else:
                query = "SELECT version FROM schema_version ORDER BY 1"
            versions = list(conn.execute(text(query)).scalars())
            ledger = [
                (row.revision, row.direction)
                for row in conn.execute(
                    text("SELECT revision, direction FROM netapps_migration_log ORDER BY id")
                )
            ]
    finally:
        engine.dispose()
    return versions, ledger


def same_database(expected: URL, actual: URL) -> None:
    assert schema(actual) == schema(expected)
    assert state(actual) == state(expected)


def migrate_online(app: str, url: URL, to: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_VARIABLES[app], _text(url))
    project = load_project()
    options = MigrateOptions(destination=to, backup=False)
    (result,) = commands.migrate(project, commands.targets(project, [app]), options)
    assert result.ok, result.error


@pytest.fixture
def databases(request: pytest.FixtureRequest, postgres_server: tuple[str, int]) -> list[URL]:
    """Three fresh PostgreSQL databases (the fixture makes one per request: call it thrice)."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    host, port = postgres_server
    names = [f"netapps_test_{uuid.uuid4().hex[:12]}" for _ in range(3)]
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(
            host=host, port=port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    request.addfinalizer(drop)
    return [make_url(f"postgresql+psycopg://postgres@{host}:{port}/{name}") for name in names]


@pytest.mark.parametrize("app", ALEMBIC_APPS)
def test_alembic_app_offline_sql_up_and_down(
    app: str, databases: list[URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    online, by_alembic, by_netapps = databases
    migrate_online(app, online, "head", monkeypatch)

    apply(alembic_sql(app, "upgrade", "head"), by_alembic, tmp_path)
    apply(netapps_sql(app, by_netapps), by_netapps, tmp_path)
    same_database(online, by_alembic)
    same_database(online, by_netapps)

    # Down again: netapps plans from the online database (at head), alembic from head.
    down_by_netapps = netapps_sql(app, online, "--to", "base")
    apply(alembic_sql(app, "downgrade", "head:base"), by_alembic, tmp_path)
    apply(down_by_netapps, by_netapps, tmp_path)
    migrate_online(app, online, "base", monkeypatch)
    same_database(online, by_alembic)
    same_database(online, by_netapps)


def test_sql_app_offline_sql_up_and_down(
    databases: list[URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = "salesforce"
    online, by_netapps, _unused = databases
    migrate_online(app, online, "head", monkeypatch)
    up = netapps_sql(app, by_netapps)
    assert "BEGIN;" in up and "CREATE TABLE IF NOT EXISTS schema_version" in up
    apply(up, by_netapps, tmp_path)
    same_database(online, by_netapps)

    down = netapps_sql(app, online, "--to", "base")
    apply(down, by_netapps, tmp_path)
    migrate_online(app, online, "base", monkeypatch)
    same_database(online, by_netapps)
