"""The `netapps` command line as a user meets it: every command, every bad input of issue 3.

Each test gets its own netapps.toml in tmp (absolute app folders, backups in tmp) and points
all four apps at tmp SQLite files (or a fresh PostgreSQL database), so nothing is written into
the repository. Most cases run in-process through ``netapps.cli.main``; a handful run the
installed console script and the run_migrations.py scripts as subprocesses.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL
from support import (
    APP_FOLDERS,
    APPS,
    REPO,
    REPO_CONFIG,
    URL_ENVS,
    copy_app,
    execute,
    netapps,
    run,
    subprocess_env,
    tables,
    url_text,
    write_config,
)

from netapps.cli import main

SECRET = "s3cret"
UNREACHABLE = f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x"
SN_FIRST = "001_initial_migration"
#: Salesforce's SQL versions, oldest first, read from its folder.
SF_VERSIONS = sorted({p.name[:3] for p in (REPO / "Salesforce" / "migrations").glob("[0-9]*.sql")})
SF_HEAD = SF_VERSIONS[-1]
#: ServiceNow's revisions, oldest first, read from its folder (each file is named after its
#: revision); the number a new one gets.
SN_REVISIONS = sorted(
    p.stem for p in (REPO / "serviceNow" / "backend" / "alembic" / "versions").glob("[0-9]*.py")
)
SN_HEAD = SN_REVISIONS[-1]
SN_NEXT = f"{int(SN_HEAD[:3]) + 1:03d}"


# -- helpers -------------------------------------------------------------------------------
@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def json(self) -> Any:
        return json.loads(self.out)


def assert_error(result: Result, code: int, *needles: str) -> str:
    """Exit ``code``, no traceback, exactly one ``error:`` line holding every needle."""
    assert result.code == code, result
    assert "Traceback" not in result.text, result
    lines = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


class Cli:
    """Runs `netapps` in-process (call) or as the installed console script (sub)."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
        self.tmp = tmp
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.backups = tmp / "backups"
        self.dbs = tmp / "db"
        self.dbs.mkdir()
        self.use_config(write_config(tmp / "netapps.toml", backups=self.backups))
        for app in APPS:
            self.set_url(app, f"sqlite:///{self.dbs / app}.db")

    def use_config(self, path: Path) -> None:
        self.monkeypatch.setenv("NETAPPS_CONFIG", str(path))

    def set_url(self, app: str, url: URL | str) -> None:
        self.monkeypatch.setenv(URL_ENVS[app], url_text(url))

    def url(self, app: str) -> str:
        return os.environ[URL_ENVS[app]]

    def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = main(list(args))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a subprocess: the config and the URLs this test set."""
        urls = {name: os.environ[name] for name in URL_ENVS.values() if name in os.environ}
        return subprocess_env(Path(os.environ["NETAPPS_CONFIG"]), **urls, **extra)

    def run(self, argv: list[str], cwd: Path | None = None, **extra: str) -> Result:
        done = run(argv, env=self.env(**extra), cwd=cwd or self.tmp)
        return Result(done.returncode, done.stdout, done.stderr)

    def sub(self, *args: str) -> Result:
        done = netapps(*args, env=self.env(), cwd=self.tmp)
        return Result(done.returncode, done.stdout, done.stderr)

    def current(self, app: str) -> list[str]:
        result = self("status", app, "--json")
        assert result.code == 0, result
        return list(result.json()[0]["current"])

    def status(self, app: str) -> dict[str, Any]:
        result = self("status", app, "--json")
        assert result.code == 0, result
        return dict(result.json()[0])


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, monkeypatch, capsys)


@pytest.fixture
def sn_copy(cli: Cli) -> Iterator[Path]:
    """ServiceNow's backend copied into tmp, and netapps.toml pointing at the copy."""
    folder = copy_app("servicenow", cli.tmp / "apps")
    cli.use_config(
        write_config(cli.tmp / "copy.toml", backups=cli.backups, folders={"servicenow": folder})
    )
    repo_versions = sorted(
        p.name for p in (APP_FOLDERS["servicenow"] / "alembic/versions").glob("*.py")
    )
    yield folder / "alembic" / "versions"
    after = sorted(p.name for p in (APP_FOLDERS["servicenow"] / "alembic/versions").glob("*.py"))
    assert after == repo_versions, "a command wrote into the repository's ServiceNow folder"


