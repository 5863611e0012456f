"""The defects the core redesign fixed, each reproduced as a user met it.

Each test drives netapps (in-process or as the installed script) or plain ``alembic`` typed in
an app folder, against real SQLite files or a real PostgreSQL database.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL
from support import (
    APP_FOLDERS,
    APPS,
    BIN,
    NETAPPS,
    connect,
    copy_app,
    subprocess_env,
    url_text,
    write_config,
)
from support import run as run_process

from netapps.cli import main

# SAP's revisions, oldest first, as the repository has them.
SAP_REVISIONS = sorted(p.stem for p in (APP_FOLDERS["sap"] / "alembic" / "versions").glob("0*.py"))


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_process(args, env=env, cwd=cwd, timeout=300)


def ledger(url: URL, schema: str | None = None) -> list[tuple[str, str]]:
    table = f"{schema}.netapps_migration_log" if schema else "netapps_migration_log"
    with connect(url) as conn:
        if not inspect(conn).has_table("netapps_migration_log", schema=schema):
            return []
        rows = conn.execute(text(f"SELECT revision, direction FROM {table} ORDER BY id"))
        return [(r[0], r[1]) for r in rows]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The repository's apps, each on its own SQLite file in tmp; backups in tmp."""
    urls = {app: f"sqlite:///{tmp_path / app}.db" for app in APPS}
    path = write_config(tmp_path / "netapps.toml", urls=urls)
    monkeypatch.setenv("NETAPPS_CONFIG", str(path))
    yield path


