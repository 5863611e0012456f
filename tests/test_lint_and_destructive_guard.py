"""netapps reads the SQL a migration will run (netapps.analysis): `lint`, `check` and `plan`
show what it locks, and the destructive guard refuses in production what would destroy data,
however the migration's Python spells it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import APP_FOLDERS, copy_app, write_config

from netapps.cli import main

FIRST = "001_initial_migration"

# Three shapes that a regular expression over the Python source did not see.
NARROWING = f'''"""shorten category names"""
import sqlalchemy as sa
from alembic import op

revision = "002_narrow"
down_revision = "{FIRST}"


def upgrade() -> None:
    op.alter_column(
        "users",
        "full_name",
        existing_type=sa.String(length=255),
        type_=sa.String(length=3),
        postgresql_using="left(full_name, 3)",
    )


def downgrade() -> None:
    pass
'''

RAW_TYPE_CHANGE = f'''"""raw ALTER COLUMN TYPE"""
from alembic import op

revision = "002_raw_type"
down_revision = "{FIRST}"


def upgrade() -> None:
    op.execute("ALTER TABLE users ALTER COLUMN full_name TYPE varchar(3)")


def downgrade() -> None:
    pass
'''

SPLIT_DROP = f'''"""a DROP TABLE over several lines"""
from alembic import op

revision = "002_split_drop"
down_revision = "{FIRST}"


def upgrade() -> None:
    op.execute(
        """
        DROP
            TABLE
        users
        """
    )


def downgrade() -> None:
    pass
'''

UNSAFE_INDEX = f'''"""index users by full name"""
from alembic import op

revision = "002_index_full_name"
down_revision = "{FIRST}"


def upgrade() -> None:
    op.create_index("ix_users_full_name", "users", ["full_name"])


def downgrade() -> None:
    op.drop_index("ix_users_full_name", table_name="users")
'''


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def servicenow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ServiceNow's folder copied into tmp, migrated to 001 on SQLite; its versions folder."""
    folder = copy_app("servicenow", tmp_path / "apps")
    url = f"sqlite:///{tmp_path / 'servicenow.db'}"
    config = write_config(
        tmp_path / "netapps.toml",
        ["servicenow"],
        backups=tmp_path / "b",
        folders={"servicenow": folder},
        urls={"servicenow": url},
    )
    monkeypatch.setenv("NETAPPS_CONFIG", str(config))
    assert main(["migrate", "servicenow"]) == 0
    return folder / "alembic" / "versions"


@pytest.mark.parametrize(
    ("name", "body"),
    [("002_narrow", NARROWING), ("002_raw_type", RAW_TYPE_CHANGE), ("002_split_drop", SPLIT_DROP)],
)
def test_destructive_sql_is_refused_in_production_however_it_is_written(
    servicenow: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    body: str,
) -> None:
    (servicenow / f"{name}.py").write_text(body)
    code, out, err = run(capsys, "plan", "servicenow", "--json")
    assert code == 0, err
    step = json.loads(out)[0]["steps"][0]
    assert step["revision"] == name and step["destructive"], step
    monkeypatch.setenv("NETAPPS_ENV", "production")
    code, _out, err = run(capsys, "migrate", "servicenow")
    assert code == 2 and f"{name} (up)" in err and "--allow-destructive" in err, err
    code, out, _err = run(capsys, "status", "servicenow", "--json")
    assert json.loads(out)[0]["current"] == [FIRST]  # nothing ran


def test_widening_is_not_destructive(
    servicenow: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (servicenow / "002_widen.py").write_text(
        NARROWING.replace("002_narrow", "002_widen")
        .replace("length=3", "length=300")
        .replace('        postgresql_using="left(full_name, 3)",\n', "")
    )
    code, out, err = run(capsys, "plan", "servicenow", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["steps"][0]["destructive"] == []


def test_lint_check_and_plan_flag_a_lock_hazard_with_its_recipe(
    servicenow: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "lint", "servicenow", "--json")
    assert code == 0 and json.loads(out)[0]["new"] == [], (out, err)
    (servicenow / "002_index_full_name.py").write_text(UNSAFE_INDEX)
    code, out, _err = run(capsys, "lint", "servicenow", "--json")
    assert code == 5
    finding = json.loads(out)[0]["new"][0]
    assert finding["rule"] == "create-index-non-concurrently"
    assert finding["lock"] == "SHARE" and "CONCURRENTLY" in finding["recipe"]
    code, out, _err = run(capsys, "lint", "servicenow")
    assert code == 5 and "safe recipe:" in out and "002_index_full_name" in out
    code, out, _err = run(capsys, "check", "servicenow", "--allow-pending", "--json")
    assert code == 5
    assert any("create-index-non-concurrently" in f["finding"] for f in json.loads(out)["findings"])
    code, out, _err = run(capsys, "plan", "servicenow")
    assert code == 0 and "locks:" in out and "create-index-non-concurrently" in out


def test_the_repository_lints_clean_against_its_baselines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "netapps.toml", backups=tmp_path / "b")
    monkeypatch.setenv("NETAPPS_CONFIG", str(config))
    code, out, err = run(capsys, "lint", "--json")
    assert code == 0, (out, err)
    reports = {r["app"]: r for r in json.loads(out)}
    assert set(reports) == set(APP_FOLDERS)
    assert all(r["stale_baseline_entries"] == [] for r in reports.values())
    assert reports["salesforce"]["acknowledged"]  # 002/003's index builds, reviewed
