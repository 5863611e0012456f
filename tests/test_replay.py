"""Empty → head from the replay cache (netapps.replay) builds exactly what Alembic builds.

For every app, on SQLite and PostgreSQL: one database migrated by the full path (which records
the build), one built by the replay; their schemas, data, versions and ledgers must be the
same, apart from the moments and durations written when each ran. And a cache that is corrupt
or missing only makes the next run take the full path.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from replay_support import probe, snapshot, sqlite_snapshot
from sqlalchemy.engine import URL, make_url
from support import (
    APPS,
    BIN,
    copy_app,
    netapps,
    revision_chain,
    subprocess_env,
    url_text,
    write_config,
)

from netapps.settings import LEDGER_TABLE

#: Revisions written by these tests build on ServiceNow's head.
SERVICENOW_HEAD = revision_chain("servicenow")[-1]


@pytest.fixture
def second_database(db_url: URL, tmp_path: Path) -> Iterator[URL]:
    """Another empty database of the same engine as ``db_url``."""
    if db_url.get_backend_name() == "sqlite":
        yield make_url(f"sqlite:///{tmp_path / 'replayed.db'}")
        return
    name = f"netapps_test_{uuid.uuid4().hex[:12]}"
    admin = {"host": db_url.host, "port": db_url.port, "user": db_url.username}
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield db_url.set(database=name)
    finally:
        with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(app: str, url: URL, tmp_path: Path, cache: Path, tag: str) -> str:
    config = write_config(tmp_path / tag / "netapps.toml", [app], urls={app: url_text(url)})
    env = subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache))
    done = netapps("migrate", app, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def took_replay(app: str, url: URL, tmp_path: Path, cache: Path, *flags: str, **extra: str) -> bool:
    """Run `netapps migrate APP` in a process that then says whether SQLAlchemy was imported."""
    config = write_config(tmp_path / "probe" / "netapps.toml", [app], urls={app: url_text(url)})
    env = subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache), **extra)
    code = (
        "import sys\n"
        "from netapps.entry import main\n"
        f"code = main(['migrate', {app!r}, *{list(flags)!r}])\n"
        "print('HEAVY' if 'sqlalchemy' in sys.modules else 'LIGHT', code)\n"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] == "LIGHT 0"


@pytest.mark.parametrize("app", list(APPS))
def test_replayed_database_is_the_one_alembic_builds(
    app: str, db_url: URL, second_database: URL, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    migrate(app, db_url, tmp_path, cache, "full")  # the full path, which records
    assert list(cache.glob("*.json")), "the empty → head build was not recorded"
    assert took_replay(app, second_database, tmp_path, cache)
    built, replayed = snapshot(db_url), snapshot(second_database)
    assert replayed["schema"] == built["schema"]
    assert replayed["data"] == built["data"]
    assert any(LEDGER_TABLE in name for name in replayed["data"])


def test_replay_reports_what_it_ran_and_the_ledger_holds_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = make_url(f"sqlite:///{tmp_path / 'first.db'}")
    second = make_url(f"sqlite:///{tmp_path / 'second.db'}")
    migrate("servicenow", first, tmp_path, cache, "a")
    rows = json.loads(migrate("servicenow", second, tmp_path, cache, "b"))
    assert [s["revision"] for s in rows[0]["steps"]] == revision_chain("servicenow")
    conn = sqlite3.connect(tmp_path / "second.db")
    ledger = conn.execute(
        f"SELECT app, revision, direction, checksum, applied_at FROM {LEDGER_TABLE} ORDER BY id"
    ).fetchall()
    conn.close()
    assert [(r[0], r[1], r[2]) for r in ledger] == [
        ("servicenow", revision, "up") for revision in revision_chain("servicenow")
    ]
    assert all(re.fullmatch(r"[0-9a-f]{64}", r[3]) for r in ledger)
    # netapps reads it back as its own: status agrees it is at head.
    config = write_config(
        tmp_path / "b" / "netapps.toml", ["servicenow"], urls={"servicenow": url_text(second)}
    )
    status = netapps("status", "--json", env=subprocess_env(config))
    assert json.loads(status.stdout)[0]["state"] == "up to date"


def test_corrupt_or_missing_cache_only_costs_the_full_path(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    migrate("salesforce", make_url(f"sqlite:///{tmp_path / 'a.db'}"), tmp_path, cache, "a")
    (recorded,) = cache.glob("*.json")
    recorded.write_text(recorded.read_text()[:-40])  # truncated
    url = make_url(f"sqlite:///{tmp_path / 'b.db'}")
    assert not took_replay("salesforce", url, tmp_path, cache)  # full path, and it records again
    assert json.loads(json.loads(recorded.read_text())["body"])["app"] == "salesforce"
    assert took_replay("salesforce", make_url(f"sqlite:///{tmp_path / 'c.db'}"), tmp_path, cache)
    assert snapshot(make_url(f"sqlite:///{tmp_path / 'b.db'}")) == snapshot(
        make_url(f"sqlite:///{tmp_path / 'c.db'}")
    )


def test_a_database_that_is_not_empty_takes_the_full_path(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    migrate("servicenow", make_url(f"sqlite:///{tmp_path / 'a.db'}"), tmp_path, cache, "a")
    path = tmp_path / "b.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")  # the app's own table name
    conn.commit()
    conn.close()
    config = write_config(
        tmp_path / "b" / "netapps.toml", ["servicenow"], urls={"servicenow": f"sqlite:///{path}"}
    )
    done = netapps(
        "migrate", "servicenow", env=subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache))
    )
    # The full path refuses to migrate over unversioned tables, as without a cache.
    assert done.returncode != 0
    assert "users" in done.stderr + done.stdout


def test_a_changed_migration_file_is_never_replayed_from_the_old_recording(
    tmp_path: Path,
) -> None:
    """The recording is keyed by every file's checksum: a new revision builds the new head."""
    folder = copy_app("servicenow", tmp_path / "copy")
    cache = tmp_path / "cache"

    def build(db: str) -> subprocess.CompletedProcess[str]:
        config = write_config(
            tmp_path / db / "netapps.toml",
            ["servicenow"],
            folders={"servicenow": folder},
            urls={"servicenow": f"sqlite:///{tmp_path / db}.db"},
        )
        return netapps(
            "migrate", "--json", env=subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache))
        )

    assert build("a").returncode == 0
    (folder / "alembic" / "versions" / "003_add_tags.py").write_text(
        f'"""Add tags\n\nRevision ID: 003_add_tags\nRevises: {SERVICENOW_HEAD}\n"""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "003_add_tags"\ndown_revision = "{SERVICENOW_HEAD}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        '    op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True))\n\n\n'
        "def downgrade() -> None:\n"
        '    op.drop_table("tags")\n'
    )
    done = build("b")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["to"] == ["003_add_tags"]
    conn = sqlite3.connect(tmp_path / "b.db")
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("003_add_tags",)
        ]
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'tags'").fetchone()
    finally:
        conn.close()
    assert len(list(cache.glob("*.json"))) == 2  # the new set of files recorded too