def netapps(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- 1. a tenant's schema is used by plain alembic too -------------------------------------
def test_plain_alembic_migrates_a_schema_tenant_in_its_schema(
    tmp_path: Path, pg_database: URL
) -> None:
    config = write_config(
        tmp_path / "netapps.toml",
        ["servicenow"],
        urls={"servicenow": {"url": url_text(pg_database), "schema": "tenant_{tenant}"}},
        app_settings={"servicenow": {"tenants": ["acme"]}},
        extra={"environments": ["dev"]},
    )
    env = subprocess_env(config)
    done = run([str(BIN / "alembic"), "upgrade", "head"], APP_FOLDERS["servicenow"], env)
    assert done.returncode == 0, done.stderr
    with connect(pg_database) as conn:
        insp = inspect(conn)
        assert "users" in insp.get_table_names(schema="tenant_acme")
        assert "users" not in insp.get_table_names(schema="public")
    status = run([str(NETAPPS), "status", "--json"], tmp_path, env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)[0]["state"] == "up to date"


# -- 2. an engine netapps does not support is refused, for every command -------------------
@pytest.mark.parametrize(
    "args",
    [
        ["status", "sap"],
        ["migrate", "sap"],
        ["plan", "sap"],
        ["history", "sap"],
        ["upgrade", "sap", "head"],
        ["downgrade", "sap", "base"],
        ["stamp", "sap", "head"],
        ["check", "sap"],
        ["adopt", "sap"],
        ["repair", "sap"],
        ["apps", "--json"],
    ],
)
def test_unsupported_engine_is_refused_before_anything_runs(
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    monkeypatch.setenv("SAP_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/netapps_x")
    code, out, err = netapps(capsys, *args)
    if args[0] == "apps":  # apps lists every app, the refusal in place of SAP's database
        assert code == 0
        row = next(r for r in json.loads(out) if r["name"] == "sap")
        assert "does not support mysql" in row["error"]
        return
    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "does not support mysql" in lines[0], err
    assert "Traceback" not in out + err


def test_plain_alembic_refuses_an_unsupported_engine_in_one_line(config: Path) -> None:
    env = subprocess_env(config, DATABASE_URL="mysql+pymysql://root@127.0.0.1:3306/x")
    done = run([str(BIN / "alembic"), "upgrade", "head"], APP_FOLDERS["sap"], env)
    assert done.returncode != 0
    assert "does not support mysql" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr


# -- 3. `alembic downgrade base` is locked, backed up and recorded -------------------------
def test_plain_alembic_downgrade_base_is_backed_up_and_recorded(
    db_url: URL, tmp_path: Path, config: Path
) -> None:
    env = subprocess_env(config, DATABASE_URL=url_text(db_url))
    folder = APP_FOLDERS["sap"]
    done = run([sys.executable, "run_migrations.py"], folder, env)
    assert done.returncode == 0, done.stderr
    done = run([str(BIN / "alembic"), "downgrade", "base"], folder, env)
    assert done.returncode == 0, done.stderr
    downs = [revision for revision, direction in ledger(db_url) if direction == "down"]
    assert downs == SAP_REVISIONS[::-1]
    backups = [p for p in (tmp_path / "backups" / "sap").iterdir() if p.suffix != ".json"]
    assert len(backups) == 1 and f"{SAP_REVISIONS[-1]}-base" in backups[0].name


# -- 4. unversioned tables are found in the app's own schemas ------------------------------
def test_unversioned_tables_in_app_schemas_are_found(
    pg_database: URL,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SAP_DATABASE_URL", url_text(pg_database))
    assert netapps(capsys, "migrate", "sap")[0] == 0
    with connect(pg_database) as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("DROP TABLE netapps_migration_log"))
        # Only tables in SAP's own schemas (core, pm, mm, ...) are left, none in public.
        conn.execute(text("DROP TABLE password_reset_tickets"))
        conn.commit()
    code, out, _err = netapps(capsys, "status", "sap", "--json")
    assert code == 0
    assert json.loads(out)[0]["state"] == "unversioned with tables present"
    code, _out, err = netapps(capsys, "migrate", "sap")
    assert code == 5 and "netapps adopt sap" in err
    with connect(pg_database) as conn:
        assert not inspect(conn).has_table("alembic_version")  # nothing ran, nothing stamped
    # adopt compares them with the models: one table is missing, so nothing is stamped.
    code, out, err = netapps(capsys, "adopt", "sap")
    assert code == 5 and "password_reset_tickets" in out, (out, err)


def test_other_migrated_schemas_are_not_the_apps_tables(
    pg_database: URL,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A database whose other schemas hold migrated tenants (a version table each) is still
    empty for the app in its default schema; a schema with bare tables is the app's."""
    with connect(pg_database) as conn:
        for schema in ("tenant_a", "tenant_b"):
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            conn.execute(text(f"CREATE TABLE {schema}.alembic_version (version_num text)"))
            conn.execute(text(f"CREATE TABLE {schema}.tickets (id int)"))
        conn.commit()
    monkeypatch.setenv("SERVICENOW_DATABASE_URL", url_text(pg_database))
    code, out, _err = netapps(capsys, "status", "servicenow", "--json")
    assert code == 0 and json.loads(out)[0]["state"] == "behind", out
    with connect(pg_database) as conn:
        conn.execute(text("CREATE SCHEMA reports"))
        conn.execute(text("CREATE TABLE reports.summary (id int)"))
        conn.commit()
    code, out, _err = netapps(capsys, "status", "servicenow", "--json")
    assert json.loads(out)[0]["state"] == "unversioned with tables present", out
    code, _out, err = netapps(capsys, "migrate", "servicenow")
    assert code == 5 and "reports.summary" in err, err


# -- 5. a bare postgresql:// URL uses SQLAlchemy's default driver --------------------------
def test_bare_postgresql_url_uses_sqlalchemys_default_driver(
    pg_database: URL, config: Path
) -> None:
    bare = url_text(pg_database).replace("postgresql+psycopg://", "postgresql://")
    env = subprocess_env(config, DATABASE_URL=bare)
    done = run([sys.executable, "run_migrations.py"], APP_FOLDERS["servicenow"], env)
    assert done.returncode == 0, done.stderr
    assert "psycopg2" not in done.stderr
    if importlib.util.find_spec("psycopg2") is None:  # the case the defect was about
        assert "install" not in done.stderr


# -- 6. repair holds the migration lock ----------------------------------------------------
def test_repair_waits_for_the_migration_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_app("servicenow", tmp_path / "apps")
    database = tmp_path / "servicenow.db"
    path = write_config(
        tmp_path / "netapps.toml",
        ["servicenow"],
        folders={"servicenow": folder},
        urls={"servicenow": f"sqlite:///{database}"},
    )
    monkeypatch.setenv("NETAPPS_CONFIG", str(path))
    assert netapps(capsys, "migrate", "servicenow")[0] == 0
    revision = folder / "alembic" / "versions" / "001_initial_migration.py"
    revision.write_text(revision.read_text() + "\n# edited after it ran\n")
    from netapps.engines.sqlite import file_lock

    with file_lock(database, "another migrator", 1):
        code, _out, err = netapps(capsys, "repair", "servicenow", "--lock-timeout", "0.5")
    assert code == 6, err
    directions = [d for _r, d in ledger(URL.create("sqlite", database=str(database)))]
    assert "repair" not in directions  # it waited, and gave up: nothing written
    code, out, err = netapps(capsys, "repair", "servicenow")
    assert code == 0 and "accepted 001_initial_migration.py" in out, err


# -- 7. status that cannot tell is never exit 0 --------------------------------------------
def test_status_exits_non_zero_when_it_cannot_tell(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAP_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:1/x")
    code, out, _err = netapps(capsys, "status", "sap", "--json")
    assert code == 3 and json.loads(out)[0]["state"] == "unreachable"
    assert netapps(capsys, "status", "servicenow")[0] == 0  # behind is still exit 0


# -- 8. the plan is the one that runs: Alembic's depends_on is planned and guarded ---------
DEPENDENCY = '''"""drop a leftover table, on a branch of its own"""
from alembic import op

revision = "002_scratch"
down_revision = None
branch_labels = ("scratch",)
depends_on = None


def upgrade() -> None:
    # A table an earlier release may have left behind: dropping it loses its rows.
    op.execute("DROP TABLE IF EXISTS legacy_import")


def downgrade() -> None:
    pass
'''

DEPENDENT = '''"""needs the scratch branch"""
revision = "003_needs_scratch"
down_revision = "001_initial_migration"
depends_on = "002_scratch"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def test_depends_on_is_planned_and_guarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_app("servicenow", tmp_path / "apps")
    (folder / "alembic" / "versions" / "002_scratch.py").write_text(DEPENDENCY)
    (folder / "alembic" / "versions" / "003_needs_scratch.py").write_text(DEPENDENT)
    database = tmp_path / "servicenow.db"
    path = write_config(
        tmp_path / "netapps.toml",
        ["servicenow"],
        folders={"servicenow": folder},
        urls={"servicenow": f"sqlite:///{database}"},
    )
    monkeypatch.setenv("NETAPPS_CONFIG", str(path))
    code, out, err = netapps(capsys, "plan", "servicenow", "--to", "003_needs_scratch", "--json")
    assert code == 0, err
    steps = [s["revision"] for s in json.loads(out)[0]["steps"]]
    assert sorted(steps) == ["001_initial_migration", "002_scratch", "003_needs_scratch"]
    assert steps.index("002_scratch") < steps.index("003_needs_scratch")
    destructive = {s["revision"]: s["destructive"] for s in json.loads(out)[0]["steps"]}
    assert destructive["002_scratch"]
    monkeypatch.setenv("NETAPPS_ENV", "production")
    code, _out, err = netapps(capsys, "upgrade", "servicenow", "003_needs_scratch")
    assert code == 2 and "002_scratch (up)" in err, err
    assert not ledger(URL.create("sqlite", database=str(database)))  # refused: nothing ran
    code, _out, err = netapps(
        capsys, "upgrade", "servicenow", "003_needs_scratch", "--allow-destructive"
    )
    assert code == 0, err
    applied = [r for r, d in ledger(URL.create("sqlite", database=str(database))) if d == "up"]
    assert sorted(applied) == sorted(steps)


# -- the runners call the command layer -----------------------------------------------------
def test_runners_call_the_command_layer_without_a_hidden_flag(tmp_path: Path, config: Path) -> None:
    """run_migrations.py calls the command layer directly: no hidden CLI flag round trip."""
    env = subprocess_env(config)
    done = run([sys.executable, "run_migrations.py", "--app-folder", "/"], APP_FOLDERS["sap"], env)
    assert done.returncode == 2  # the hidden flag is gone: an unknown option is a usage error
    done = run([sys.executable, "run_migrations.py", "--json"], APP_FOLDERS["sap"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["app"] == "sap"
