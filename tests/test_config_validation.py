"""Configuration and identity (issue 12, point 5): netapps.toml is validated before anything
runs, passwords stay masked whatever the URL looks like, two apps never share a database,
new migration files are rendered safely, and what netapps creates is its owner's alone."""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from support import APP_FOLDERS

NETAPPS = str(Path(sys.executable).parent / "netapps")
SECRET = "Zq9-SecretPW"


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


def config(tmp: Path, body: str) -> dict[str, str]:
    path = tmp / "netapps.toml"
    path.write_text(body)
    return cli_env(NETAPPS_CONFIG=str(path))


def salesforce(tmp: Path, extra_top: str = "", extra_app: str = "", database: str = "") -> str:
    folder = APP_FOLDERS["salesforce"]
    database = database or '{ url = "sqlite:///' + str(tmp / "sf.db") + '" }'
    return (
        f'environments = ["dev", "production"]\n{extra_top}\n'
        f'[backups]\ndir = "{tmp / "backups"}"\n\n'
        f'[apps.salesforce]\nfolder = "{folder}"\nkind = "sql"\n{extra_app}\n'
        f"database.dev = {database}\n"
    )


# -- netapps.toml is validated first ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("top", "app", "database", "named"),
    [
        ("backup = { keep = 3 }", "", "", "backup"),  # a misspelled table
        ("", 'foldr = "x"', "", "apps.salesforce.foldr"),
        ("", "", '{ utl = "sqlite:///x.db" }', "apps.salesforce.database.dev.utl"),
        ("", "label = 3", "", "apps.salesforce.label"),
        ("", 'aliases = "sfdc"', "", "apps.salesforce.aliases"),
        ("", 'database.prodution = { url = "sqlite:///y.db" }', "", "database.prodution"),
    ],
)
def test_unknown_keys_and_wrong_types_are_usage_errors(
    tmp_path: Path, top: str, app: str, database: str, named: str
) -> None:
    env = config(tmp_path, salesforce(tmp_path, top, app, database))
    for args in (("migrate", "salesforce"), ("status",), ("migrate",)):
        done = run(*args, env=env)
        assert done.returncode == 2, done.stdout + done.stderr
        assert named in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "sf.db").exists(), "something ran before the configuration was read"
    assert not (tmp_path / "backups").exists()