def test_production_replays_only_what_the_destructive_guard_has_seen(tmp_path: Path) -> None:
    """A recording made in dev does not know which steps are destructive: production takes
    the full path (its guard) unless --allow-destructive is given."""
    cache = tmp_path / "cache"
    migrate("servicenow", make_url(f"sqlite:///{tmp_path / 'dev.db'}"), tmp_path, cache, "dev")
    production = {"NETAPPS_ENV": "production"}
    url = make_url(f"sqlite:///{tmp_path / 'prod.db'}")
    assert not took_replay("servicenow", url, tmp_path, cache, **production)
    allowed = make_url(f"sqlite:///{tmp_path / 'allowed.db'}")
    assert took_replay("servicenow", allowed, tmp_path, cache, "--allow-destructive", **production)
    assert snapshot(url) == snapshot(allowed)


def test_replay_never_builds_while_another_migrator_holds_the_lock(tmp_path: Path) -> None:
    """The migration lock is the full path's: held elsewhere, nothing is built, and the
    command waits for it and then says who holds it (exit code 6)."""
    from netapps.engines.sqlite import file_lock

    cache = tmp_path / "cache"
    migrate("servicenow", make_url(f"sqlite:///{tmp_path / 'a.db'}"), tmp_path, cache, "a")
    path = tmp_path / "b.db"
    config = write_config(
        tmp_path / "b" / "netapps.toml", ["servicenow"], urls={"servicenow": f"sqlite:///{path}"}
    )
    env = subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache))
    with file_lock(path, "servicenow", 5):
        done = netapps("migrate", "servicenow", "--lock-timeout", "1", env=env)
    assert done.returncode == 6, done.stderr
    assert "lock" in done.stdout + done.stderr
    if path.exists():
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
        finally:
            conn.close()


