"""Every command of docs/MIGRATIONS_GUIDE.md, typed as a user types it, in the folder it names."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from support import (
    ALEMBIC_APPS,
    APP_FOLDERS,
    APPS,
    REPO,
    copy_app,
    run,
    subprocess_env,
    write_config,
)

GUIDE = REPO / "docs/MIGRATIONS_GUIDE.md"
GUIDE_URL = "postgresql+psycopg://sapuser@localhost/saperp"  # the DBA section's SAP database


def guide_blocks(section: str) -> list[list[str]]:
    """The lines of each bash block of one ``## section`` of the guide, exactly as written."""
    body = GUIDE.read_text().split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [block.splitlines() for block in re.findall(r"```bash\n(.*?)```", body, re.S)]


def bash(lines: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The lines as one script, as a user pastes them into a shell (stopping at a failure)."""
    return run(["bash", "-euo", "pipefail", "-c", "\n".join(lines)], cwd=cwd, env=env)


def revision_ids(app: str) -> list[str]:
    """Revision ids, oldest first; each equals its file's name (the guide's interface)."""
    from alembic.script import ScriptDirectory
    from support import alembic_config

    script = ScriptDirectory.from_config(alembic_config(app))
    ids = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    stems = sorted(p.stem for p in (APP_FOLDERS[app] / "alembic" / "versions").glob("*.py"))
    assert sorted(ids) == stems, "a revision id differs from its file name"
    return ids


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("app", ALEMBIC_APPS)
def test_guide_alembic_commands(app: str, db_url: URL, tmp_path: Path) -> None:
    folder = APP_FOLDERS[app]
    # The real app folder, as the guide says; backups go to tmp, not into the repository.
    config = write_config(tmp_path / "netapps.toml", [app])
    env = subprocess_env(
        config, venv_on_path=True, DATABASE_URL=db_url.render_as_string(hide_password=False)
    )
    revs = revision_ids(app)
    head = revs[-1]

    ok(run(["alembic", "upgrade", "head"], cwd=folder, env=env))
    current = ok(run(["alembic", "current"], cwd=folder, env=env))
    assert f"{head} (head)" in current
    history = ok(run(["alembic", "history"], cwd=folder, env=env))
    assert all(rev in history for rev in revs)

    ok(run(["alembic", "downgrade", "-1"], cwd=folder, env=env))
    expected = revs[-2] if len(revs) > 1 else None
    current = ok(run(["alembic", "current"], cwd=folder, env=env))
    assert (expected in current) if expected else (head not in current)

    ok(run(["alembic", "upgrade", head], cwd=folder, env=env))
    ok(run(["alembic", "downgrade", revs[0]], cwd=folder, env=env))
    assert revs[0] in ok(run(["alembic", "current"], cwd=folder, env=env))
    ok(run(["alembic", "downgrade", "base"], cwd=folder, env=env))
    ok(run(["alembic", "upgrade", "head"], cwd=folder, env=env))
    ok(run(["alembic", "stamp", "head"], cwd=folder, env=env))
    assert f"{head} (head)" in ok(run(["alembic", "current"], cwd=folder, env=env))


@pytest.mark.parametrize("app", ALEMBIC_APPS)
def test_guide_revision_autogenerate_and_merge(app: str, tmp_path: Path) -> None:
    folder = copy_app(app, tmp_path)
    config = write_config(tmp_path / "netapps.toml", [app], folders={app: folder})
    env = subprocess_env(config, venv_on_path=True)
    versions = folder / "alembic" / "versions"
    before = {p.name for p in versions.glob("*.py")}
    number = len(before) + 1

    ok(run(["alembic", "upgrade", "head"], cwd=folder, env=env))
    ok(
        run(
            ["alembic", "revision", "--autogenerate", "-m", "description of changes"],
            cwd=folder,
            env=env,
        )
    )
    created = {p.name for p in versions.glob("*.py")} - before
    assert created == {f"{number:03d}_description_of_changes.py"}
    body = (versions / created.pop()).read_text()
    upgrade_body = body.split("def upgrade() -> None:")[1].split("def downgrade")[0]
    assert "op." not in upgrade_body, "models and migrations differ: autogenerate found operations"

    # A second branch from the same parent: the guide's "Multiple head revisions" case.
    ok(run(["alembic", "revision", "-m", "another change"], cwd=folder, env=env))
    newest = versions / f"{number + 1:03d}_another_change.py"
    text = newest.read_text()
    parent = sorted(before)[-1].removesuffix(".py")
    newest.write_text(
        text.replace(
            f"down_revision: str | Sequence[str] | None = '{number:03d}_description_of_changes'",
            f"down_revision: str | Sequence[str] | None = '{parent}'",
        )
    )
    heads = ok(run(["alembic", "heads"], cwd=folder, env=env))
    assert heads.count("(head)") == 2

    ok(run(["alembic", "merge", "heads", "-m", "merge conflicting revisions"], cwd=folder, env=env))
    assert ok(run(["alembic", "heads"], cwd=folder, env=env)).count("(head)") == 1
    ok(run(["alembic", "upgrade", "head"], cwd=folder, env=env))
    assert "(head)" in ok(run(["alembic", "current"], cwd=folder, env=env))


@pytest.mark.parametrize("app", ALEMBIC_APPS)
def test_run_migrations_from_any_directory(app: str, tmp_path: Path) -> None:
    """`python3 run_migrations.py`, even from elsewhere and with a python3 lacking the packages."""
    database = tmp_path / "app.db"
    config = write_config(tmp_path / "netapps.toml", [app])
    env = subprocess_env(config, venv_on_path=True, DATABASE_URL=f"sqlite:///{database}")
    env["PATH"] = os.environ.get("PATH", "")  # plain python3: run_migrations.py finds .venv itself
    python3 = shutil.which("python3", path=env["PATH"]) or sys.executable
    done = run([python3, str(APP_FOLDERS[app] / "run_migrations.py")], cwd=tmp_path, env=env)
    output = ok(done)
    assert str(database) in output
    done = run(
        [sys.executable, str(APP_FOLDERS[app] / "run_migrations.py"), "--json"],
        cwd=Path("/"),
        env=env,
    )
    assert '"to"' in ok(done)


def test_run_all_migrations(tmp_path: Path) -> None:
    urls = {app: f"sqlite:///{tmp_path / (app + '.db')}" for app in APPS}
    config = write_config(tmp_path / "netapps.toml", urls=urls)
    env = subprocess_env(config, venv_on_path=True)
    output = ok(run([sys.executable, str(REPO / "run_all_migrations.py")], cwd=tmp_path, env=env))
    for app in ("sap", "mulesoft", "servicenow", "salesforce"):
        assert app in output
        assert (tmp_path / f"{app}.db").exists()
    # Rerun: a no-op that says so.
    assert "up to date" in ok(
        run([sys.executable, str(REPO / "run_all_migrations.py")], cwd=tmp_path, env=env)
    )


def test_run_all_migrations_reports_failure_and_runs_the_rest(tmp_path: Path) -> None:
    urls = {app: f"sqlite:///{tmp_path / (app + '.db')}" for app in APPS}
    config = write_config(tmp_path / "netapps.toml", urls=urls)
    env = subprocess_env(
        config,
        venv_on_path=True,
        # Built from parts: a throwaway password on a closed port, to see that it is masked.
        SAP_DATABASE_URL=URL.create(
            "postgresql+psycopg", "nobody", "pw", "127.0.0.1", 1, "none"
        ).render_as_string(hide_password=False),
    )
    done = run([sys.executable, str(REPO / "run_all_migrations.py")], cwd=tmp_path, env=env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot connect" in done.stderr and ":pw@" not in done.stdout + done.stderr
    for app in ("mulesoft", "servicenow", "salesforce"):
        assert (tmp_path / f"{app}.db").exists(), f"{app} was not migrated after sap failed"


def test_guide_offline_sql_connects_to_nothing(tmp_path: Path) -> None:
    """The DBA section's `alembic … --sql` lines run as written, on a machine without the
    server: the host in the URL is never looked up (also one that does not exist)."""
    alembic_block = guide_blocks("SQL for a DBA (offline mode)")[0]
    assert alembic_block[0] == "cd SAP_clone/backend" and GUIDE_URL in alembic_block[1]
    for host in ("localhost", "db.invalid"):  # .invalid never resolves (RFC 6761)
        root = tmp_path / host
        folder = copy_app("sap", root / "SAP_clone")
        config = write_config(root / "netapps.toml", ["sap"], folders={"sap": folder})
        lines = [line.replace("@localhost/", f"@{host}/") for line in alembic_block]
        ok(bash(lines, root, subprocess_env(config, venv_on_path=True)))
        upgrade = (folder / "upgrade.sql").read_text()
        downgrade = (folder / "downgrade.sql").read_text()
        assert "CREATE TABLE core.tickets" in upgrade and "alembic_version" in upgrade
        assert "DROP TABLE core.tickets" in downgrade


def test_guide_netapps_plan_sql_runs_where_the_server_is(pg_database: URL, tmp_path: Path) -> None:
    """The DBA section's `netapps plan sap --sql` lines connect (they read the database's
    revision): unreachable, a one-line exit 3 and no SQL; with the URL of a server that
    answers, SQL only on standard output, applied by the section's psql line as written."""
    blocks = guide_blocks("SQL for a DBA (offline mode)")
    psql_line = blocks[1][0]
    plan_lines = [line for line in blocks[2] if line.startswith("SAP_DATABASE_URL=")]
    assert len(plan_lines) == 2 and all("netapps plan sap" in line for line in plan_lines)
    assert any(line.startswith("docker compose run") for line in blocks[2])
    config = write_config(tmp_path / "netapps.toml", ["sap"])
    env = subprocess_env(config, venv_on_path=True)

    # Where the server does not answer (a host that never resolves: the guide's old `db` outside
    # compose): the one-line error the guide names, exit 3, no SQL written.
    unreachable = GUIDE_URL.replace("@localhost/", "@db.invalid/")
    done = bash([plan_lines[0].replace(GUIDE_URL, unreachable)], tmp_path, env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "cannot connect" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "sap.sql").read_text() == ""

    # With a reachable server's URL: the plan on stderr, SQL that psql applies.
    url = pg_database.render_as_string(hide_password=False)
    ok(bash([line.replace(GUIDE_URL, url) for line in plan_lines], tmp_path, env))
    sql = (tmp_path / "sap.sql").read_text()
    assert "CREATE TABLE core.tickets" in sql and "netapps_migration_log" in sql
    assert (tmp_path / "sap-down.sql").read_text() == ""  # an empty database: nothing to undo
    assert psql_line == "psql -v ON_ERROR_STOP=1 -f upgrade.sql saperp"
    (tmp_path / "upgrade.sql").write_text(sql)
    psql_env = {
        **env,
        "PGHOST": str(pg_database.host),
        "PGPORT": str(pg_database.port),
        "PGUSER": str(pg_database.username),
    }
    ok(bash([psql_line.replace("saperp", str(pg_database.database))], tmp_path, psql_env))
    status = ok(bash([f"SAP_DATABASE_URL={url} netapps status sap"], tmp_path, env))
    assert "up to date" in status
