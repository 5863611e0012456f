#!/usr/bin/env python3
"""How long a migration stalls a live PostgreSQL: ``.venv/bin/python bench/lock_stall.py``.

A table of --rows rows (default 1,000,000) is read and written steadily by a workload thread
(one SELECT by key and one INSERT every few milliseconds, each timed). A long transaction (a
"report", --hold seconds) holds a lock on the table. Then a migration adds a column to it
(``ALTER TABLE``, ACCESS EXCLUSIVE): once with vanilla Alembic (its own env.py: no lock
time-out), once with ``netapps migrate`` (lock time-out --timeout, retries with backoff).
While the ALTER waits for the report, every query of the workload waits behind the ALTER.

Printed, side by side from one run: the workload's longest stall and its p99 latency during
each migration, the ratio, and the goal (netapps' longest stall at most the lock time-out
plus 20 %, at least 10x shorter than vanilla Alembic's). The database is created for the run
and dropped at the end; nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
try:
    import psycopg
    from support import BIN, subprocess_env, write_config
except ImportError as exc:
    sys.exit(f"error: {exc}; run `.venv/bin/python bench/lock_stall.py` (`make install`)")

NETAPPS_ENV = """\
import sqlalchemy as sa

from netapps.runtime.env import run_alembic_env

run_alembic_env(sa.MetaData())
"""

VANILLA_ENV = """\
import os

