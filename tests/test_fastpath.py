"""The no-op fast path: same answer as the full implementation, never a wrong one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from support import APP_FOLDERS, APPS, copy_app, netapps, run, subprocess_env, write_config

from netapps.cli import main as full_main
from netapps.fastpath import answer


@pytest.fixture
def at_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_database: URL) -> Path:
    """All four apps migrated (SAP on PostgreSQL, the others on SQLite files)."""
    urls = {app: f"sqlite:///{tmp_path / (app + '.db')}" for app in APPS}
    urls["sap"] = pg_database.render_as_string(hide_password=False)
    config = write_config(tmp_path / "netapps.toml", urls=urls)
    monkeypatch.setenv("NETAPPS_CONFIG", str(config))
    assert full_main(["migrate"]) == 0
    return tmp_path


def test_fast_and_full_status_agree(at_head: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert answer(["status", "--json"]) == 0
    fast = json.loads(capsys.readouterr().out)
    assert full_main(["status", "--json"]) == 0
    full = json.loads(capsys.readouterr().out)
    for row in full:  # the full path reads timestamps through SQLAlchemy: compare to the minute
        row["last_migrated_at"] = (row["last_migrated_at"] or "")[:16]
    for row in fast:
        row["last_migrated_at"] = (row["last_migrated_at"] or "")[:16]
    assert fast == full
    assert [row["state"] for row in fast] == ["up to date"] * 4


def test_fast_noop_migrate_imports_no_sqlalchemy(at_head: Path) -> None:
    code = (
        "import sys\n"
        "from netapps.entry import main\n"
        "assert main(['migrate', '--json']) == 0\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'typer') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = run([sys.executable, "-c", code], env=subprocess_env())
    assert done.returncode == 0, done.stderr
    assert all(not r["steps"] for r in json.loads(done.stdout))


def test_flags_that_do_not_change_a_noop_keep_the_fast_path(at_head: Path) -> None:
    """--parallel N (as the README recommends) and the time-outs: the same no-op answer,
    still without importing SQLAlchemy."""
    flags = ["--parallel", "4", "--lock-timeout", "60", "--ddl-lock-timeout", "2.5"]
    assert answer(["migrate", *flags, "--lock-retries", "3", "--json"]) == 0
    # Spelled with an equals sign, and the global --debug (a no-op has no traceback to show).
    assert answer(["--debug", "migrate", "--parallel=4", "--to=head", "--json"]) == 0
    assert answer(["--env=dev", "status", "--exit-code"]) == 0
    assert answer(["migrate", "--parallel=0"]) is None  # the full CLI's usage error


def test_fast_path_gives_up_unless_everything_is_at_head(at_head: Path) -> None:
    assert answer(["status", "unknown-app"]) is None  # the full CLI names the error
    assert answer(["migrate", "--to", "001"]) is None
    assert answer(["plan"]) is None
    # Values the full command line refuses are its usage errors to report, not a no-op.
    for bad in (["--parallel", "0"], ["--parallel", "x"], ["--lock-timeout", "soon"]):
        assert answer(["migrate", *bad]) is None, bad
    versions = APP_FOLDERS["servicenow"] / "alembic" / "versions"
    # A pending migration (a new file) or an edited one: the full implementation must answer.
    copy = copy_app("servicenow", at_head / "sn")
    config = (
        (at_head / "netapps.toml").read_text().replace(str(APP_FOLDERS["servicenow"]), str(copy))
    )
    (at_head / "netapps.toml").write_text(config)
    first = next((copy / "alembic" / "versions").glob("001_*.py"))
    first.write_text(first.read_text() + "\n# edited\n")
    assert answer(["migrate", "servicenow"]) is None
    done = netapps("migrate", "servicenow", env=subprocess_env())
    assert done.returncode == 5 and "001_initial_migration.py" in done.stderr
    assert versions.is_dir()  # the repository's own files were not touched


def test_fast_path_answers_for_named_apps_and_tenants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(
        tmp_path / "netapps.toml",
        ["servicenow"],
        urls={"servicenow": f"sqlite:///{tmp_path}/sn-{{tenant}}.db"},
        app_settings={"servicenow": {"tenants": ["acme", "globex"]}},
        extra={"environments": ["dev"]},
    )
    monkeypatch.setenv("NETAPPS_CONFIG", str(config))
    assert full_main(["migrate"]) == 0
    for argv in (["migrate"], ["migrate", "servicenow"], ["status", "servicenow:acme"]):
        assert answer([*argv, "--json"]) == 0, argv
    assert answer(["status", "servicenow:nobody"]) is None
