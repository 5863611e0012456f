"""Many databases per app: tenant SQLite files and tenant PostgreSQL schemas, migrated with
bounded concurrency, summarised by status, a failed tenant not stopping the others."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL
from support import APP_FOLDERS, connect, subprocess_env, write_config
from support import netapps as run_netapps


def config(
    tmp_path: Path, app: str, database: dict[str, str], tenants: dict[str, Any]
) -> dict[str, str]:
    """The environment of a netapps whose config has one app, with tenants."""
    path = write_config(
        tmp_path / "netapps.toml",
        [app],
        urls={app: database},
        app_settings={app: tenants},
        extra={"environments": ["dev"]},
    )
    return subprocess_env(path)


def netapps(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_netapps(*args, env=env, timeout=300)


def sqlite_tenants(tmp_path: Path, names: list[str]) -> dict[str, str]:
    (tmp_path / "tenants.txt").write_text("# one tenant a line\n" + "\n".join(names) + "\n")
    return config(
        tmp_path,
        "servicenow",
        {"url": f"sqlite:///{tmp_path}/sn-{{tenant}}.db"},
        {"tenants_file": "tenants.txt"},
    )


@pytest.mark.parametrize("workers", ["1", "3"])
def test_sqlite_tenants_failed_one_does_not_stop_the_others(tmp_path: Path, workers: str) -> None:
    names = [f"t{i}" for i in range(6)]
    env = sqlite_tenants(tmp_path, names)
    (tmp_path / "sn-t3.db").write_text("this is not a database")  # one broken tenant
    done = netapps("migrate", "--parallel", workers, "--json", env=env)
    assert done.returncode == 4, done.stdout + done.stderr
    rows = {r["tenant"]: r for r in json.loads(done.stdout)}
    assert set(rows) == set(names)
    assert not rows["t3"]["ok"] and "servicenow:t3" in rows["t3"]["error"]
    others = [rows[n] for n in names if n != "t3"]
    revisions = sorted(
        p.stem for p in (APP_FOLDERS["servicenow"] / "alembic/versions").glob("0*.py")
    )
    assert all(r["ok"] and r["to"] == [revisions[-1]] for r in others)

    table = netapps("status", env=env)
    assert "6 tenant databases" in table.stdout and "5 up to date, 1 error" in table.stdout
    listed = netapps("status", "--tenants", "--json", env=env)
    assert len(json.loads(listed.stdout)) == 6

    (tmp_path / "sn-t3.db").unlink()  # repaired: a rerun continues where it stopped
    again = netapps("migrate", "--parallel", workers, "--json", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    steps = {r["tenant"]: len(r["steps"]) for r in json.loads(again.stdout)}
    assert steps == {n: (len(revisions) if n == "t3" else 0) for n in names}
    assert netapps("status", "--exit-code", env=env).returncode == 0


def test_one_tenant_by_name(tmp_path: Path) -> None:
    env = sqlite_tenants(tmp_path, ["acme", "globex"])
    done = netapps("migrate", "servicenow:acme", "--json", env=env)
    assert done.returncode == 0 and [r["tenant"] for r in json.loads(done.stdout)] == ["acme"]
    assert (tmp_path / "sn-acme.db").exists() and not (tmp_path / "sn-globex.db").exists()
    unknown = netapps("migrate", "servicenow:nobody", env=env)
    assert unknown.returncode == 2 and "no tenant 'nobody'" in unknown.stderr
    ambiguous = netapps("history", "servicenow", env=env)
    assert ambiguous.returncode == 2 and "servicenow:TENANT" in ambiguous.stderr


def test_postgres_schema_tenants(tmp_path: Path, pg_database: URL) -> None:
    url = pg_database.render_as_string(hide_password=False)
    env = config(
        tmp_path,
        "mulesoft",
        {"url": url, "schema": "tenant_{tenant}"},
        {"tenants": ["a", "b", "c"]},
    )
    done = netapps("migrate", "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    with connect(pg_database) as conn:
        insp = inspect(conn)
        for tenant in "abc":
            names = set(insp.get_table_names(schema=f"tenant_{tenant}"))
            assert {"users", "integrations", "alembic_version", "netapps_migration_log"} <= names
        assert "users" not in insp.get_table_names(schema="public")
    # One tenant down, the others untouched; status tells them apart.
    down = netapps("downgrade", "mulesoft:b", "base", "--no-backup", env=env)
    assert down.returncode == 0, down.stdout + down.stderr
    status = {
        r["tenant"]: r["state"] for r in json.loads(netapps("status", "--json", env=env).stdout)
    }
    assert status == {"a": "up to date", "b": "behind", "c": "up to date"}
    with connect(pg_database) as conn:
        rows = conn.execute(text("SELECT count(*) FROM tenant_b.netapps_migration_log")).scalar()
        # every revision up, then down: each schema keeps its own ledger
        assert rows == 2 * len(list((APP_FOLDERS["mulesoft"] / "alembic/versions").glob("0*.py")))
    assert netapps("migrate", env=env).returncode == 0
    assert netapps("status", "--exit-code", env=env).returncode == 0


#: Names outside the documented set ([A-Za-z0-9_] first, then [A-Za-z0-9_-], 63 at most):
#: a control character, surrounding spaces, a path, too long.
BAD_TENANT_NAMES = ["acme\n", "acme\r", " acme", "acme ", "ac\tme", "ac\x00me", "../acme", "a" * 64]


@pytest.mark.parametrize("source", ["tenants", "tenants_file", "command line"])
@pytest.mark.parametrize("name", BAD_TENANT_NAMES, ids=repr)
def test_a_tenant_name_outside_the_set_is_a_usage_error_from_every_source(
    tmp_path: Path, name: str, source: str
) -> None:
    """Exit 2, one line naming it (escaped), and no database made for anybody."""
    folder = tmp_path / "dbs"
    folder.mkdir()
    database = {"url": f"sqlite:///{folder}/sn-{{tenant}}.db"}
    if source == "tenants_file":
        if name != name.strip() and "\x00" not in name:
            pytest.skip("a tenants file is read one name a line, spaces around it removed")
        (tmp_path / "tenants.txt").write_bytes(f"globex\n{name}\n".encode())
        env = config(tmp_path, "servicenow", database, {"tenants_file": "tenants.txt"})
        args: tuple[str, ...] = ("migrate",)
    elif source == "tenants":
        env = config(tmp_path, "servicenow", database, {"tenants": ["globex", "PLACEHOLDER"]})
        written = Path(env["NETAPPS_CONFIG"])
        # As TOML escapes it ("acme\n"); JSON's escapes are TOML's.
        written.write_text(written.read_text().replace('"PLACEHOLDER"', json.dumps(name)))
        args = ("migrate",)
    else:
        if "\x00" in name:
            pytest.skip("a command line cannot hold a NUL")
        env = config(tmp_path, "servicenow", database, {"tenants": ["globex"]})
        args = ("migrate", f"servicenow:{name}")
    done = netapps(*args, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert repr(name) in lines[0] or name.strip() not in ("", "acme"), lines
    assert list(folder.iterdir()) == [], "a database was made"