from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["BENCH_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
"""

CREATE = '''\
"""the busy table"""
import sqlalchemy as sa
from alembic import op

revision = "000_items"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("n", sa.Integer),
    )


def downgrade() -> None:
    op.drop_table("items")
'''

ALTER = '''\
"""add a column to a busy table"""
import sqlalchemy as sa
from alembic import op

revision = "001_add_note"
down_revision = "000_items"


def upgrade() -> None:
    op.add_column("items", sa.Column("note", sa.String(20)))


def downgrade() -> None:
    op.drop_column("items", "note")
'''


def make_app(folder: Path, env_py: str) -> Path:
    versions = folder / "alembic" / "versions"
    versions.mkdir(parents=True)
    (folder / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/alembic\n"
        "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
        "[logger_root]\nlevel = WARNING\nhandlers = console\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nformatter = generic\n"
        "[formatter_generic]\nformat = %(levelname)s %(message)s\n"
    )
    (folder / "alembic" / "env.py").write_text(env_py)
    (versions / "000_items.py").write_text(CREATE)
    (versions / "001_add_note.py").write_text(ALTER)
    return folder


class Workload:
    """One SELECT by key and one INSERT every few milliseconds; each round trip timed."""

    def __init__(self, conninfo: str, rows: int) -> None:
        self.conninfo, self.rows = conninfo, rows
        self.latencies: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            key = 1
            while not self.stop.is_set():
                began = time.monotonic()
                conn.execute("SELECT n FROM items WHERE id = %s", (key,)).fetchone()
                conn.execute("INSERT INTO items (n) VALUES (%s)", (key,))
                self.latencies.append(time.monotonic() - began)
                key = key % self.rows + 1
                time.sleep(0.002)

    def __enter__(self) -> Workload:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def measure(
    conninfo: str, rows: int, hold: float, command: list[str], cwd: Path, env: dict[str, str]
) -> tuple[float, float, float, int]:
    """(longest stall, p99 latency, migration seconds, exit code) of one migration."""
    report = psycopg.connect(conninfo, application_name="long-report")
    try:
        with Workload(conninfo, rows) as workload:
            time.sleep(0.5)
            report.execute("SELECT count(*) FROM items WHERE id < 100").fetchone()
            threading.Timer(hold, report.commit).start()
            began = time.monotonic()
            done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
            seconds = time.monotonic() - began
            time.sleep(0.3)
    finally:
        time.sleep(max(0.0, hold - (time.monotonic() - began)) + 0.2)
        report.close()
    latencies = sorted(workload.latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0
    if done.returncode != 0:
        print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "(no output)")
    return max(latencies, default=0.0), p99, seconds, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--hold", type=float, default=15.0, help="the report's seconds")
    parser.add_argument("--timeout", type=float, default=1.0, help="netapps' lock time-out")
    parser.add_argument("--admin", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    args = parser.parse_args()
    name = f"bench_stall_{secrets.token_hex(4)}"
    with psycopg.connect(args.admin, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = psycopg.conninfo.conninfo_to_dict(args.admin)
    conninfo = psycopg.conninfo.make_conninfo(**{**base, "dbname": name})
    url = f"postgresql+psycopg://{base.get('user', 'postgres')}@{base.get('host', '127.0.0.1')}"
    url += f":{base.get('port', 5432)}/{name}"
    try:
        with tempfile.TemporaryDirectory(prefix="netapps-stall-") as tmp:
            folder = Path(tmp)
            vanilla = make_app(folder / "vanilla", VANILLA_ENV)
            managed = make_app(folder / "managed", NETAPPS_ENV)
            config = write_config(
                folder / "netapps.toml",
                ["bench"],
                folders={"bench": managed},
                urls={"bench": url},
                backups=folder / "backups",
            )
            env = subprocess_env(config=config, BENCH_URL=url)
            netapps = str(BIN / "netapps")
            done = subprocess.run(
                [netapps, "migrate", "--to", "000_items", "--no-backup"],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                sys.exit(f"error: could not create the table: {done.stderr.strip()}")
            with psycopg.connect(conninfo, autocommit=True) as conn:
                print(f"filling items with {args.rows:,} rows ...", flush=True)
                conn.execute(
                    f"INSERT INTO items (n) SELECT g FROM generate_series(1, {args.rows}) g"
                )
                conn.execute("VACUUM ANALYZE items")
            results = {}
            print("vanilla alembic upgrade head ...", flush=True)
            results["vanilla Alembic"] = measure(
                conninfo,
                args.rows,
                args.hold,
                [str(BIN / "alembic"), "upgrade", "head"],
                vanilla,
                env,
            )
            with psycopg.connect(conninfo, autocommit=True) as conn:  # back to 000 for netapps
                conn.execute("ALTER TABLE items DROP COLUMN note")
                conn.execute("UPDATE alembic_version SET version_num = '000_items'")
            print("netapps migrate ...", flush=True)
            results["netapps"] = measure(
                conninfo,
                args.rows,
                args.hold,
                [
                    str(BIN / "netapps"),
                    "migrate",
                    "--no-backup",
                    "--ddl-lock-timeout",
                    str(args.timeout),
                    "--lock-retries",
                    "50",
                ],
                folder,
                env,
            )
    finally:
        with psycopg.connect(args.admin, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print()
    print(
        f"{args.rows:,} rows; a report holds a lock for {args.hold:g} s; "
        f"netapps' lock time-out {args.timeout:g} s"
    )
    print(f"{'migration':<16} {'longest stall':>14} {'p99 latency':>12} {'took':>8} {'exit':>5}")
    for label, (stall, p99, seconds, code) in results.items():
        print(f"{label:<16} {stall:>12.3f} s {p99 * 1000:>9.1f} ms {seconds:>6.2f} s {code:>5}")
    vanilla_stall, netapps_stall = results["vanilla Alembic"][0], results["netapps"][0]
    ratio = vanilla_stall / netapps_stall if netapps_stall else float("inf")
    bound = args.timeout * 1.2
    print(
        f"netapps' longest stall is {ratio:.1f}x shorter than vanilla Alembic's "
        f"(goal >= 10x: {'met' if ratio >= 10 else 'NOT met'})"
    )
    print(
        f"netapps' longest stall {netapps_stall:.3f} s vs lock time-out + 20 % = {bound:.3f} s "
        f"(goal: {'met' if netapps_stall <= bound else 'NOT met'})"
    )
    return 0 if all(code == 0 for *_rest, code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
