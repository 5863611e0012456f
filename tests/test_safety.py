"""Migrations that never half-apply, never race and never lose data (issue 4's properties),
proved against real SQLite files and a real PostgreSQL, through the installed `netapps`."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL
from support import (
    APP_FOLDERS,
    connect,
    copy_app,
    netapps,
    start_netapps,
    subprocess_env,
    tables,
    write_config,
)

FIXTURE_ENV = """\
import sqlalchemy as sa

from netapps.runtime.env import run_alembic_env

metadata = sa.MetaData()
sa.Table("t1", metadata, sa.Column("id", sa.Integer, primary_key=True))
sa.Table(
    "t2",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("x", sa.Integer),
    sa.Index("ix_t2_x", "x"),
)
run_alembic_env(metadata)
"""

REVISION_1 = '''\
"""create t1"""

import sqlalchemy as sa
from alembic import op

revision = "001_create_t1"
down_revision = None


def upgrade() -> None:
    op.create_table("t1", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("t1")
'''

# Creates a table and an index, then (when asked) fails or stalls: what a crash half-way
# through a real migration looks like.
REVISION_2 = '''\
"""create t2, then fail or stall when asked"""

import os
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "002_create_t2"
down_revision = "001_create_t1"


def upgrade() -> None:
    op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Integer))
    op.create_index("ix_t2_x", "t2", ["x"])
    if os.environ.get("FIXTURE_FAIL") == "1":
        raise RuntimeError("fixture migration fails half-way")
    if os.environ.get("FIXTURE_STALL"):
        Path(os.environ["FIXTURE_STALL"]).write_text("in the middle")
        time.sleep(120)


def downgrade() -> None:
    op.drop_index("ix_t2_x", "t2")
    op.drop_table("t2")
'''


def fixture_app(tmp_path: Path, url: URL) -> dict[str, str]:
    """A tiny Alembic app whose second migration can fail or stall; the env to run it."""
    folder = tmp_path / "fixture_app"
    versions = folder / "alembic" / "versions"
    versions.mkdir(parents=True)
    ini = (APP_FOLDERS["servicenow"] / "alembic.ini").read_text()
    (folder / "alembic.ini").write_text(ini)
    (folder / "alembic" / "env.py").write_text(FIXTURE_ENV)
    (folder / "alembic" / "script.py.mako").write_text(
        (APP_FOLDERS["servicenow"] / "alembic" / "script.py.mako").read_text()
    )
    (versions / "001_create_t1.py").write_text(REVISION_1)
    (versions / "002_create_t2.py").write_text(REVISION_2)
    config = write_config(tmp_path / "netapps.toml", ["fixture"], folders={"fixture": folder})
    return subprocess_env(config, FIXTURE_DATABASE_URL=url.render_as_string(False))


def versions(url: URL) -> set[str]:
    with connect(url) as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}


def ledger(url: URL, app: str) -> list[tuple[str, str]]:
    with connect(url) as conn:
        if not inspect(conn).has_table("netapps_migration_log"):
            return []
        rows = conn.execute(
            text(
                "SELECT revision, direction FROM netapps_migration_log WHERE app = :a ORDER BY id"
            ),
            {"a": app},
        )
        return [(r[0], r[1]) for r in rows]


# -- 1. one migrator per database ----------------------------------------------------------
def test_eight_migrators_at_once_apply_each_migration_once(db_url: URL, tmp_path: Path) -> None:
    config = write_config(tmp_path / "netapps.toml", ["sap"])
    env = subprocess_env(config, SAP_DATABASE_URL=db_url.render_as_string(False))
    migrators = [
        start_netapps("migrate", "sap", "--json", "--lock-timeout", "120", env=env, capture=True)
        for _ in range(8)
    ]
    outcomes = [(m.wait(timeout=180), *m.communicate()) for m in migrators]
    for code, out, err in outcomes:
        assert code == 0, out + err
    steps = [len(json.loads(out)[0]["steps"]) for _code, out, _err in outcomes]
    revisions = sorted(p.stem for p in (APP_FOLDERS["sap"] / "alembic" / "versions").glob("*.py"))
    assert sorted(steps, reverse=True)[0] == len(revisions)
    assert sum(steps) == len(revisions), "some migration ran more than once"
    assert ledger(db_url, "sap") == [(rev, "up") for rev in revisions]
    assert versions(db_url) == {revisions[-1]}


def test_waiting_migrator_times_out_naming_the_holder(tmp_path: Path) -> None:
    url = URL.create("sqlite", database=str(tmp_path / "db.sqlite"))
    env = fixture_app(tmp_path, url)
    assert netapps("migrate", "fixture", "--to", "001_create_t1", env=env).returncode == 0
    marker = tmp_path / "stalled"
    holder = start_netapps("migrate", "fixture", env={**env, "FIXTURE_STALL": str(marker)})
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, "the stalling migration never started"
            time.sleep(0.05)
        waiter = netapps("migrate", "fixture", "--lock-timeout", "1", env=env)
        assert waiter.returncode == 6, waiter.stdout + waiter.stderr
        assert "holds the migration lock" in waiter.stderr and "pid" in waiter.stderr
        # Looking takes no lock: status answers while the migrator holds it.
        assert netapps("status", "fixture", env=env).returncode == 0
    finally:
        holder.kill()
        holder.wait()


# -- 2. all or nothing per migration --------------------------------------------------------
def test_failed_migration_leaves_previous_revision_and_no_partial_objects(
    db_url: URL, tmp_path: Path
) -> None:
    env = fixture_app(tmp_path, db_url)
    done = netapps("migrate", "fixture", env={**env, "FIXTURE_FAIL": "1"})
    assert done.returncode == 4, done.stdout + done.stderr
    assert "fixture migration fails half-way" in done.stderr
    assert "Traceback" not in done.stderr
    assert versions(db_url) == {"001_create_t1"}
    assert "t2" not in tables(db_url), "the failed migration left its table behind"
    assert ledger(db_url, "fixture") == [("001_create_t1", "up")], (
        "the ledger recorded a failure as success"
    )
    done = netapps("migrate", "fixture", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert versions(db_url) == {"002_create_t2"}


def test_sigkill_in_the_middle_then_rerun_reaches_head(db_url: URL, tmp_path: Path) -> None:
    env = fixture_app(tmp_path, db_url)
    marker = tmp_path / "stalled"
    victim = start_netapps("migrate", "fixture", env={**env, "FIXTURE_STALL": str(marker)})
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert victim.poll() is None and time.monotonic() < deadline, (
            "never reached the slow migration"
        )
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert "t2" not in tables(db_url)
    assert versions(db_url) == {"001_create_t1"}
    done = netapps("migrate", "fixture", "--lock-timeout", "60", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert versions(db_url) == {"002_create_t2"}
    assert [d for _r, d in ledger(db_url, "fixture")] == ["up", "up"]


# -- 4. edited migrations caught ------------------------------------------------------------
def test_edited_applied_migration_is_refused_until_repaired(tmp_path: Path) -> None:
    url = URL.create("sqlite", database=str(tmp_path / "db.sqlite"))
    env = fixture_app(tmp_path, url)
    assert netapps("migrate", "fixture", env=env).returncode == 0
    first = tmp_path / "fixture_app" / "alembic" / "versions" / "001_create_t1.py"
    first.write_text(first.read_text() + "\n# edited after it ran\n")
    for args in (("migrate", "fixture"), ("check", "fixture")):
        done = netapps(*args, env=env)
        assert done.returncode == 5, done.stdout + done.stderr
        assert "001_create_t1.py" in done.stdout + done.stderr
        assert "repair" in done.stdout + done.stderr
    status = json.loads(netapps("status", "fixture", "--json", env=env).stdout)
    assert status[0]["edited"] == ["001_create_t1.py"]
    repaired = netapps("repair", "fixture", env=env)
    assert repaired.returncode == 0 and "001_create_t1.py" in repaired.stdout
    assert netapps("migrate", "fixture", env=env).returncode == 0
    assert netapps("check", "fixture", env=env).returncode == 0


# -- 5. backups -----------------------------------------------------------------------------
def test_backup_restores_schema_and_data_and_noop_makes_none(db_url: URL, tmp_path: Path) -> None:
    config = write_config(tmp_path / "netapps.toml", ["sap"])
    env = subprocess_env(config, SAP_DATABASE_URL=db_url.render_as_string(False))
    assert netapps("migrate", "sap", "--to", "005_create_fi_tables", env=env).returncode == 0
    assert not (tmp_path / "backups" / "sap").exists() or not any(
        (tmp_path / "backups" / "sap").iterdir()
    ), "an empty database needs no backup"
    schema_name = None if db_url.get_backend_name() == "sqlite" else "pm"
    with connect(db_url) as conn, conn.begin():
        conn.execute(
            text(
                f"INSERT INTO {schema_name + '.' if schema_name else ''}assets "
                "(asset_id, asset_type, name, location, status) "
                "VALUES ('USER-1', 'feeder', 'mine', 'here', 'operational')"
            )
        )
    before = tables(db_url)
    done = netapps("migrate", "sap", "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    backup = json.loads(done.stdout)[0]["backup"]
    assert backup and Path(backup).is_file()
    assert oct(Path(backup).stat().st_mode & 0o777) == "0o600"
    listed = netapps("backups", "sap", "--json", env=env)
    assert [b["file"] for b in json.loads(listed.stdout)] == [backup]

    again = netapps("migrate", "sap", "--json", env=env)
    assert json.loads(again.stdout)[0]["backup"] is None
    assert len(json.loads(netapps("backups", "sap", "--json", env=env).stdout)) == 1

    refused = netapps("restore", "sap", backup, env=env)  # no --yes and no terminal: refuses
    assert refused.returncode == 2 and versions(db_url) != {"005_create_fi_tables"}
    restored = netapps("restore", "sap", backup, "--yes", env=env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert versions(db_url) == {"005_create_fi_tables"}
    assert tables(db_url) == before
    with connect(db_url) as conn:
        names = (
            conn.execute(
                text(
                    f"SELECT name FROM {schema_name + '.' if schema_name else ''}assets "
                    "WHERE asset_id = 'USER-1'"
                )
            )
            .scalars()
            .all()
        )
    assert names == ["mine"]


# -- 7. secrets -----------------------------------------------------------------------------
def test_password_never_printed(pg_database: URL, tmp_path: Path) -> None:
    secret = "Sup3r-Secret-pw"
    url = pg_database.set(password=secret)  # the test server trusts: any password connects
    config = write_config(tmp_path / "netapps.toml", ["sap"])
    env = subprocess_env(config, SAP_DATABASE_URL=url.render_as_string(False))
    outputs = []
    for args in (
        ("apps",),
        ("apps", "--json"),
        ("plan", "sap"),
        ("migrate", "sap", "--to", "002"),
        ("migrate", "sap"),
        ("status",),
        ("status", "--json"),
        ("history", "sap"),
        ("check", "sap"),
        ("downgrade", "sap", "-1"),
        ("plan", "sap", "--sql"),
    ):
        done = netapps(*args, env=env)
        outputs.append(done.stdout + done.stderr)
    wrong = url.set(port=1)
    done = netapps("status", "sap", env={**env, "SAP_DATABASE_URL": wrong.render_as_string(False)})
    outputs.append(done.stdout + done.stderr)
    assert all(secret not in output for output in outputs)
    assert any("***" in output for output in outputs)


# -- 6. destructive changes flagged ---------------------------------------------------------
def test_destructive_migrations_flagged_and_refused_in_production(tmp_path: Path) -> None:
    url = URL.create("sqlite", database=str(tmp_path / "db.sqlite"))
    env = fixture_app(tmp_path, url)
    assert netapps("migrate", "fixture", env=env).returncode == 0
    plan = netapps("plan", "fixture", "--to", "base", "--json", env=env)
    steps = json.loads(plan.stdout)[0]["steps"]
    assert all(step["destructive"] for step in steps), steps  # both downgrades drop a table
    production = {**env, "NETAPPS_ENV": "production"}
    refused = netapps("downgrade", "fixture", "base", env=production)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--allow-destructive" in refused.stderr and "Traceback" not in refused.stderr
    assert versions(url) == {"002_create_t2"}, "a refused migration changed the database"
    assert netapps("downgrade", "fixture", "-1", env=env).returncode == 0  # dev: allowed
    allowed = netapps("downgrade", "fixture", "base", "--allow-destructive", env=production)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert versions(url) == set()


def test_edited_sql_migration_refused_then_repaired(tmp_path: Path) -> None:
    folder = copy_app("salesforce", tmp_path)
    config = write_config(tmp_path / "netapps.toml", ["salesforce"], folders={"salesforce": folder})
    env = subprocess_env(config, SALESFORCE_DATABASE_URL=f"sqlite:///{tmp_path}/sf.db")
    assert netapps("migrate", "salesforce", "--to", "002", env=env).returncode == 0
    first = next((folder / "migrations").glob("001_*.up.sqlite.sql"))
    first.write_text(first.read_text() + "\n-- edited after it ran\n")
    refused = netapps("migrate", "salesforce", env=env)
    assert refused.returncode == 5 and first.name in refused.stderr
    assert netapps("repair", "salesforce", env=env).returncode == 0
    done = netapps("migrate", "salesforce", env=env)  # 003 runs: both records accept the file
    assert done.returncode == 0, done.stdout + done.stderr
    assert netapps("status", "salesforce", "--exit-code", env=env).returncode == 0