def second_head(
    versions: Path, name: str = f"{SN_NEXT}_other_branch", parent: str = SN_HEAD
) -> Path:
    """A hand-written revision on ``parent``, as a colleague's branch would bring."""
    path = versions / f"{name}.py"
    path.write_text(
        f'"""{name}"""\n\n'
        f'revision = "{name}"\n'
        f'down_revision = "{parent}"\n'
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )
    return path


# -- seeing: apps, status, history ---------------------------------------------------------
def test_apps_lists_every_app_with_masked_url(cli: Cli) -> None:
    cli.set_url("sap", f"postgresql+psycopg://sapuser:{SECRET}@db.example:5432/saperp")
    result = cli("apps", "--json")
    assert result.code == 0, result
    rows = {row["name"]: row for row in result.json()}
    assert list(rows) == list(APPS)
    assert rows["salesforce"]["kind"] == "sql"
    assert {rows[a]["kind"] for a in ("sap", "mulesoft", "servicenow")} == {"alembic"}
    assert rows["sap"]["engine"] == "postgresql"
    assert rows["sap"]["url"] == "postgresql+psycopg://sapuser:***@db.example:5432/saperp"
    assert rows["sap"]["url_source"] == "SAP_DATABASE_URL"
    assert rows["servicenow"]["folder"] == str(APP_FOLDERS["servicenow"])
    assert SECRET not in result.text


def test_apps_table_with_config_outside_the_repository_folder_tree(cli: Cli) -> None:
    # Config in the repository's folder: folders print relative to it.
    cli.use_config(REPO_CONFIG)
    table = cli("apps")
    assert table.code == 0, table
    assert "salesforce" in table.out and "Salesforce" in table.out


def test_apps_table_with_config_elsewhere(cli: Cli) -> None:
    table = cli("apps")
    assert table.code == 0, table
    assert "salesforce" in table.out


