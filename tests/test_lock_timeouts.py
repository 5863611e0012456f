"""A migration never stalls a live PostgreSQL: it waits at most the lock time-out for a table
lock, rolls back and retries, and names the session in its way when it gives up.

A real workload (a thread reading and writing the table every few milliseconds), a real long
transaction in its way, and the installed ``netapps`` against vanilla Alembic as the baseline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL
from support import (
    BIN,
    alembic_app,
    netapps,
    pg_conninfo,
    run,
    subprocess_env,
    write_config,
)

ENV = """\
import sqlalchemy as sa

from netapps.runtime.env import run_alembic_env

metadata = sa.MetaData()
sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("n", sa.Integer),
    sa.Column("note", sa.String(20), server_default="x"),
)
run_alembic_env(metadata)
"""

# What Alembic's own template does: no lock, no time-out, no retry.
VANILLA_ENV = """\
import os

from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["ALEMBIC_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
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
    op.execute("INSERT INTO items (n) SELECT g FROM generate_series(1, 1000) g")


def downgrade() -> None:
    op.drop_table("items")
'''

ALTER = '''\
"""add a column: ALTER TABLE takes an ACCESS EXCLUSIVE lock"""
import sqlalchemy as sa
from alembic import op

revision = "002_note"
down_revision = "001_items"


def upgrade() -> None:
    op.add_column("items", sa.Column("note", sa.String(20), server_default="x"))


def downgrade() -> None:
    op.drop_column("items", "note")
'''


def make_app(folder: Path, env: str) -> Path:
    return alembic_app(folder, env, {"001_items": CREATE, "002_note": ALTER})


conninfo = pg_conninfo


class Workload:
    """Reads and writes ``items`` every few milliseconds; the longest gap is the stall."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.stop = threading.Event()
        self.longest = 0.0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(conninfo(self.url), autocommit=True) as conn:
            while not self.stop.is_set():
                began = time.monotonic()
                conn.execute("SELECT count(*) FROM items").fetchone()
                conn.execute("INSERT INTO items (n) VALUES (0)")
                self.longest = max(self.longest, time.monotonic() - began)
                time.sleep(0.005)

    def __enter__(self) -> Workload:
        self.thread.start()
        time.sleep(0.3)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


@contextmanager
def long_transaction(url: URL, seconds: float) -> Iterator[int]:
    """A report holding a transaction open on ``items`` for ``seconds``, in the background;
    yields its backend pid."""
    conn = psycopg.connect(conninfo(url), application_name="long-report")
    conn.execute("SELECT n FROM items LIMIT 1").fetchone()  # ACCESS SHARE, held until commit
    pid = conn.info.backend_pid
    timer = threading.Timer(seconds, conn.commit)
    timer.start()
    try:
        yield pid
    finally:
        timer.join()
        conn.close()


def prepared(tmp_path: Path, url: URL) -> dict[str, str]:
    """The app at 001 (its table filled), ready for 002's ALTER TABLE."""
    folder = make_app(tmp_path / "lockapp", ENV)
    text = url.render_as_string(hide_password=False)
    config = write_config(
        tmp_path / "netapps.toml",
        ["lockapp"],
        backups=tmp_path / "b",
        folders={"lockapp": folder},
        urls={"lockapp": text},
    )
    env = subprocess_env(config)
    done = netapps("migrate", "--to", "001_items", "--no-backup", env=env)
    assert done.returncode == 0, done.stderr
    return env


def columns(url: URL) -> set[str]:
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'items'"
        )
        return {r[0] for r in rows}


def test_vanilla_alembic_stalls_the_workload_for_the_whole_long_transaction(
    tmp_path: Path, pg_database: URL
) -> None:
    prepared(tmp_path, pg_database)
    vanilla = make_app(tmp_path / "vanilla", VANILLA_ENV)
    env = subprocess_env(tmp_path / "netapps.toml")
    url = pg_database.render_as_string(hide_password=False)
    with Workload(pg_database) as workload, long_transaction(pg_database, 5.0):
        time.sleep(0.2)
        done = run(
            [BIN / "alembic", "upgrade", "002_note"],
            cwd=vanilla,
            env={**env, "ALEMBIC_URL": url},
        )
    assert done.returncode == 0, done.stderr
    # The ALTER queued behind the report, and every query of the workload behind the ALTER,
    # until the report ended (5 s after it began; Alembic itself took a second to start).
    assert workload.longest > 2.5, workload.longest


def test_netapps_waits_at_most_the_lock_timeout_then_completes(
    tmp_path: Path, pg_database: URL
) -> None:
    env = prepared(tmp_path, pg_database)
    with Workload(pg_database) as workload, long_transaction(pg_database, 4.0):
        time.sleep(0.2)
        done = netapps(
            "migrate", "--ddl-lock-timeout", "0.5", "--lock-retries", "10", "--no-backup", env=env
        )
    assert done.returncode == 0, done.stderr
    assert "no table lock within" in done.stderr and "long-report" in done.stderr
    assert "note" in columns(pg_database)
    # Each attempt held the workload up for at most about the lock time-out, never 4 s.
    assert workload.longest < 0.5 * 1.2 + 0.5, workload.longest
    with psycopg.connect(conninfo(pg_database)) as conn:
        directions = [
            r[0] for r in conn.execute("SELECT direction FROM netapps_migration_log ORDER BY id")
        ]
    assert directions[0] == "up" and directions[-1] == "up" and "retry" in directions


def test_netapps_gives_up_naming_the_blocker_and_changes_nothing(
    tmp_path: Path, pg_database: URL
) -> None:
    env = prepared(tmp_path, pg_database)
    with long_transaction(pg_database, 6.0) as pid:
        done = netapps(
            "migrate", "--ddl-lock-timeout", "0.3", "--lock-retries", "1", "--json", env=env
        )
    assert done.returncode == 6, done.stderr
    error = json.loads(done.stdout)[0]["error"]
    assert f"pid {pid}" in error and "long-report" in error and "002_note" in error
    assert "note" not in columns(pg_database)  # rolled back whole: nothing half-applied
    status = netapps("status", "--json", env=env)
    assert json.loads(status.stdout)[0]["current"] == ["001_items"]


def test_timeouts_come_from_netapps_toml_and_bad_values_are_refused(
    tmp_path: Path, pg_database: URL
) -> None:
    env = prepared(tmp_path, pg_database)
    config = Path(env["NETAPPS_CONFIG"])
    original = config.read_text()
    config.write_text(original + '\n[migrations]\nddl_lock_timeout = "soon"\n')
    done = netapps("migrate", env=env)
    assert done.returncode == 2 and "ddl_lock_timeout" in done.stderr, done.stderr
    config.write_text(original + "\n[migrations]\nddl_lock_timeout = 0.3\nlock_retries = 0\n")
    with long_transaction(pg_database, 3.0):
        done = netapps("migrate", "--json", env=env)
    assert done.returncode == 6, done.stderr  # 0.3 s, no retry: given up while the report ran
    assert "within 0.3 s in 1 attempt;" in json.loads(done.stdout)[0]["error"]