FROM_ENVIRONMENT = (
    "import os\n\n",
    'os.environ.get("FIXTURE_TABLE", "tags")',
)
#: The app's own code: the check does not read it, so it may do anything.
FROM_APP_CODE = (
    "from servicenow.models import base\n\n",
    'base.Base.__name__.lower().replace("base", "tags")',
)


@pytest.mark.parametrize(
    "reaches", [FROM_ENVIRONMENT, FROM_APP_CODE], ids=["environment", "app-code"]
)
def test_a_migration_that_looks_beyond_the_database_is_never_recorded(
    tmp_path: Path, reaches: tuple[str, str]
) -> None:
    """Its next run may do something else than the recorded one: always the full path."""
    imports, table = reaches
    folder = copy_app("servicenow", tmp_path / "copy")
    (folder / "alembic" / "versions" / "003_from_env.py").write_text(
        '"""From beyond the database\n\nRevision ID: 003_from_env\n"""\n'
        f"\n{imports}import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "003_from_env"\ndown_revision = "{SERVICENOW_HEAD}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        f"    name = {table}\n"
        '    op.create_table(name, sa.Column("id", sa.Integer(), primary_key=True))\n\n\n'
        "def downgrade() -> None:\n"
        f"    op.drop_table({table})\n"
    )
    cache = tmp_path / "cache"
    config = write_config(
        tmp_path / "netapps.toml",
        ["servicenow"],
        folders={"servicenow": folder},
        urls={"servicenow": f"sqlite:///{tmp_path / 'a.db'}"},
    )
    done = netapps("migrate", env=subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache)))
    assert done.returncode == 0, done.stderr
    assert not list(cache.glob("*.json"))


# -- SQLite tenants ------------------------------------------------------------------------------
TENANT_APP = "servicenow"


def revisions(path: Path) -> list[str]:
    """The steps netapps' ledger says were applied to a database, in order."""
    return [row[1] for row in ledger(path)]


def tenant_fleet(folder: Path, cache: Path, count: int) -> dict[str, str]:
    """The environment of a netapps whose one app has ``count`` SQLite tenant files in
    ``folder``/db, recording to and replaying from ``cache``."""
    folder.mkdir(parents=True)
    (folder / "tenants.txt").write_text("".join(f"t{i}\n" for i in range(count)))
    (folder / "db").mkdir()
    config = write_config(
        folder / "netapps.toml",
        [TENANT_APP],
        urls={TENANT_APP: f"sqlite:///{folder}/db/{{tenant}}.db"},
        app_settings={TENANT_APP: {"tenants_file": "tenants.txt"}},
        extra={"environments": ["dev"]},
    )
    return subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache))