def test_apps_env_production_uses_password_env_masked(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAP_DATABASE_URL")
    monkeypatch.setenv("SAP_DB_PASSWORD", SECRET)
    result = cli("--env", "production", "apps", "--json")
    assert result.code == 0, result
    sap = result.json()[0]
    assert sap["engine"] == "postgresql"
    assert sap["url_source"] == "netapps.toml [production]"
    assert "sapuser:***@" in sap["url"]
    assert SECRET not in result.text
    assert_error(cli("--env", "nope", "apps"), 2, "unknown environment 'nope'")


def test_status_of_fresh_databases_is_behind_and_exit_code_flags_it(cli: Cli) -> None:
    result = cli("status", "servicenow", "salesforce", "--json")
    assert result.code == 0, result
    rows = {row["app"]: row for row in result.json()}
    assert rows["servicenow"]["state"] == "behind"
    assert rows["servicenow"]["current"] == []
    assert rows["servicenow"]["pending_revisions"][0] == SN_FIRST
    assert rows["salesforce"]["pending_revisions"] == SF_VERSIONS
    assert rows["salesforce"]["pending"] == len(SF_VERSIONS)
    assert cli("status", "servicenow", "--exit-code").code == 5
    assert not (cli.dbs / "servicenow.db").exists(), "status created the database"
    # App names are case-insensitive, and the guide's names work too.
    assert cli("status", "ServiceNow", "SALESFORCE", "sfdc", "--json").code == 0


def test_history_marks_current_revision(cli: Cli) -> None:
    assert cli("migrate", "salesforce", "--to", "002").code == 0
    result = cli("history", "salesforce", "--json")
    assert result.code == 0, result
    doc = result.json()
    assert doc["current"] == ["002"]
    revs = {r["revision"]: r for r in doc["revisions"]}
    assert [revs[r]["applied"] for r in ("001", "002", "003")] == [True, True, False]
    assert [revs[r]["current"] for r in ("001", "002", "003")] == [False, True, False]
    assert revs["001"]["applied_at"] and revs["003"]["applied_at"] is None
    table = cli("history", "salesforce")
    assert table.code == 0 and "(current)" in table.out


# -- planning and applying -----------------------------------------------------------------
def test_plan_lists_steps_in_order_and_touches_nothing(cli: Cli) -> None:
    result = cli("plan", "salesforce", "servicenow", "--json")
    assert result.code == 0, result
    plans = {p["app"]: p for p in result.json()}
    assert [s["revision"] for s in plans["salesforce"]["steps"]] == SF_VERSIONS
    assert {s["direction"] for s in plans["salesforce"]["steps"]} == {"up"}
    assert plans["servicenow"]["steps"][0]["revision"] == SN_FIRST
    to_002 = cli("plan", "salesforce", "--to", "002", "--json").json()[0]
    assert [s["revision"] for s in to_002["steps"]] == ["001", "002"]
    sql = cli("plan", "servicenow", "--sql")
    assert sql.code == 0, sql
    assert "CREATE TABLE" in sql.out and "incidents" in sql.out
    assert not list(cli.dbs.iterdir()), "plan created a database"


def test_migrate_brings_apps_to_head_and_is_idempotent(cli: Cli) -> None:
    result = cli("migrate", "servicenow", "salesforce", "mulesoft")
    assert result.code == 0, result
    assert "Migration summary" in result.out
    assert f"servicenow ↑ {SN_FIRST}" in result.err  # the progress display
    assert f"salesforce ↑ {SF_HEAD}" in result.err
    status = cli("status", "servicenow", "salesforce", "mulesoft", "--exit-code", "--json")
    assert status.code == 0, status
    for row in status.json():
        assert row["state"] == "up to date"
        assert row["current"] == row["heads"] and row["pending"] == 0
    assert "incidents" in tables(cli.url("servicenow"))
    again = cli("migrate", "servicenow", "salesforce", "--json")
    assert again.code == 0, again
    assert all(r["ok"] and r["steps"] == [] for r in again.json())


def test_migrate_runs_the_others_when_one_app_fails(cli: Cli) -> None:
    cli.set_url("sap", UNREACHABLE)
    result = cli("migrate", "sap", "salesforce", "--json")
    assert result.code == 3, result
    rows = {r["app"]: r for r in result.json()}
    assert not rows["sap"]["ok"] and rows["sap"]["exit_code"] == 3
    assert rows["salesforce"]["ok"] and rows["salesforce"]["to"] == [SF_HEAD]
    assert SECRET not in result.text


def test_upgrade_downgrade_stamp_backups_restore(cli: Cli, db_url: URL, engine: str) -> None:
    cli.set_url("salesforce", db_url)
    up = cli("upgrade", "salesforce", "002", "--json")
    assert up.code == 0, up
    assert up.json()[0]["to"] == ["002"]
    wrong_way = cli("downgrade", "salesforce", SF_HEAD)
    assert_error(wrong_way, 2, "netapps upgrade")
    assert cli.current("salesforce") == ["002"]
    assert cli("upgrade", "salesforce", "head").code == 0
    down = cli("downgrade", "salesforce", "-1", "--json")
    assert down.code == 0, down
    row = down.json()[0]
    assert row["from"] == [SF_HEAD] and row["to"] == [SF_VERSIONS[-2]]
    assert [s["direction"] for s in row["steps"]] == ["down"]
    backup = Path(row["backup"])
    assert backup.is_file() and backup.is_relative_to(cli.backups)
    assert backup.suffix == (".db" if engine == "sqlite" else ".dump")
    listed = cli("backups", "salesforce", "--json")
    assert listed.code == 0, listed
    assert listed.json()[0]["file"] == str(backup)  # newest first
    restored = cli("restore", "salesforce", str(backup), "--yes")
    assert restored.code == 0, restored
    assert cli.current("salesforce") == [SF_HEAD]
    # stamp records a revision without running anything
    stamped = cli("stamp", "salesforce", "001", "--json")
    assert stamped.code == 0 and stamped.json()["stamped"] == "001"
    assert cli.status("salesforce")["state"] == "behind"
    assert "cases" in tables(db_url)  # the tables of 002/003 are still there
    assert cli("stamp", "salesforce", "head").code == 0
    assert cli("downgrade", "salesforce", "base").code == 0
    assert cli.current("salesforce") == []
    assert "accounts" not in tables(db_url)


def test_restore_asks_for_confirmation(cli: Cli) -> None:
    assert cli("migrate", "salesforce").code == 0
    assert cli("downgrade", "salesforce", "-1").code == 0
    backup = cli("backups", "salesforce", "--json").json()[0]["file"]
    refused = cli.sub("restore", "salesforce", backup)  # stdin is not a terminal
    assert_error(refused, 2, "--yes")
    assert cli.current("salesforce") == [SF_VERSIONS[-2]]
    assert_error(
        cli("restore", "salesforce", str(cli.tmp / "nope.db"), "--yes"), 2, "netapps backups"
    )
    assert "no backups" in cli("backups", "servicenow").out


# -- SAP on PostgreSQL -------------------------------------------------------------------
def test_sap_postgresql_plan_migrate_status_downgrade_stamp(cli: Cli, pg_database: URL) -> None:
    cli.set_url("sap", pg_database)
    plan = cli("plan", "sap", "--sql")
    assert plan.code == 0, plan
    assert "CREATE SCHEMA" in plan.out and "CREATE TABLE" in plan.out
    assert tables(pg_database) == set(), "plan --sql changed the database"
    result = cli("migrate", "sap", "--json")
    assert result.code == 0, result
    row = result.json()[0]
    assert row["ok"] and row["to"] == cli.status("sap")["heads"]
    assert "core.tickets" in tables(pg_database)
    assert cli("status", "sap", "--exit-code").code == 0
    head = cli.current("sap")
    down = cli("downgrade", "sap", "-1", "--json")
    assert down.code == 0, down
    assert down.json()[0]["backup"].endswith(".dump")
    assert Path(down.json()[0]["backup"]).is_relative_to(cli.backups)
    assert cli.status("sap")["pending"] == 1
    assert cli("stamp", "sap", "005", "--json").json()["stamped"].startswith("005_")
    assert cli.status("sap")["pending"] == len(cli.status("sap")["pending_revisions"]) > 1
    assert cli("stamp", "sap", "head").code == 0
    assert cli.current("sap") == head


# -- revision and merge, in a copy -------------------------------------------------------
def test_revision_creates_next_file_in_the_app_folder(cli: Cli, sn_copy: Path) -> None:
    result = cli("revision", "servicenow", "-m", "add widgets", "--json")
    assert result.code == 0, result
    files = [Path(f) for f in result.json()["files"]]
    assert [f.name for f in files] == [f"{SN_NEXT}_add_widgets.py"]
    assert files[0].parent == sn_copy
    assert "down_revision" in files[0].read_text() and SN_HEAD in files[0].read_text()
    assert cli.status("servicenow")["heads"] == [f"{SN_NEXT}_add_widgets"]


def test_revision_autogenerate_when_models_match(cli: Cli, sn_copy: Path) -> None:
    assert cli("migrate", "servicenow").code == 0
    result = cli("revision", "servicenow", "-m", "nothing new", "--autogenerate", "--json")
    assert result.code == 0, result
    (path,) = (Path(f) for f in result.json()["files"])
    assert path.parent == sn_copy and "def upgrade" in path.read_text()


def test_sql_app_revision_pair_and_merge_refused(cli: Cli) -> None:
    folder = copy_app("salesforce", cli.tmp / "apps")
    cli.use_config(
        write_config(cli.tmp / "sf.toml", backups=cli.backups, folders={"salesforce": folder})
    )
    result = cli("revision", "salesforce", "-m", "add foo", "--json")
    assert result.code == 0, result
    names = sorted(Path(f).name for f in result.json()["files"])
    following = f"{int(SF_HEAD) + 1:03d}"
    assert names == [f"{following}_add_foo.down.sql", f"{following}_add_foo.up.sql"]
    assert all(Path(f).parent == folder / "migrations" for f in result.json()["files"])
    assert_error(cli("merge", "salesforce"), 2, "salesforce")
    assert_error(cli("revision", "salesforce", "-m", "x", "--autogenerate"), 2, "salesforce")


def test_multiple_heads_then_merge(cli: Cli, sn_copy: Path) -> None:
    assert cli("migrate", "servicenow").code == 0
    assert cli("revision", "servicenow", "-m", "add widgets").code == 0
    second_head(sn_copy)
    status = cli.status("servicenow")
    assert status["state"] == "multiple heads"
    assert sorted(status["heads"]) == [f"{SN_NEXT}_add_widgets", f"{SN_NEXT}_other_branch"]
    before = sorted(tables(cli.url("servicenow")))
    migrate = cli("migrate", "servicenow")
    line = assert_error(
        migrate, 2, f"{SN_NEXT}_add_widgets", f"{SN_NEXT}_other_branch", "netapps merge servicenow"
    )
    assert "multiple heads" in line
    assert cli.current("servicenow") == [SN_HEAD]
    assert sorted(tables(cli.url("servicenow"))) == before
    check = cli("check", "servicenow", "--json")
    assert check.code == 5
    assert any("multiple heads" in f["finding"] for f in check.json()["findings"])
    merged = cli("merge", "servicenow", "-m", "join branches", "--json")
    assert merged.code == 0, merged
    assert Path(merged.json()["file"]).parent == sn_copy
    assert len(cli.status("servicenow")["heads"]) == 1
    assert cli("migrate", "servicenow").code == 0
    assert cli("status", "servicenow", "--exit-code").code == 0


def test_refused_migrate_reports_the_real_current_revision(cli: Cli, sn_copy: Path) -> None:
    assert cli("migrate", "servicenow").code == 0
    second_head(sn_copy, f"{SN_NEXT}_a")
    second_head(sn_copy, f"{SN_NEXT}_b")
    result = cli("migrate", "servicenow", "--json")
    assert result.code == 2
    assert result.json()[0]["from"] == [SN_HEAD]


# -- checking, adopting, repairing -----------------------------------------------------------
def test_check_reports_pending_and_passes_at_head(cli: Cli) -> None:
    result = cli("check", "servicenow", "salesforce", "--json")
    assert result.code == 5, result
    findings = result.json()["findings"]
    assert {f["app"] for f in findings} == {"servicenow", "salesforce"}
    assert all("pending" in f["finding"] and f["fix"] for f in findings)
    assert cli("check", "servicenow", "salesforce", "--allow-pending").code == 0
    assert cli("migrate", "servicenow", "salesforce").code == 0
    ok = cli("check", "servicenow", "salesforce")
    assert ok.code == 0 and "all checks passed" in ok.out


def test_unversioned_tables_suggest_adopt_and_adopt_stamps_when_they_match(
    cli: Cli, db_url: URL
) -> None:
    cli.set_url("servicenow", db_url)
    assert cli("migrate", "servicenow").code == 0
    execute(db_url, "DROP TABLE alembic_version", "DROP TABLE netapps_migration_log")
    assert cli.status("servicenow")["state"] == "unversioned with tables present"
    before = tables(db_url)
    assert_error(cli("migrate", "servicenow"), 5, "netapps adopt servicenow")
    assert tables(db_url) == before, "migrate changed an unversioned database"
    adopted = cli("adopt", "servicenow", "--json")
    assert adopted.code == 0, adopted
    assert adopted.json() == {"app": "servicenow", "adopted": True, "differences": []}
    assert cli("status", "servicenow", "--exit-code").code == 0


def test_adopt_refuses_tables_that_differ(cli: Cli) -> None:
    execute(cli.url("servicenow"), "CREATE TABLE foo (id INTEGER PRIMARY KEY)")
    result = cli("adopt", "servicenow", "--json")
    assert result.code == 5, result
    doc = result.json()
    assert doc["adopted"] is False
    assert "remove table: foo" in doc["differences"]
    assert "add table: incidents" in doc["differences"]
    assert tables(cli.url("servicenow")) == {"foo"}, "adopt stamped or changed something"
    assert "nothing stamped" in cli("adopt", "servicenow").out


def test_repair_accepts_an_edited_migration_file(cli: Cli, sn_copy: Path) -> None:
    assert cli("migrate", "servicenow").code == 0
    first = sn_copy / f"{SN_FIRST}.py"
    first.write_text(first.read_text() + "\n# reviewed\n")
    assert cli.status("servicenow")["edited"] == [first.name]
    check = cli("check", "servicenow", "--json")
    assert check.code == 5
    assert any("repair" in f["fix"] for f in check.json()["findings"])
    repaired = cli("repair", "servicenow", "--json")
    assert repaired.code == 0 and len(repaired.json()["accepted"]) == 1
    assert cli("check", "servicenow").code == 0
    assert "nothing to repair" in cli("repair", "servicenow").out


# -- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["status", "nope"],
        ["history", "nope"],
        ["plan", "nope"],
        ["migrate", "nope"],
        ["downgrade", "nope", "-1"],
        ["stamp", "nope", "head"],
        ["check", "nope"],
        ["backups", "nope"],
    ],
)
def test_unknown_app(cli: Cli, args: list[str]) -> None:
    assert_error(cli(*args), 2, "unknown app 'nope'", "salesforce")
    assert not list(cli.dbs.iterdir())


