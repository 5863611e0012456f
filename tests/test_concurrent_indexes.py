"""Indexes built CONCURRENTLY, outside a transaction, made safe: the plan says so, the step is
recorded only once it succeeded, and the INVALID index a killed or timed-out build leaves
behind is dropped and built again on the rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL
from support import alembic_app, pg_conninfo, write_config

BIN = Path(sys.executable).parent

ENV = """\
import sqlalchemy as sa

from netapps.runtime.env import run_alembic_env

metadata = sa.MetaData()
sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("n", sa.Integer),
    sa.Index("ix_items_n", "n"),
)
run_alembic_env(metadata)
"""

CREATE = '''\
"""create items"""
import sqlalchemy as sa
from alembic import op

revision = "001_items"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "items", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer)
    )
    op.execute("INSERT INTO items (n) VALUES (1), (2), (3)")


def downgrade() -> None:
    op.drop_table("items")
'''

CONCURRENT = '''\
"""index items by n, without blocking writes"""
from alembic import op

revision = "002_index_n"
down_revision = "001_items"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_items_n", "items", ["n"], postgresql_concurrently=True, if_not_exists=True
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_items_n", table_name="items", postgresql_concurrently=True)
'''


def make_app(tmp_path: Path, url: str) -> dict[str, str]:
    revisions = {"001_items": CREATE, "002_index_n": CONCURRENT}
    folder = alembic_app(tmp_path / "idxapp", ENV, revisions)
    config = write_config(
        tmp_path / "netapps.toml",
        ["idxapp"],
        backups=tmp_path / "backups",
        folders={"idxapp": folder},
        urls={"idxapp": url},
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    return {**env, "NETAPPS_CONFIG": str(config), "COLUMNS": "200"}


def netapps(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "netapps"), *args], env=env, capture_output=True, text=True, timeout=120
    )


conninfo = pg_conninfo


def index_state(url: URL) -> list[bool]:
    """indisvalid of every index named ix_items_n."""
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = 'ix_items_n'"
        )
        return [bool(r[0]) for r in rows]


def test_plan_marks_the_step_and_migrate_records_it_after_it_succeeded(
    tmp_path: Path, db_url: URL
) -> None:
    env = make_app(tmp_path, db_url.render_as_string(hide_password=False))
    plan = netapps("plan", "--json", env=env)
    assert plan.returncode == 0, plan.stderr
    steps = {s["revision"]: s for s in json.loads(plan.stdout)[0]["steps"]}
    assert steps["001_items"]["transaction"] and not steps["002_index_n"]["transaction"]
    assert "outside a transaction" in netapps("plan", env=env).stdout
    done = netapps("migrate", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["to"] == ["002_index_n"]
    assert netapps("check", "--allow-pending", env=env).returncode == 0  # models match
    down = netapps("downgrade", "idxapp", "001_items", "--no-backup", env=env)
    assert down.returncode == 0, down.stderr


def test_sql_files_run_outside_a_transaction_with_the_directive(
    tmp_path: Path, pg_database: URL
) -> None:
    folder = tmp_path / "sqlapp"
    migrations = folder / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "001_items.up.sql").write_text("CREATE TABLE items (id INTEGER, n INTEGER);\n")
    (migrations / "001_items.down.sql").write_text("DROP TABLE items;\n")
    (migrations / "002_index_n.up.sql").write_text(
        "-- netapps: no-transaction\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_items_n ON items (n);\n"
    )
    (migrations / "002_index_n.down.sql").write_text(
        "-- netapps: no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS ix_items_n;\n"
    )
    url = pg_database.render_as_string(hide_password=False)
    config = tmp_path / "netapps.toml"
    config.write_text(
        f'environments = ["dev"]\n[backups]\ndir = "{tmp_path / "b"}"\n'
        f'[apps.sqlapp]\nfolder = "{folder}"\nkind = "sql"\ndatabase.dev = {{ url = "{url}" }}\n'
    )
    env = {**os.environ, "NETAPPS_CONFIG": str(config)}
    plan = netapps("plan", "--json", env=env)
    assert [s["transaction"] for s in json.loads(plan.stdout)[0]["steps"]] == [True, False]
    done = netapps("migrate", env=env)
    assert done.returncode == 0, done.stderr
    assert index_state(pg_database) == [True]
    assert netapps("downgrade", "sqlapp", "base", "--no-backup", env=env).returncode == 0
    assert index_state(pg_database) == []


def _at_001(tmp_path: Path, url: URL) -> dict[str, str]:
    env = make_app(tmp_path, url.render_as_string(hide_password=False))
    done = netapps("migrate", "--to", "001_items", "--no-backup", env=env)
    assert done.returncode == 0, done.stderr
    return env


def _wait_for_build(url: URL) -> int:
    """The backend pid of the concurrent build, once its (still invalid) index exists."""
    deadline = time.monotonic() + 30
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE query ILIKE 'CREATE INDEX CONCURRENTLY%'"
            ).fetchone()
            if row is not None and index_state(url) == [False]:
                return int(row[0])
            time.sleep(0.05)
    pytest.fail("the concurrent index build never started")


def test_kill_during_a_concurrent_build_then_rerun_leaves_no_invalid_index(
    tmp_path: Path, pg_database: URL
) -> None:
    env = _at_001(tmp_path, pg_database)
    # An open transaction makes CREATE INDEX CONCURRENTLY wait half-way, its index INVALID.
    reader = psycopg.connect(conninfo(pg_database))
    reader.execute("INSERT INTO items (n) VALUES (0)")  # a writer, not yet committed
    migrator = subprocess.Popen(
        [str(BIN / "netapps"), "migrate", "--ddl-lock-timeout", "60", "--no-backup"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pid = _wait_for_build(pg_database)
        migrator.send_signal(signal.SIGKILL)
        migrator.wait(timeout=30)
        with psycopg.connect(conninfo(pg_database), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    finally:
        reader.close()
        if migrator.poll() is None:
            migrator.kill()
    time.sleep(0.5)
    assert index_state(pg_database) == [False]  # what the killed build left behind
    status = netapps("status", "--json", env=env)
    assert json.loads(status.stdout)[0]["current"] == ["001_items"]  # not recorded
    rerun = netapps("migrate", "--json", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)[0]["to"] == ["002_index_n"]
    assert index_state(pg_database) == [True]  # dropped and built again, valid


def test_a_build_cut_off_by_the_lock_timeout_is_rebuilt_on_retry(
    tmp_path: Path, pg_database: URL
) -> None:
    env = _at_001(tmp_path, pg_database)
    reader = psycopg.connect(conninfo(pg_database))
    reader.execute("INSERT INTO items (n) VALUES (0)")  # a writer, not yet committed
    migrator = subprocess.Popen(
        [str(BIN / "netapps"), "migrate", "--ddl-lock-timeout", "0.5", "--lock-retries", "20"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Attempts time out while the reader's transaction stays open: wait for one to be recorded.
    deadline = time.monotonic() + 60
    with psycopg.connect(conninfo(pg_database), autocommit=True) as watcher:
        while time.monotonic() < deadline:
            retries = watcher.execute(
                "SELECT count(*) FROM netapps_migration_log WHERE direction = 'retry'"
            ).fetchone()
            if retries is not None and retries[0] >= 1:
                break
            time.sleep(0.1)
    reader.close()
    _out, err = migrator.communicate(timeout=120)
    assert migrator.returncode == 0, err
    assert "retrying" in err
    assert index_state(pg_database) == [True]