def ledger(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            f"SELECT app, revision, direction, checksum FROM {LEDGER_TABLE} ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_replayed_tenants_are_the_databases_plain_alembic_builds(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # The first fleet is built by the full path, which records from its first empty tenant.
    first = tenant_fleet(tmp_path / "first", cache, 3)
    replayed, code, _ = probe(first, "migrate", "--json")
    assert not replayed and code == 0
    assert list(cache.glob("*.json")), "a tenant's empty → head build was not recorded"

    fleet = tenant_fleet(tmp_path / "fleet", cache, 5)
    replayed, code, out = probe(fleet, "migrate", "--json")
    assert replayed and code == 0
    steps = revisions(tmp_path / "first" / "db" / "t0.db")
    assert len(steps) >= 2 and steps[0] == "001_initial_migration"
    rows = json.loads(out)
    assert [r["tenant"] for r in rows] == [f"t{i}" for i in range(5)]
    for row in rows:
        assert row["app"] == TENANT_APP and row["ok"] and row["exit_code"] == 0
        assert row["from"] == [] and row["to"] == [steps[-1]]
        assert [s["revision"] for s in row["steps"]] == steps
        assert row["url"].endswith(f"/fleet/db/{row['tenant']}.db")

    plain = tmp_path / "plain.db"
    alembic = subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"],
        env=subprocess_env(None, DATABASE_URL=f"sqlite:///{plain}"),
        cwd=APPS[TENANT_APP].folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert alembic.returncode == 0, alembic.stderr
    expected = sqlite_snapshot(plain)
    assert expected["data"]["alembic_version"] == [(steps[-1],)]
    by_full_path = ledger(tmp_path / "first" / "db" / "t0.db")
    for i in range(5):
        path = tmp_path / "fleet" / "db" / f"t{i}.db"
        # Schema, data, version and ledger (the app's Alembic environment writes it too).
        assert sqlite_snapshot(path) == expected, path.name
        assert ledger(path) == ledger(plain) == by_full_path, path.name
        assert path.stat().st_mode & 0o777 == 0o600

    # netapps reads them back as its own: the no-op, and the full implementation's status.
    again = netapps("migrate", "--json", env=fleet)
    assert again.returncode == 0 and not any(r["steps"] for r in json.loads(again.stdout))
    status = netapps("status", "--json", env=fleet)
    assert [r["state"] for r in json.loads(status.stdout)] == ["up to date"] * 5


def test_replayed_tenants_report_as_the_full_path_does(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert netapps("migrate", env=tenant_fleet(tmp_path / "a", cache, 1)).returncode == 0
    done = netapps("migrate", env=tenant_fleet(tmp_path / "b", cache, 2))
    assert done.returncode == 0, done.stderr
    steps = revisions(tmp_path / "a" / "db" / "t0.db")
    # No header line per tenant (a thousand of them), one progress line per step, named as
    # the full path names a tenant.
    lines = done.stderr.splitlines()
    assert len(lines) == 2 * len(steps)
    for line, (tenant, rev) in zip(
        lines, [(t, r) for t in ("t0", "t1") for r in steps], strict=True
    ):
        assert re.fullmatch(rf"  ✓ {TENANT_APP}:{tenant} ↑ {rev} \(\d+\.\d\d s\)", line), line
    assert "migrated" in done.stdout


def test_a_tenant_added_to_a_migrated_fleet_is_replayed_when_named(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fleet = tenant_fleet(tmp_path / "a", cache, 2)
    assert netapps("migrate", env=fleet).returncode == 0  # the full path, which records
    with (tmp_path / "a" / "tenants.txt").open("a") as tenants:
        tenants.write("new\n")
    replayed, code, out = probe(fleet, "migrate", f"{TENANT_APP}:new", "--json")
    assert replayed and code == 0
    rows = json.loads(out)
    assert [r["tenant"] for r in rows] == ["new"] and rows[0]["steps"]
    assert revisions(tmp_path / "a" / "db" / "new.db") == revisions(tmp_path / "a" / "db" / "t0.db")
    # An unknown tenant is the full path's to refuse, in its words.
    replayed, code, _ = probe(fleet, "migrate", f"{TENANT_APP}:nobody")
    assert not replayed and code != 0
    status = netapps("status", "--json", env=fleet)
    assert [r["state"] for r in json.loads(status.stdout)] == ["up to date"] * 3


def test_a_tenant_that_is_not_empty_leaves_the_whole_fleet_to_the_full_path(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    assert netapps("migrate", env=tenant_fleet(tmp_path / "a", cache, 1)).returncode == 0
    fleet = tenant_fleet(tmp_path / "b", cache, 3)
    taken = tmp_path / "b" / "db" / "t2.db"
    conn = sqlite3.connect(taken)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")  # the app's own table name
    conn.commit()
    conn.close()
    replayed, code, out = probe(fleet, "migrate", "--json")
    assert not replayed
    rows = {r["tenant"]: r for r in json.loads(out)}
    # The full path refuses the tenant with unversioned tables and builds the others.
    assert code != 0 and not rows["t2"]["ok"]
    assert rows["t0"]["ok"] and rows["t1"]["ok"] and rows["t0"]["steps"]
    conn = sqlite3.connect(taken)
    try:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("users",)]
    finally:
        conn.close()


def test_a_tenant_whose_lock_is_held_is_left_to_the_full_path(tmp_path: Path) -> None:
    from netapps.engines.sqlite import file_lock

    cache = tmp_path / "cache"
    assert netapps("migrate", env=tenant_fleet(tmp_path / "a", cache, 1)).returncode == 0
    fleet = tenant_fleet(tmp_path / "b", cache, 3)
    locked = tmp_path / "b" / "db" / "t1.db"
    with file_lock(locked, f"{TENANT_APP}:t1", 5):
        done = netapps("migrate", "--lock-timeout", "1", "--json", env=fleet)
    # As the full path exits when a lock is held (6), having built every other tenant.
    assert done.returncode == 6, done.stderr
    rows = {r["tenant"]: r for r in json.loads(done.stdout)}
    assert not rows["t1"]["ok"] and "lock" in rows["t1"]["error"]
    assert rows["t0"]["ok"] and rows["t2"]["ok"]
    steps = revisions(tmp_path / "a" / "db" / "t0.db")
    for name in ("t0", "t2"):
        assert revisions(tmp_path / "b" / "db" / f"{name}.db") == steps
    if locked.exists():
        conn = sqlite3.connect(locked)
        try:
            assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
        finally:
            conn.close()