def test_unknown_command_is_usage_error(cli: Cli) -> None:
    result = cli("frob")
    assert result.code == 2 and "No such command" in result.err
    assert cli().code == 2  # no command: help, exit 2


def test_unknown_ambiguous_and_below_base_revisions_change_nothing(cli: Cli, db_url: URL) -> None:
    cli.set_url("salesforce", db_url)
    assert cli("migrate", "salesforce", "--to", "001").code == 0
    before = tables(db_url)
    assert_error(cli("upgrade", "salesforce", "9zz"), 2, "unknown revision '9zz'")
    assert_error(cli("migrate", "salesforce", "--to", "9zz"), 2, "9zz")
    assert_error(cli("plan", "salesforce", "--to", "00"), 2, "ambiguous", "001", "002")
    assert_error(cli("stamp", "salesforce", "00"), 2, "ambiguous")
    assert_error(cli("downgrade", "salesforce", "-2"), 2, "below base")
    assert cli.current("salesforce") == ["001"]
    assert tables(db_url) == before
    assert not cli.backups.exists(), "a refused command made a backup"


@pytest.mark.parametrize("bad", ["not a url", "sqlite://"])
def test_malformed_url(cli: Cli, bad: str) -> None:
    cli.set_url("salesforce", bad)
    assert_error(cli("migrate", "salesforce"), 2, "salesforce", "SALESFORCE_DATABASE_URL")
    assert_error(cli("status", "salesforce"), 2, "salesforce")


