"""The fast path is never wrong (issue 12, point 4): over a generated set of URLs and
environments, whenever the no-op fast path answers, the full implementation gives the same
answer; a URL or environment the fast path does not read exactly as the full path does makes
it fall back."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from support import APP_FOLDERS

from netapps.cli import main as full_main
from netapps.fastpath import answer

PG_ENV_NAMES = ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGOPTIONS")


def normalised(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:  # SQLAlchemy and the plain driver format timestamps differently
        row["last_migrated_at"] = (row.get("last_migrated_at") or "")[:16]
        row.pop("seconds", None)
    return rows


def compare(
    argv: list[str], capsys: pytest.CaptureFixture[str], case: object
) -> tuple[bool, list[dict[str, Any]] | None]:
    """(whether the fast path answered, the full answer); fails when they disagree."""
    capsys.readouterr()
    fast_code = answer(argv)
    fast_out = capsys.readouterr().out
    full_code = full_main(argv)
    full_out = capsys.readouterr().out
    full = normalised(json.loads(full_out)) if full_out.strip().startswith("[") else None
    if fast_code is None:
        return False, full
    assert full_code == fast_code == 0, (case, full_code, full_out)
    assert full is not None, case
    assert normalised(json.loads(fast_out)) == full, case
    assert all(row["state"] == "up to date" for row in full if "state" in row), case
    return True, full


@pytest.fixture
def sql_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Salesforce's SQL migrations in a folder of the test's, named in a netapps.toml."""
    folder = tmp_path / "sf"
    shutil.copytree(APP_FOLDERS["salesforce"] / "migrations", folder / "migrations")
    config = tmp_path / "netapps.toml"
    config.write_text(
        f'[backups]\ndir = "{tmp_path / "backups"}"\n\n'
        f'[apps.salesforce]\nfolder = "{folder}"\nkind = "sql"\n'
        'database.dev = { url = "sqlite:///./unused.db" }\n'
    )
    monkeypatch.setenv("NETAPPS_CONFIG", str(config))
    for name in PG_ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return folder


def migrate(monkeypatch: pytest.MonkeyPatch, url: str, to: str = "head") -> None:
    monkeypatch.setenv("SALESFORCE_DATABASE_URL", url)
    # --yes: a percent-escape is unescaped, so "a%20b.db" is "a b.db" and --to 001 goes down.
    assert full_main(["migrate", "salesforce", "--to", to, "--yes"]) == 0


def test_sqlite_urls_fast_and_full_agree(
    sql_app: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two files whose names differ only by a percent-escape: one at head, one behind.
    migrate(monkeypatch, f"sqlite:///{sql_app}/a b.db")
    migrate(monkeypatch, f"sqlite:///{sql_app}/a%20b.db", "001")
    (sql_app / "sub").mkdir()
    (sql_app / "link.db").symlink_to(sql_app / "a b.db")
    texts = [
        f"sqlite:///{sql_app}/a b.db",
        f"sqlite:///{sql_app}/a%20b.db",
        "sqlite:///./a b.db",
        "sqlite:///a b.db",
        "sqlite:///./a%20b.db",
        "sqlite:///sub/../a b.db",
        "sqlite:///./link.db",
        f"sqlite+pysqlite:///{sql_app}/a b.db",
        f"sqlite+aiosqlite:///{sql_app}/a b.db",
        f"SQLITE:///{sql_app}/a b.db",
        f"sqlite://{sql_app}/a b.db",
        f"sqlite:////{sql_app}/a b.db",
        f"  sqlite:///{sql_app}/a b.db  ",
        f"sqlite:///{sql_app}/a b.db?mode=ro",
        f"sqlite:///{sql_app}/a b.db#x",
        "sqlite:///./missing.db",
    ]
    answered = 0
    for text, command in itertools.product(texts, ("status", "migrate")):
        monkeypatch.setenv("SALESFORCE_DATABASE_URL", text)
        fast, _full = compare([command, "--json"], capsys, (text, command))
        answered += fast
    assert answered >= 8, "the fast path never answered: the test proves nothing"


def test_postgresql_urls_and_environments_fast_and_full_agree(
    sql_app: Path,
    pg_database: URL,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    host, port, name = pg_database.host, pg_database.port, pg_database.database
    migrate(monkeypatch, pg_database.render_as_string(False))
    urls = [
        f"postgresql+psycopg://postgres@{host}:{port}/{name}",
        f"postgresql://postgres@{host}:{port}/{name}",
        f"postgresql+asyncpg://postgres@{host}:{port}/{name}",
        f"postgresql+psycopg://postgres:pw@{host}:{port}/{name}",
        f"postgresql+psycopg://postgres:@{host}:{port}/{name}",
        f"postgresql+psycopg://postgres@/{name}",  # no host: PGHOST, or a socket
        f"postgresql+psycopg://postgres@{host}/{name}",  # no port: PGPORT, or 5432
        f"postgresql+psycopg://{host}:{port}/{name}",  # no user
        f"postgresql+psycopg://postgres@{host}:{port}/",  # no database: PGDATABASE
        f"postgresql+psycopg://postgres@{host}:{port}/{name.replace('_', '%5F')}",
        f"POSTGRESQL+psycopg://postgres@{host}:{port}/{name}",
        f"postgresql+psycopg://postgres@{host}:{port}/{name}?sslmode=disable",
        f"postgresql+psycopg://postgres@localhost:{port}/{name}",
    ]
    environments: list[dict[str, str]] = [
        {},
        {"PGPORT": "1"},
        {"PGHOST": "/nonexistent"},
        {"PGDATABASE": "postgres"},
        {"PGUSER": "nobody"},
        {"PGOPTIONS": "-c search_path=nothing"},
    ]
    answered = 0
    for url, environment in itertools.product(urls, environments):
        for variable in PG_ENV_NAMES:
            monkeypatch.delenv(variable, raising=False)
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("SALESFORCE_DATABASE_URL", url)
        fast, _full = compare(["status", "--json"], capsys, (url, environment))
        answered += fast
    assert answered >= 3, "the fast path never answered: the test proves nothing"
