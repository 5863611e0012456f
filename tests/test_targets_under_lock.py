"""A target is resolved under the lock (issue 12, point 2): relative targets and the direction
are decided from the state read there, so a migrator that ran meanwhile can never turn a
downgrade into upgrades or an upgrade into downgrades. Two real processes, both engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL
from support import APP_FOLDERS, connect, write_config

NETAPPS = str(Path(sys.executable).parent / "netapps")
COUNT = 5

ENV_PY = """\
import sqlalchemy as sa

from netapps.runtime.env import run_alembic_env

metadata = sa.MetaData()
for number in range(1, 6):
    sa.Table(f"t{number}", metadata, sa.Column("id", sa.Integer, primary_key=True))
run_alembic_env(metadata)
"""

# Each step stalls while FIXTURE_STALL is set and the release file does not exist yet: the
# first step of a run then holds the migration lock until the test lets it go.
REVISION = '''\
"""create t{n}"""

import os
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "00{n}_t{n}"
down_revision = {parent}


def _stall() -> None:
    marker = os.environ.get("FIXTURE_STALL")
    if not marker:
        return
    release = Path(marker + ".release")
    Path(marker).write_text("stalled")
    deadline = time.monotonic() + 90
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def upgrade() -> None:
    _stall()
    op.create_table("t{n}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    _stall()
    op.drop_table("t{n}")
'''


def revision_id(n: int) -> str:
    return f"00{n}_t{n}"


def fixture(tmp: Path, url: URL) -> dict[str, str]:
    folder = tmp / "race_app"
    versions = folder / "alembic" / "versions"
    versions.mkdir(parents=True)
    (folder / "alembic.ini").write_text((APP_FOLDERS["servicenow"] / "alembic.ini").read_text())
    (folder / "alembic" / "env.py").write_text(ENV_PY)
    (folder / "alembic" / "script.py.mako").write_text(
        (APP_FOLDERS["servicenow"] / "alembic" / "script.py.mako").read_text()
    )
    for n in range(1, COUNT + 1):
        parent = repr(revision_id(n - 1)) if n > 1 else "None"
        (versions / f"{revision_id(n)}.py").write_text(REVISION.format(n=n, parent=parent))
    config = write_config(
        tmp / "netapps.toml", ["race"], backups=tmp / "backups", folders={"race": folder}
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(
        NETAPPS_CONFIG=str(config), RACE_DATABASE_URL=url.render_as_string(False), COLUMNS="200"
    )
    return env


def netapps(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NETAPPS, *args], env=env, capture_output=True, text=True, timeout=180)


def version(url: URL) -> set[str]:
    with connect(url) as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}


def race(
    env: dict[str, str], tmp: Path, holder_args: list[str], waiter_args: list[str]
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """``holder_args`` starts and stalls in its first step, holding the lock; ``waiter_args``
    starts, plans from what it reads, and waits for the lock; then the holder is let go."""
    marker = tmp / "stall"
    holder = subprocess.Popen(
        [NETAPPS, *holder_args],
        env={**env, "FIXTURE_STALL": str(marker)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert holder.poll() is None and time.monotonic() < deadline, holder.communicate()
        time.sleep(0.05)
    waiter = subprocess.Popen(
        [NETAPPS, *waiter_args, "--json", "--lock-timeout", "120"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)  # the waiter has started, read the state and is waiting for the lock
    assert waiter.poll() is None, waiter.communicate()
    Path(str(marker) + ".release").write_text("go")
    out, err = holder.communicate(timeout=120)
    held = subprocess.CompletedProcess(holder.args, holder.returncode, out, err)
    out, err = waiter.communicate(timeout=120)
    waited = subprocess.CompletedProcess(waiter.args, waiter.returncode, out, err)
    return held, waited


def test_downgrade_minus_one_racing_a_downgrade_never_upgrades(db_url: URL, tmp_path: Path) -> None:
    env = fixture(tmp_path, db_url)
    assert netapps("migrate", "race", env=env).returncode == 0
    held, waited = race(
        env, tmp_path, ["downgrade", "race", revision_id(1)], ["downgrade", "race", "-1"]
    )
    assert held.returncode == 0, held.stdout + held.stderr
    assert waited.returncode == 0, waited.stdout + waited.stderr
    steps = json.loads(waited.stdout)[0]["steps"]
    # -1 from where the database is under the lock (001): one step down, never three up.
    assert [s["direction"] for s in steps] == ["down"], steps
    assert version(db_url) == set()


def test_upgrade_racing_an_upgrade_past_it_refuses_instead_of_going_down(
    db_url: URL, tmp_path: Path
) -> None:
    env = fixture(tmp_path, db_url)
    assert netapps("migrate", "race", "--to", revision_id(2), env=env).returncode == 0
    held, waited = race(env, tmp_path, ["migrate", "race"], ["upgrade", "race", revision_id(4)])
    assert held.returncode == 0, held.stdout + held.stderr
    assert waited.returncode == 2, waited.stdout + waited.stderr
    assert "netapps downgrade" in waited.stdout + waited.stderr
    assert version(db_url) == {revision_id(COUNT)}, "the upgrade ran downgrades"


def test_downgrade_racing_a_downgrade_past_it_refuses_instead_of_going_up(
    db_url: URL, tmp_path: Path
) -> None:
    env = fixture(tmp_path, db_url)
    assert netapps("migrate", "race", env=env).returncode == 0
    held, waited = race(
        env, tmp_path, ["downgrade", "race", revision_id(1)], ["downgrade", "race", revision_id(3)]
    )
    assert held.returncode == 0, held.stdout + held.stderr
    assert waited.returncode == 2, waited.stdout + waited.stderr
    assert "netapps upgrade" in waited.stdout + waited.stderr
    assert version(db_url) == {revision_id(1)}


def test_migrate_to_a_relative_step_down_is_refused(tmp_path: Path) -> None:
    url = URL.create("sqlite", database=str(tmp_path / "db.sqlite"))
    env = fixture(tmp_path, url)
    assert netapps("migrate", "race", env=env).returncode == 0
    done = netapps("migrate", "race", "--to", "-1", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "netapps downgrade race -1" in done.stderr
    assert version(url) == {revision_id(COUNT)}