def test_malformed_url_with_bad_port(cli: Cli) -> None:
    cli.set_url("sap", f"postgresql+psycopg://u:{SECRET}@127.0.0.1:abc/x")
    result = cli("migrate", "sap")
    assert_error(result, 2, "sap", "cannot parse")
    assert SECRET not in result.text


def test_unknown_dialect_is_a_usage_error(cli: Cli) -> None:
    cli.set_url("sap", f"postgres://u:{SECRET}@127.0.0.1:1/x")
    result = cli("migrate", "sap")
    line = assert_error(result, 2, "sap")
    assert "pip install postgres" not in line


@pytest.mark.skipif(importlib.util.find_spec("pg8000") is not None, reason="pg8000 is installed")
def test_missing_driver_names_the_package(cli: Cli) -> None:
    cli.set_url("salesforce", f"postgresql+pg8000://u:{SECRET}@127.0.0.1/x")
    result = cli("migrate", "salesforce")
    assert_error(result, 3, "salesforce", "pg8000", "pip install pg8000", "u:***@")
    assert SECRET not in result.text
    status = cli("status", "salesforce", "--exit-code", "--json")
    assert status.code == 3 and status.json()[0]["state"] == "unreachable"


def test_unreachable_database_names_app_and_masked_url(cli: Cli) -> None:
    cli.set_url("sap", UNREACHABLE)
    masked = "postgresql+psycopg://u:***@127.0.0.1:1/x"
    for args in (
        ["migrate", "sap"],
        ["plan", "sap"],
        ["downgrade", "sap", "-1"],
        ["stamp", "sap", "head"],
    ):
        result = cli(*args)
        assert_error(result, 3, "sap", masked)
        assert SECRET not in result.text
    status = cli("status", "sap", "--exit-code", "--json")
    assert status.code == 3
    assert status.json()[0]["state"] == "unreachable" and masked in status.json()[0]["error"]
    assert SECRET not in status.text
    # "Could not tell" is never exit 0, with or without --exit-code (as `alembic current`).
    assert cli("status", "sap").code == 3
    assert not cli.backups.exists()