@pytest.mark.parametrize(("key", "value"), [("keep", '"3"'), ("keep", "0"), ("enabled", '"no"')])
def test_wrong_backup_settings_refused_before_a_backup_or_a_migration(
    tmp_path: Path, key: str, value: str
) -> None:
    good = config(tmp_path, salesforce(tmp_path))
    assert run("migrate", "salesforce", "--to", "001", env=good).returncode == 0
    body = salesforce(tmp_path).replace("[backups]\n", f"[backups]\n{key} = {value}\n")
    env = config(tmp_path, body)
    done = run("migrate", "salesforce", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"backups.{key}" in done.stderr
    assert not (tmp_path / "backups").exists(), "a backup was written first"


# -- passwords stay masked -------------------------------------------------------------------------
HOSTILE_URLS = [
    f"postgresql+psycopg:/postgres:{SECRET}@127.0.0.1:5432/db",  # a slash short
    f"postgresql+psycopg//postgres:{SECRET}@127.0.0.1/db",  # no colon
    f"postgresql+psycopg:///postgres:{SECRET}@127.0.0.1/db",  # a slash too many
    f"postgresql+psycopg:\\\\postgres:{SECRET}@127.0.0.1/db",
    f"postgresql+psycopg://postgres:{SECRET}@x@127.0.0.1/db",  # an unencoded @
    f"postgresql+psycopg://postgres:ab/{SECRET}@127.0.0.1:1/db",  # an unencoded /
    f"postgresql+psycopg://postgres:{SECRET}#x@127.0.0.1:1/db",
    f"postgresql+psycopg://postgres:{SECRET}?x@127.0.0.1:1/db",
    f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:abc/db",
    f"postgres://postgres:{SECRET}@127.0.0.1/db",
    f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/db",
    f"  postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/db  ",
    f"postgresql+psycopg://postgres@127.0.0.1:1/db?password={SECRET}",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_password_masked_whatever_the_url_looks_like(tmp_path: Path, url: str) -> None:
    folders = {"sap": APP_FOLDERS["sap"]}
    body = f'[backups]\ndir = "{tmp_path / "backups"}"\n\n'
    body += f'[apps.sap]\nfolder = "{folders["sap"]}"\nkind = "alembic"\n'
    body += 'database.dev = { url = "sqlite:///./x.db" }\n'
    env = {**config(tmp_path, body), "SAP_DATABASE_URL": url}
    for args in (("status",), ("migrate", "sap"), ("apps", "--json"), ("status", "--json")):
        done = run(*args, env=env)
        assert SECRET not in done.stdout + done.stderr, (args, done.stdout + done.stderr)
        assert done.returncode != 1, done.stdout + done.stderr


# -- one database, one app -------------------------------------------------------------------------
def two_apps(tmp: Path, first: str, second: str) -> dict[str, str]:
    body = f'[backups]\ndir = "{tmp / "backups"}"\n\n'
    for name, url in (("mulesoft", first), ("servicenow", second)):
        body += f'[apps.{name}]\nfolder = "{APP_FOLDERS[name]}"\nkind = "alembic"\n'
        body += f'database.dev = {{ url = "{url}" }}\n\n'
    return config(tmp, body)


def test_two_apps_on_one_sqlite_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    shared = tmp_path / "data" / "shared.db"
    for second in (
        f"sqlite:///{shared}",
        f"sqlite:///{tmp_path}/link/shared.db",  # the same file through a symlink
        f"sqlite:///{tmp_path}/data/../data/shared.db",
    ):
        env = two_apps(tmp_path, f"sqlite:///{shared}", second)
        for args in (("migrate", "mulesoft"), ("migrate", "servicenow"), ("migrate",)):
            done = run(*args, env=env)
            assert done.returncode == 2, done.stdout + done.stderr
            assert "mulesoft" in done.stderr and "servicenow" in done.stderr, done.stderr
        assert not shared.exists()
        # ... and once it exists, neither the fast path nor the full path answers for it.
        shared.touch()
        assert run("status", env=env).returncode == 2
        shared.unlink()


def test_two_apps_on_one_postgresql_database_are_refused(pg_database: URL, tmp_path: Path) -> None:
    url = pg_database.render_as_string(False)
    other_user = pg_database.set(username="someone").render_as_string(False)
    env = two_apps(tmp_path, url, other_user)
    done = run("migrate", "servicenow", env=env)
    assert done.returncode == 2 and "same database" in done.stderr, done.stdout + done.stderr


# -- the same SQLite file, however it is reached, takes the same lock ------------------------------
def test_symlinked_sqlite_path_takes_the_same_lock(tmp_path: Path) -> None:
    from test_targets_under_lock import fixture

    real = tmp_path / "real.db"
    (tmp_path / "alias.db").symlink_to(real)
    env = fixture(tmp_path, URL.create("sqlite", database=str(real)))
    marker = tmp_path / "stall"
    holder = subprocess.Popen(
        [NETAPPS, "migrate", "race"],
        env={**env, "FIXTURE_STALL": str(marker)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        aliased = {**env, "RACE_DATABASE_URL": f"sqlite:///{tmp_path / 'alias.db'}"}
        waiter = run("migrate", "race", "--lock-timeout", "1", env=aliased)
        assert waiter.returncode == 6, waiter.stdout + waiter.stderr
    finally:
        Path(str(marker) + ".release").write_text("go")
        holder.wait(timeout=120)


# -- new migration files are rendered safely -------------------------------------------------------
INJECTION = 'add x"""\nimport os\nos.system("touch PWNED")\n"""\\'


def test_revision_message_cannot_inject_code(tmp_path: Path) -> None:
    folder = tmp_path / "backend"
    shutil.copytree(
        APP_FOLDERS["servicenow"], folder, ignore=shutil.ignore_patterns("*.db", "__pycache__")
    )
    body = f'[backups]\ndir = "{tmp_path / "backups"}"\n\n'
    body += f'[apps.servicenow]\nfolder = "{folder}"\nkind = "alembic"\n'
    body += f'database.dev = {{ url = "sqlite:///{tmp_path / "sn.db"}" }}\n'
    env = config(tmp_path, body)
    done = run("revision", "servicenow", "-m", INJECTION, "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    created = [p for p in (folder / "alembic" / "versions").glob("*.py") if "add_x" in p.name]
    assert len(created) == 1, created
    tree = ast.parse(created[0].read_text())
    assert not any(
        isinstance(node, ast.Import) and node.names[0].name == "os" for node in tree.body
    )
    assert "touch PWNED" in (ast.get_docstring(tree) or "")
    assert run("plan", "servicenow", env=env).returncode == 0
    assert not (folder / "PWNED").exists() and not Path("PWNED").exists()


def test_sql_revision_message_cannot_inject_sql(tmp_path: Path) -> None:
    folder = tmp_path / "Salesforce"
    shutil.copytree(APP_FOLDERS["salesforce"] / "migrations", folder / "migrations")
    # Its reviewed lint baseline too: `check` lints the migrations.
    shutil.copy(APP_FOLDERS["salesforce"] / "lint-baseline.toml", folder)
    body = f'[backups]\ndir = "{tmp_path / "backups"}"\n\n'
    body += f'[apps.salesforce]\nfolder = "{folder}"\nkind = "sql"\n'
    body += f'database.dev = {{ url = "sqlite:///{tmp_path / "sf.db"}" }}\n'
    env = config(tmp_path, body)
    done = run("revision", "salesforce", "-m", "add quotes\nDROP TABLE accounts;", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    created = [p for p in (folder / "migrations").glob("*_add_quotes*.sql")]
    assert len(created) == 2, created
    for path in created:
        code = [
            line for line in path.read_text().splitlines() if line and not line.startswith("--")
        ]
        assert code == [], (path.name, code)


# -- what netapps creates is its owner's alone -----------------------------------------------------
def test_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    body = salesforce(tmp_path)
    env = config(tmp_path, body)
    old = os.umask(0o022)
    try:
        assert run("migrate", "salesforce", env=env).returncode == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "sf.db").stat().st_mode) == 0o600


def test_parallel_workers_die_with_their_parent(tmp_path: Path) -> None:
    from test_targets_under_lock import fixture

    env = fixture(tmp_path, URL.create("sqlite", database=str(tmp_path / "unused.db")))
    toml = Path(env["NETAPPS_CONFIG"])
    text = toml.read_text().replace("sqlite:///./race.db", "sqlite:///./race-{tenant}.db")
    text = text.replace("[apps.race]\n", '[apps.race]\ntenants = ["a", "b"]\n')
    toml.write_text(text)
    env.pop("RACE_DATABASE_URL")
    marker = tmp_path / "stall"
    parent = subprocess.Popen(
        [NETAPPS, "migrate", "--parallel", "2", "--json"],
        env={**env, "FIXTURE_STALL": str(marker)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert parent.poll() is None and time.monotonic() < deadline, "never started"
            time.sleep(0.05)
        workers = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and _parent_of(int(p.name)) == parent.pid
        ]
        assert workers, "no worker processes found"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), "workers outlived their parent"
    finally:
        Path(str(marker) + ".release").write_text("go")
    # The kill left each tenant as it was: a rerun completes both.
    done = run("migrate", "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert all(row["ok"] for row in json.loads(done.stdout))


def _parent_of(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# -- every file that could run later is checksummed; an inserted revision is reported ----------
def sql_app(tmp: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp / "Salesforce"
    shutil.copytree(APP_FOLDERS["salesforce"] / "migrations", folder / "migrations")
    # Its reviewed lint baseline too: `check` lints the migrations.
    shutil.copy(APP_FOLDERS["salesforce"] / "lint-baseline.toml", folder)
    body = f'[backups]\ndir = "{tmp / "backups"}"\n\n'
    body += f'[apps.salesforce]\nfolder = "{folder}"\nkind = "sql"\n'
    body += f'database.dev = {{ url = "sqlite:///{tmp / "sf.db"}" }}\n'
    return folder, config(tmp, body)


def test_edited_down_sql_file_is_caught_before_it_runs(tmp_path: Path) -> None:
    folder, env = sql_app(tmp_path)
    assert run("migrate", "salesforce", env=env).returncode == 0
    down = next((folder / "migrations").glob("003_*.down.sql"))
    down.write_text(down.read_text() + "\nDROP TABLE accounts;\n")
    for args in (("downgrade", "salesforce", "-1"), ("check", "salesforce")):
        done = run(*args, env=env)
        assert done.returncode == 5, done.stdout + done.stderr
        assert "003" in done.stdout + done.stderr and "repair" in done.stdout + done.stderr
    assert run("status", "salesforce", "--exit-code", env=env).returncode == 5
    assert run("repair", "salesforce", env=env).returncode == 0
    done = run("downgrade", "salesforce", "-1", env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ledgers_of_older_netapps_are_not_edits(tmp_path: Path) -> None:
    """Ledgers written before down files were checksummed hold the up file's checksum."""
    import sqlite3

    from netapps.sources.sql_files import discover

    folder, env = sql_app(tmp_path)
    assert run("migrate", "salesforce", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "sf.db") as conn:
        for migration in discover(folder / "migrations", "sqlite"):
            conn.execute(
                "UPDATE netapps_migration_log SET checksum = ? WHERE revision = ?",
                (migration.checksum, migration.version),
            )
    assert run("status", "salesforce", "--exit-code", env=env).returncode == 0
    assert run("check", "salesforce", env=env).returncode == 0


def test_revision_inserted_into_an_applied_chain_is_reported(tmp_path: Path) -> None:
    from test_targets_under_lock import REVISION, fixture

    env = fixture(tmp_path, URL.create("sqlite", database=str(tmp_path / "db.sqlite")))
    assert run("migrate", "race", env=env).returncode == 0
    versions = tmp_path / "race_app" / "alembic" / "versions"
    inserted = REVISION.format(n=9, parent=repr("003_t3")).replace("009_t9", "003a_t9")
    (versions / "003a_t9.py").write_text(inserted)
    fourth = versions / "004_t4.py"
    fourth.write_text(
        fourth.read_text().replace("down_revision = '003_t3'", "down_revision = '003a_t9'")
    )
    assert run("check", "race", env=env).returncode == 5  # 004 was edited
    assert run("repair", "race", env=env).returncode == 0
    done = run("check", "race", env=env)
    assert done.returncode == 5, done.stdout + done.stderr
    assert "003a_t9" in done.stdout + done.stderr and "never ran" in done.stdout + done.stderr


def test_two_tenants_on_one_database_are_refused(tmp_path: Path) -> None:
    body = f'[backups]\ndir = "{tmp_path / "backups"}"\n\n'
    body += f'[apps.servicenow]\nfolder = "{APP_FOLDERS["servicenow"]}"\nkind = "alembic"\n'
    body += 'tenants = ["acme", "globex"]\n'
    body += f'database.dev = {{ url = "sqlite:///{tmp_path}/sn-{{tenant}}.db" }}\n'
    env = config(tmp_path, body)
    # An override without {tenant} points every tenant at one file.
    env["SERVICENOW_DATABASE_URL"] = f"sqlite:///{tmp_path}/one.db"
    for args in (("migrate",), ("migrate", "servicenow:acme"), ("status",)):
        done = run(*args, env=env)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "servicenow:acme" in done.stderr and "servicenow:globex" in done.stderr
    assert not (tmp_path / "one.db").exists()
