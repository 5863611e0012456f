"""Backups you can bet the data on, and restores that never make things worse (issue 12,
point 1): each test is an attack that broke the old core, run through the installed
`netapps` against real SQLite files and a real PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL
from support import APP_FOLDERS, connect, url_text
from support import write_config as repo_write_config

from netapps import backup as backup_module
from netapps import signing

NETAPPS = str(Path(sys.executable).parent / "netapps")

ENV_PY = """\
import sqlalchemy as sa

from netapps.runtime.env import run_alembic_env

metadata = sa.MetaData()
sa.Table(
    "big",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payload", sa.String(80)),
)
sa.Table("t2", metadata, sa.Column("id", sa.Integer, primary_key=True))
run_alembic_env(metadata)
"""

REVISION_1 = '''\
"""create big"""

import sqlalchemy as sa
from alembic import op

revision = "001_create_big"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "big",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("payload", sa.String(80)),
    )


def downgrade() -> None:
    op.drop_table("big")
'''

REVISION_2 = '''\
"""create t2"""

import sqlalchemy as sa
from alembic import op

revision = "002_create_t2"
down_revision = "001_create_big"


def upgrade() -> None:
    op.create_table("t2", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("t2")
'''


def make_app(folder: Path, name: str = "fixture_app") -> Path:
    app = folder / name
    versions = app / "alembic" / "versions"
    versions.mkdir(parents=True)
    (app / "alembic.ini").write_text((APP_FOLDERS["servicenow"] / "alembic.ini").read_text())
    (app / "alembic" / "env.py").write_text(ENV_PY)
    (app / "alembic" / "script.py.mako").write_text(
        (APP_FOLDERS["servicenow"] / "alembic" / "script.py.mako").read_text()
    )
    (versions / "001_create_big.py").write_text(REVISION_1)
    (versions / "002_create_t2.py").write_text(REVISION_2)
    return app


def write_config(tmp: Path, apps: dict[str, Path], keep: object = 100) -> Path:
    lines = ['environments = ["dev", "production"]', "", "[backups]"]
    lines += [f'dir = "{tmp / "backups"}"', f"keep = {json.dumps(keep)}", ""]
    for name, folder in apps.items():
        lines += [
            f"[apps.{name}]",
            f'folder = "{folder}"',
            'kind = "alembic"',
            f'database.dev = {{ url = "sqlite:///./{name}.db" }}',
            "",
        ]
    path = tmp / "netapps.toml"
    path.write_text("\n".join(lines))
    return path


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.pop("NETAPPS_CONFIG", None)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NETAPPS, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def setup(tmp: Path, url: URL, keep: object = 100) -> dict[str, str]:
    config = write_config(tmp, {"fixture": make_app(tmp)}, keep)
    return cli_env(NETAPPS_CONFIG=str(config), FIXTURE_DATABASE_URL=url.render_as_string(False))


def fill(url: URL, rows: int) -> None:
    with connect(url) as conn, conn.begin():
        if url.get_backend_name() == "sqlite":
            conn.execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :r) "
                    "INSERT INTO big SELECT i, printf('row %08d of the big table', i) FROM n"
                ),
                {"r": rows},
            )
        else:
            conn.execute(
                text(
                    "INSERT INTO big SELECT i, format('row %s of the big table', i) "
                    "FROM generate_series(1, :r) i"
                ),
                {"r": rows},
            )


def count(url: URL) -> int:
    with connect(url) as conn:
        return int(conn.execute(text("SELECT count(*) FROM big")).scalar_one())


def version(url: URL) -> set[str]:
    with connect(url) as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}


def wait_for_no_sessions(url: URL) -> None:
    """After a kill, the server ends the killed session (rolling its transaction back)."""
    if url.get_backend_name() == "sqlite":
        return
    deadline = time.monotonic() + 30
    with psycopg.connect(
        host=url.host, port=url.port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (url.database,)
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.1)
    raise AssertionError("the killed restore's session never ended")


def backups(env: dict[str, str]) -> list[dict[str, object]]:
    return list(json.loads(ok(run("backups", "fixture", "--json", env=env)).stdout))


def made_backup(url: URL, tmp: Path, rows: int = 50) -> tuple[dict[str, str], Path]:
    """The fixture at 002 with ``rows`` rows, and a backup of it at 001 with the same rows."""
    env = setup(tmp, url)
    ok(run("migrate", "fixture", "--to", "001", env=env))
    fill(url, rows)
    done = ok(run("migrate", "fixture", "--json", env=env))
    backup = Path(json.loads(done.stdout)[0]["backup"])
    return env, backup


# -- atomic restore ---------------------------------------------------------------------------
def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of the processes ``pid`` started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, _, tail = (entry / "stat").read_text().rpartition(")")
            if int(tail.split()[1]) == pid:
                found.append((int(entry.name), head.partition("(")[2]))
        except (OSError, IndexError, ValueError):
            continue
    return found


def restoring(url: URL, victim: subprocess.Popen[bytes]) -> bool:
    """Whether the restore proper has begun: psql runs (PostgreSQL), or SQLite's journal of
    the live file exists (the copy has begun writing it)."""
    if url.get_backend_name() == "sqlite":
        return Path(str(url.database) + "-journal").exists()
    return any(name == "psql" for _pid, name in children(victim.pid))


def test_restore_killed_at_any_moment_leaves_before_or_after(db_url: URL, tmp_path: Path) -> None:
    rows = 300_000
    env, backup = made_backup(db_url, tmp_path, rows)
    random.seed(12)
    outcomes = []
    for trial in range(8):
        with connect(db_url) as conn, conn.begin():
            conn.execute(text("DELETE FROM big WHERE id > 10"))
        victim = subprocess.Popen(
            [NETAPPS, "restore", "fixture", str(backup), "--yes"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Half the trials kill in the middle of the restore proper, half at random moments.
        deadline = time.monotonic() + 60
        if trial % 2 == 0:
            while victim.poll() is None and not restoring(db_url, victim):
                assert time.monotonic() < deadline, "the restore never began"
                time.sleep(0.002)
            time.sleep(random.uniform(0, 0.15))
        else:
            time.sleep(random.uniform(0.3, 4.0))
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        wait_for_no_sessions(db_url)
        state = (count(db_url), version(db_url))
        assert state in ((10, {"002_create_t2"}), (rows, {"001_create_big"})), (
            f"a restore killed in trial {trial} left {state}"
        )
        outcomes.append("restored" if state[0] == rows else "before")
        if state[0] == rows:
            ok(run("migrate", "fixture", env=env))
    # Whatever was killed, a restore that runs to its end restores everything.
    ok(run("restore", "fixture", str(backup), "--yes", env=env))
    assert (count(db_url), version(db_url)) == (rows, {"001_create_big"}), outcomes


def test_restore_backs_up_what_it_replaces(db_url: URL, tmp_path: Path) -> None:
    env, backup = made_backup(db_url, tmp_path)
    with connect(db_url) as conn, conn.begin():
        conn.execute(text("DELETE FROM big WHERE id > 3"))
    done = ok(run("restore", "fixture", str(backup), "--yes", "--json", env=env))
    saved = json.loads(done.stdout)["backup"]
    assert saved and Path(saved).is_file() and saved in [b["file"] for b in backups(env)]
    assert count(db_url) == 50
    ok(run("restore", "fixture", saved, "--yes", env=env))  # and back again
    assert (count(db_url), version(db_url)) == (3, {"002_create_t2"})


# -- only complete, intact, verified backups ---------------------------------------------------
def test_backup_killed_mid_copy_is_never_listed_nor_restored(db_url: URL, tmp_path: Path) -> None:
    env, _backup = made_backup(db_url, tmp_path, 300_000)
    random.seed(7)
    for _trial in range(4):
        victim = subprocess.Popen(
            [NETAPPS, "downgrade", "fixture", "-1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(random.uniform(0.5, 2.5))
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        wait_for_no_sessions(db_url)
        for listed in backups(env):  # every listed backup is whole: its checks pass
            file = Path(str(listed["file"]))
            assert (file.parent / (file.name + ".json")).is_file()
        if version(db_url) == {"001_create_big"}:
            ok(run("migrate", "fixture", env=env))
    newest = Path(str(backups(env)[0]["file"]))
    with connect(db_url) as conn, conn.begin():
        conn.execute(text("DELETE FROM big"))
    ok(run("restore", "fixture", str(newest), "--yes", env=env))
    assert count(db_url) == 300_000


def test_empty_or_truncated_file_is_not_a_backup(db_url: URL, tmp_path: Path) -> None:
    env, backup = made_backup(db_url, tmp_path)
    folder = backup.parent
    empty = folder / ("29991231T000000000000Z-002-003" + backup.suffix)
    empty.touch()  # what a full disk leaves
    assert [b["file"] for b in backups(env)] == [str(backup)], "an empty file was listed"
    refused = run("restore", "fixture", str(empty), "--yes", env=env)
    assert refused.returncode == 7, refused.stdout + refused.stderr
    assert "manifest" in refused.stderr
    # The same file with a manifest copied beside it: the size and checksum give it away.
    shutil.copy(folder / (backup.name + ".json"), folder / (empty.name + ".json"))
    assert [b["file"] for b in backups(env)] == [str(backup)]
    refused = run("restore", "fixture", str(empty), "--yes", env=env)
    assert refused.returncode == 7 and "checksum" in refused.stderr, refused.stderr
    assert count(db_url) == 50 and version(db_url) == {"002_create_t2"}


def test_bit_flipped_backup_is_refused_before_anything(db_url: URL, tmp_path: Path) -> None:
    env, backup = made_backup(db_url, tmp_path)
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x10
    backup.write_bytes(bytes(data))
    with connect(db_url) as conn, conn.begin():
        conn.execute(text("DELETE FROM big WHERE id > 5"))
    refused = run("restore", "fixture", str(backup), "--yes", env=env)
    assert refused.returncode == 7, refused.stdout + refused.stderr
    assert "checksum" in refused.stderr
    assert count(db_url) == 5 and version(db_url) == {"002_create_t2"}


def test_corrupt_sqlite_backup_with_a_forged_manifest_fails_integrity(tmp_path: Path) -> None:
    url = URL.create("sqlite", database=str(tmp_path / "db.sqlite"))
    env, backup = made_backup(url, tmp_path, 20_000)
    import hashlib

    data = bytearray(backup.read_bytes())
    data = data[: len(data) // 2]  # a database cut in half
    backup.write_bytes(bytes(data))
    manifest_file = backup.parent / (backup.name + ".json")
    manifest = json.loads(manifest_file.read_text())
    manifest.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    # Signed with the installation's key, as a corruption of the file alone leaves it: the
    # integrity check is what refuses it then.
    manifest["mac"] = signing.mac(signing.installation_key(), backup_module.signed_part(manifest))
    manifest_file.write_text(json.dumps(manifest))
    refused = run("restore", "fixture", str(backup), "--yes", env=env)
    assert refused.returncode == 7, refused.stdout + refused.stderr
    assert "integrity" in refused.stderr or "not a readable" in refused.stderr
    assert version(url) == {"002_create_t2"} and count(url) == 20_000


def test_another_apps_backup_is_refused(tmp_path: Path) -> None:
    folders = {"fixture": make_app(tmp_path), "other": make_app(tmp_path, "other_app")}
    config = write_config(tmp_path, folders)
    env = cli_env(NETAPPS_CONFIG=str(config))
    ok(run("migrate", "other", "--to", "001", env=env))
    other = Path(json.loads(ok(run("migrate", "other", "--json", env=env)).stdout)[0]["backup"])
    ok(run("migrate", "fixture", env=env))
    refused = run("restore", "fixture", str(other), "--yes", env=env)
    assert refused.returncode == 7, refused.stdout + refused.stderr
    assert "'other'" in refused.stderr
    # Even moved into this app's folder, with its manifest.
    mine = tmp_path / "backups" / "fixture"
    mine.mkdir(exist_ok=True)
    for name in (other.name, other.name + ".json"):
        shutil.copy(other.parent / name, mine / name)
    refused = run("restore", "fixture", str(mine / other.name), "--yes", env=env)
    assert refused.returncode == 7 and "'other'" in refused.stderr


def test_another_databases_backup_needs_a_flag(tmp_path: Path) -> None:
    first = URL.create("sqlite", database=str(tmp_path / "first.sqlite"))
    env, backup = made_backup(first, tmp_path)
    second = URL.create("sqlite", database=str(tmp_path / "second.sqlite"))
    env2 = {**env, "FIXTURE_DATABASE_URL": second.render_as_string(False)}
    ok(run("migrate", "fixture", env=env2))
    refused = run("restore", "fixture", str(backup), "--yes", env=env2)
    assert refused.returncode == 7 and "--other-database" in refused.stderr, refused.stderr
    assert version(second) == {"002_create_t2"}
    ok(run("restore", "fixture", str(backup), "--yes", "--other-database", env=env2))
    assert version(second) == {"001_create_big"} and count(second) == 50


def test_restoring_the_live_sqlite_file_onto_itself_is_refused(tmp_path: Path) -> None:
    live = tmp_path / "live.db"  # the suffix of a SQLite backup, as the apps' files have
    url = URL.create("sqlite", database=str(live))
    env, backup = made_backup(url, tmp_path)
    refused = run("restore", "fixture", str(live), "--yes", env=env, timeout=30)
    assert refused.returncode == 7 and "live database" in refused.stderr, refused.stderr
    # With a manifest beside it, and through a symlink in the backups folder.
    link = backup.parent / "29991231T000000000000Z-002-002.db"
    link.symlink_to(live)
    shutil.copy(backup.parent / (backup.name + ".json"), backup.parent / (link.name + ".json"))
    refused = run("restore", "fixture", str(link), "--yes", env=env, timeout=30)
    assert refused.returncode == 7, refused.stdout + refused.stderr
    assert "live database" in refused.stderr
    assert version(url) == {"002_create_t2"}
    ok(run("migrate", "fixture", "--to", "001", "--yes", "--lock-timeout", "2", env=env))  # no lock


# -- only the app's objects ---------------------------------------------------------------------
def test_postgresql_restore_touches_only_the_apps_objects(pg_database: URL, tmp_path: Path) -> None:
    env = setup(tmp_path, pg_database)
    ok(run("migrate", "fixture", "--to", "001", env=env))
    with connect(pg_database) as conn, conn.begin():
        conn.execute(text("CREATE SCHEMA theirs"))
        conn.execute(text("CREATE TABLE theirs.keep (x int)"))
        conn.execute(text("INSERT INTO theirs.keep VALUES (1)"))
        conn.execute(text("CREATE TABLE public.their_table (y serial, z int)"))
        conn.execute(text("INSERT INTO public.their_table (z) VALUES (2)"))
    fill(pg_database, 50)
    done = ok(run("migrate", "fixture", "--json", env=env))
    backup = Path(json.loads(done.stdout)[0]["backup"])
    listed = subprocess.run(["pg_restore", "--list", str(backup)], capture_output=True, text=True)
    assert "their_table" not in listed.stdout and "theirs" not in listed.stdout
    assert "big" in listed.stdout
    with connect(pg_database) as conn, conn.begin():
        conn.execute(text("INSERT INTO theirs.keep VALUES (3)"))
        conn.execute(text("INSERT INTO public.their_table (z) VALUES (4)"))
        conn.execute(text("DELETE FROM big"))
    ok(run("restore", "fixture", str(backup), "--yes", env=env))
    with connect(pg_database) as conn:
        assert conn.execute(text("SELECT x FROM theirs.keep ORDER BY x")).scalars().all() == [1, 3]
        theirs = conn.execute(text("SELECT z FROM public.their_table ORDER BY z")).scalars().all()
        assert theirs == [2, 4]
    assert count(pg_database) == 50 and version(pg_database) == {"001_create_big"}


# -- pruning and configuration --------------------------------------------------------------------
def test_pruning_keeps_the_last_backup_of_each_database(tmp_path: Path) -> None:
    first = URL.create("sqlite", database=str(tmp_path / "first.sqlite"))
    second = URL.create("sqlite", database=str(tmp_path / "second.sqlite"))
    env = setup(tmp_path, first, keep=1)
    env2 = {**env, "FIXTURE_DATABASE_URL": second.render_as_string(False)}
    for environment in (env, env2):
        ok(run("migrate", "fixture", "--to", "001", env=environment))
        ok(run("migrate", "fixture", env=environment))
    ok(run("downgrade", "fixture", "-1", env=env2))
    databases = sorted(str(b["database"]) for b in backups(env))
    assert databases == sorted(
        f"sqlite:///{os.path.realpath(u.database or '')}" for u in (first, second)
    )


@pytest.mark.parametrize("keep", [0, -1, "3", 1.5])
def test_keep_below_one_or_not_a_number_is_a_usage_error(tmp_path: Path, keep: object) -> None:
    url = URL.create("sqlite", database=str(tmp_path / "db.sqlite"))
    env = setup(tmp_path, url, keep=keep)
    done = run("migrate", "fixture", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "keep" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").rglob("*.db"))


def test_backup_failure_exits_with_its_documented_code(pg_database: URL, tmp_path: Path) -> None:
    env = setup(tmp_path, pg_database)
    ok(run("migrate", "fixture", "--to", "001", env=env))
    no_tools = {**env, "PATH": str(tmp_path / "empty-bin")}
    done = run("migrate", "fixture", env=no_tools)
    assert done.returncode == 7, done.stdout + done.stderr
    assert "pg_dump" in done.stdout + done.stderr
    assert version(pg_database) == {"001_create_big"}


def test_full_disk_during_a_backup_stops_the_migration_with_its_code(
    db_url: URL, tmp_path: Path
) -> None:
    import resource

    env = setup(tmp_path, db_url)
    ok(run("migrate", "fixture", "--to", "001", env=env))
    fill(db_url, 100_000)
    limit = 256 * 1024  # files may not grow past this: what a full disk does to a write

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [NETAPPS, "migrate", "fixture"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_disk,
    )
    assert done.returncode == 7, done.stdout + done.stderr
    assert version(db_url) == {"001_create_big"} and count(db_url) == 100_000
    assert backups(env) == []
    assert not [p for p in (tmp_path / "backups").rglob("*") if p.is_file()], "leftovers"


def test_restoring_the_only_backup_with_keep_one_keeps_it(tmp_path: Path) -> None:
    url = URL.create("sqlite", database=str(tmp_path / "db.sqlite"))
    env = setup(tmp_path, url, keep=1)
    ok(run("migrate", "fixture", "--to", "001", env=env))
    fill(url, 50)
    backup = Path(json.loads(ok(run("migrate", "fixture", "--json", env=env)).stdout)[0]["backup"])
    ok(run("restore", "fixture", str(backup), "--yes", env=env))
    assert backup.is_file(), "the backup being restored was pruned"
    assert version(url) == {"001_create_big"} and count(url) == 50


def test_restore_into_a_new_or_empty_sqlite_file(tmp_path: Path) -> None:
    first = URL.create("sqlite", database=str(tmp_path / "first.sqlite"))
    env, backup = made_backup(first, tmp_path)
    for name, prepare in (("new.sqlite", None), ("empty.sqlite", "touch")):
        path = tmp_path / name
        if prepare:
            path.touch()
        env2 = {**env, "FIXTURE_DATABASE_URL": f"sqlite:///{path}"}
        done = ok(
            run("restore", "fixture", str(backup), "--yes", "--other-database", "--json", env=env2)
        )
        assert json.loads(done.stdout)["backup"] is None  # nothing there to back up
        second = URL.create("sqlite", database=str(path))
        assert version(second) == {"001_create_big"} and count(second) == 50
        if not prepare:
            assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_unusable_backup_folder_stops_downgrade_and_restore_with_code_7(
    db_url: URL, tmp_path: Path
) -> None:
    """The backups folder is a file (or otherwise cannot hold a backup): downgrade and
    restore stop before changing anything, exit 7, one line naming the folder."""
    env, backup = made_backup(db_url, tmp_path)
    config = Path(env["NETAPPS_CONFIG"])
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backups folder should be")
    config.write_text(config.read_text().replace(str(tmp_path / "backups"), str(blocker)))
    for command in (
        ("downgrade", "fixture", "-1"),
        ("restore", "fixture", str(backup), "--yes"),
    ):
        done = run(*command, env=env)
        assert done.returncode == 7, (command, done.stdout + done.stderr)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and str(blocker) in errors[0], done.stderr
        assert "unexpected" not in done.stderr and "Traceback" not in done.stderr
        assert version(db_url) == {"002_create_t2"} and count(db_url) == 50


def _edit_manifest(backup: Path) -> None:
    manifest_file = backup.parent / (backup.name + ".json")
    manifest = json.loads(manifest_file.read_text())
    manifest["from"] = "base"  # what it claims; the file is unchanged
    manifest_file.write_text(json.dumps(manifest))


def _another_user(backup: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    os.chown(backup, 65534, 65534)


@pytest.mark.parametrize(
    "weaken",
    [
        _edit_manifest,
        lambda backup: backup.chmod(0o666),
        lambda backup: (backup.parent / (backup.name + ".json")).chmod(0o662),
        _another_user,
        lambda backup: backup.parent.chmod(0o777),
    ],
    ids=["edited-manifest", "file-0666", "manifest-0662", "another-user", "folder-0777"],
)
def test_a_backup_that_cannot_be_trusted_is_refused_before_anything(
    tmp_path: Path, weaken: Callable[[Path], object]
) -> None:
    """Manifests carry a MAC made with the installation's key; a backup whose manifest was
    edited, or that another user owns, or that others can write (file, manifest or folder)
    is refused with one line, exit 7, nothing changed."""
    url = URL.create("sqlite", database=str(tmp_path / "db.sqlite"))
    env, backup = made_backup(url, tmp_path)
    with connect(url) as conn, conn.begin():
        conn.execute(text("DELETE FROM big WHERE id > 5"))
    weaken(backup)
    refused = run("restore", "fixture", str(backup), "--yes", env=env)
    assert refused.returncode == 7, refused.stdout + refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(backup) in errors[0], refused.stderr
    assert count(url) == 5 and version(url) == {"002_create_t2"}


@pytest.fixture
def two_databases(db_url: URL, tmp_path: Path) -> Iterator[tuple[URL, URL]]:
    """Two empty databases of the parametrised engine."""
    if db_url.get_backend_name() == "sqlite":
        yield db_url, URL.create("sqlite", database=str(tmp_path / "second.db"))
        return
    name = f"{db_url.database}_second"
    admin = {"host": db_url.host, "port": db_url.port, "user": "postgres", "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield db_url, db_url.set(database=name)
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_another_apps_backup_relabelled_as_this_apps_is_refused_by_its_contents(
    two_databases: tuple[URL, URL], tmp_path: Path
) -> None:
    """A ServiceNow backup whose manifest says SAP (and is signed: the manifest alone cannot
    tell) is refused, exit 7 in one line, because its version rows and tables are not SAP's;
    SAP's database is left as it was."""
    sap_url, servicenow_url = two_databases
    config = repo_write_config(
        tmp_path / "netapps.toml",
        ["sap", "servicenow"],
        urls={"sap": url_text(sap_url), "servicenow": url_text(servicenow_url)},
    )
    env = cli_env(NETAPPS_CONFIG=str(config))
    ok(run("migrate", env=env))
    done = ok(run("downgrade", "servicenow", "-1", "--json", env=env))
    servicenow_backup = Path(json.loads(done.stdout)[0]["backup"])
    sap_backup = Path(
        json.loads(ok(run("downgrade", "sap", "-1", "--json", env=env)).stdout)[0]["backup"]
    )
    ok(run("migrate", env=env))
    sap_manifest = json.loads((sap_backup.parent / (sap_backup.name + ".json")).read_text())
    relabelled = sap_backup.parent / ("29991231T000000000000Z-x-y" + servicenow_backup.suffix)
    shutil.copy(servicenow_backup, relabelled)
    manifest = json.loads(
        (servicenow_backup.parent / (servicenow_backup.name + ".json")).read_text()
    )
    manifest.update(app="sap", database=sap_manifest["database"], url=sap_manifest["url"])
    manifest["mac"] = signing.mac(signing.installation_key(), backup_module.signed_part(manifest))
    (relabelled.parent / (relabelled.name + ".json")).write_text(json.dumps(manifest))
    before = ok(run("status", "sap", "--json", env=env)).stdout
    refused = run("restore", "sap", str(relabelled), "--yes", env=env)
    assert refused.returncode == 7, refused.stdout + refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "sap" in errors[0] and str(relabelled) in errors[0], errors
    assert ok(run("status", "sap", "--json", env=env)).stdout == before
    # SAP's own backup of the same kind is restored as ever.
    ok(run("restore", "sap", str(sap_backup), "--yes", env=env))