def test_history_of_unreachable_database_says_so(cli: Cli) -> None:
    cli.set_url("sap", UNREACHABLE)
    result = cli("history", "sap", "--json")
    assert result.code == 3 or result.json().get("error"), result


def test_sqlite_folder_that_does_not_exist(cli: Cli) -> None:
    missing = cli.tmp / "no" / "such" / "folder"
    cli.set_url("servicenow", f"sqlite:///{missing}/sn.db")
    assert_error(cli("migrate", "servicenow"), 3, "servicenow", str(missing))
    assert_error(cli("plan", "servicenow"), 3, "does not exist")
    assert not (cli.tmp / "no").exists()


def test_migration_file_that_does_not_import(cli: Cli, sn_copy: Path) -> None:
    bad = sn_copy / "002_broken.py"
    bad.write_text(
        f'revision = "002_broken"\ndown_revision = "{SN_FIRST}"\n\ndef upgrade(:\n    pass\n'
    )
    for args in (["migrate", "servicenow"], ["plan", "servicenow"], ["history", "servicenow"]):
        assert_error(cli(*args), 2, f"{bad}:4")
    assert not (cli.dbs / "servicenow.db").exists()
    result = cli("status", "servicenow", "--json")
    assert result.code == 2  # could not tell: never exit 0
    status = result.json()[0]
    assert status["state"] == "error" and f"{bad}:4" in status["error"]
    debug = cli("--debug", "plan", "servicenow")
    assert debug.code == 2 and "Traceback" in debug.err and f"{bad}:4" in debug.err


def test_migration_file_that_parses_but_does_not_import(cli: Cli, sn_copy: Path) -> None:
    bad = sn_copy / f"{SN_NEXT}_imports.py"
    bad.write_text(
        '"""imports a missing module"""\n'
        "import does_not_exist_zz\n\n"
        f'revision = "{SN_NEXT}_imports"\ndown_revision = "{SN_HEAD}"\n\n\n'
        "def upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )
    result = cli("migrate", "servicenow")
    assert cli.current("servicenow") == []  # nothing changed (this part holds today)
    assert_error(result, 2, f"{SN_NEXT}_imports.py:2", "does_not_exist_zz")


def test_plan_header_names_the_environment(cli: Cli) -> None:
    result = cli("plan", "salesforce")
    assert result.code == 0
    assert "Salesforce [dev]" in result.out


# -- through the installed console script and the guide's scripts ------------------------
def test_console_script(cli: Cli) -> None:
    apps = cli.sub("apps", "--json")
    assert apps.code == 0, apps
    assert [a["name"] for a in json.loads(apps.out)] == list(APPS)
    assert_error(cli.sub("status", "nope"), 2, "unknown app 'nope'")
    migrated = cli.sub("migrate", "salesforce", "servicenow", "--json")
    assert migrated.code == 0, migrated
    assert all(r["ok"] for r in json.loads(migrated.out))
    status = cli.sub("status", "salesforce", "servicenow", "--exit-code")
    assert status.code == 0 and "up to date" in status.out
    assert_error(cli.sub("downgrade", "salesforce", "9zz"), 2, "unknown revision")
    cli.set_url("sap", UNREACHABLE)
    unreachable = cli.sub("migrate", "sap")
    assert_error(unreachable, 3, "u:***@127.0.0.1:1")
    assert SECRET not in unreachable.text
    check = cli.sub("check", "salesforce", "servicenow")
    assert check.code == 0, check


def test_console_script_postgresql(cli: Cli, pg_database: URL) -> None:
    cli.set_url("sap", pg_database)
    behind = cli.sub("status", "sap", "--exit-code", "--json")
    assert behind.code == 5 and json.loads(behind.out)[0]["state"] == "behind"
    migrated = cli.sub("migrate", "sap", "--no-backup")
    assert migrated.code == 0, migrated
    assert cli.sub("status", "sap", "--exit-code").code == 0
    assert_error(cli.sub("upgrade", "sap", "00"), 2, "ambiguous")


def test_console_script_debug_shows_traceback(cli: Cli, sn_copy: Path) -> None:
    (sn_copy / "002_broken.py").write_text(
        f"revision = '002_broken'\ndown_revision = '{SN_FIRST}'\nthis is (not python\n"
    )
    plain = cli.sub("plan", "servicenow")
    assert_error(plain, 2, "002_broken.py:3")
    debug = cli.sub("--debug", "plan", "servicenow")
    assert debug.code == 2 and "Traceback" in debug.err


def python3() -> str:
    return shutil.which("python3") or sys.executable


def test_run_migrations_in_an_app_folder(cli: Cli) -> None:
    db = cli.dbs / "from_database_url.db"
    result = cli.run(
        [python3(), "run_migrations.py"],
        cwd=APP_FOLDERS["servicenow"],
        DATABASE_URL=f"sqlite:///{db}",
    )
    assert result.code == 0, result
    assert "Traceback" not in result.text
    assert "incidents" in tables(f"sqlite:///{db}")
    assert not (cli.dbs / "servicenow.db").exists(), "DATABASE_URL was not the one used"


def test_run_all_migrations_at_the_root(cli: Cli) -> None:
    repo_dbs = sorted(str(p) for f in APP_FOLDERS.values() for p in f.glob("*.db"))
    result = cli.run([python3(), "run_all_migrations.py"], cwd=REPO)
    assert result.code == 0, result
    for app in APPS:
        path = cli.dbs / f"{app}.db"
        assert path.is_file(), app
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    status = cli("status", "--exit-code", "--json")
    assert status.code == 0, status
    assert sorted(str(p) for f in APP_FOLDERS.values() for p in f.glob("*.db")) == repo_dbs


def test_migrate_to_a_lower_revision_says_it_is_a_downgrade_and_needs_yes(
    cli: Cli, db_url: URL
) -> None:
    """`migrate --to REV` below the current revision is a downgrade: it says so, how many
    revisions and which of them drop data, and without a terminal to ask on it needs --yes
    (exit 2, nothing changed); with --yes it goes down, a backup made first."""
    cli.set_url("salesforce", db_url)
    assert cli("migrate", "salesforce").code == 0
    refused = cli("migrate", "salesforce", "--to", "001")
    assert_error(refused, 2, "--yes", "netapps downgrade salesforce 001")
    said = refused.err
    assert f"downgrade of {len(SF_VERSIONS) - 1} revisions" in said, said
    steps = cli("plan", "salesforce", "--to", "001", "--json").json()[0]["steps"]
    dropping = [s["revision"] for s in steps if s["destructive"]]
    assert dropping and all(revision in said for revision in dropping), said
    assert cli.current("salesforce") == [SF_HEAD]
    json_refused = cli("migrate", "salesforce", "--to", "001", "--json")
    assert json_refused.code == 2 and cli.current("salesforce") == [SF_HEAD]
    done = cli("migrate", "salesforce", "--to", "001", "--yes", "--json")
    assert done.code == 0, done
    assert done.json()[0]["backup"] and cli.current("salesforce") == ["001"]
    # Up again needs no confirmation, as before.
    assert cli("migrate", "salesforce", "--to", SF_HEAD).code == 0
