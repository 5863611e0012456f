"""Many tenants: the result does not depend on the open-file limit or on the number of worker
processes, and every tenant ends exactly as plain Alembic leaves a database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import APP_FOLDERS, BIN, revision_chain, run, subprocess_env, write_config

APP = "servicenow"
HEAD = revision_chain(APP)[-1]


def sqlite_tenants(tmp_path: Path, count: int) -> dict[str, str]:
    """The environment of a netapps whose one app has ``count`` SQLite tenant files."""
    names = [f"t{i:04d}" for i in range(count)]
    (tmp_path / "tenants.txt").write_text("\n".join(names) + "\n")
    (tmp_path / "db").mkdir()
    config = write_config(
        tmp_path / "netapps.toml",
        [APP],
        urls={APP: f"sqlite:///{tmp_path}/db/{APP}-{{tenant}}.db"},
        app_settings={APP: {"tenants_file": "tenants.txt"}},
        extra={"environments": ["dev"]},
    )
    return subprocess_env(config)


def netapps_limited(
    env: dict[str, str], *argv: str, open_files: int = 64, full: bool = False
) -> subprocess.CompletedProcess[str]:
    """``netapps ARGV`` in a process allowed ``open_files`` file descriptors, reporting on
    stderr whether SQLAlchemy was imported (i.e. whether the fast path did not answer);
    ``full``: the full implementation, without trying the fast path first."""
    entry = "netapps.cli" if full else "netapps.entry"
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({open_files}, {open_files}))\n"
        f"from {entry} import main\n"
        f"code = main({list(argv)!r})\n"
        "print('IMPORTED' if 'sqlalchemy' in sys.modules else 'FAST', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    return run([sys.executable, "-c", code], env=env, timeout=600)


def test_200_tenants_with_64_open_files(tmp_path: Path) -> None:
    """Neither path keeps a file open per tenant: with 64 file descriptors, 200 tenants are
    migrated by worker processes, and the no-op is still answered by the fast path."""
    env = sqlite_tenants(tmp_path, 200)
    # The replay off: the worker processes' path, whatever the suite has recorded so far.
    done = netapps_limited(env | {"NETAPPS_REPLAY": "0"}, "migrate", "--parallel", "2", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(done.stdout)
    assert len(rows) == 200
    assert all(
        r["ok"] and r["to"] == [HEAD] and len(r["steps"]) == len(revision_chain(APP)) for r in rows
    )

    for argv in (["migrate", "--json"], ["migrate", "--parallel", "2", "--json"]):
        again = netapps_limited(env, *argv)
        assert again.returncode == 0, again.stderr[-2000:]
        assert again.stderr.strip().splitlines()[-1] == "FAST", argv
        rows = json.loads(again.stdout)
        assert len(rows) == 200 and all(r["ok"] and not r["steps"] for r in rows)

    # The full implementation's answer too.
    full = netapps_limited(env, "status", "--json", full=True)
    assert full.returncode == 0, full.stderr[-2000:]
    assert full.stderr.strip().splitlines()[-1] == "IMPORTED"
    assert [r["state"] for r in json.loads(full.stdout)] == ["up to date"] * 200


def _sqlite_snapshot(path: Path) -> dict[str, Any]:
    """What a database holds that migrating decides: its schema, version and ledger (the
    ledger without what differs by run: when, by whom, how long)."""
    with sqlite3.connect(path) as conn:
        schema = sorted(
            conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            )
        )
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        ledger = conn.execute(
            "SELECT app, revision, direction, checksum FROM netapps_migration_log ORDER BY id"
        ).fetchall()
    conn.close()
    return {"schema": schema, "version": version, "ledger": ledger}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_every_tenant_ends_as_plain_alembic_leaves_a_database(tmp_path: Path, workers: str) -> None:
    env = sqlite_tenants(tmp_path, 5)
    done = run([BIN / "netapps", "migrate", "--parallel", workers], env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

    plain = tmp_path / "plain.db"
    alembic = run(
        [BIN / "alembic", "upgrade", "head"],
        env=subprocess_env(None, DATABASE_URL=f"sqlite:///{plain}"),
        cwd=APP_FOLDERS[APP],
        timeout=300,
    )
    assert alembic.returncode == 0, alembic.stdout + alembic.stderr
    expected = _sqlite_snapshot(plain)
    assert expected["version"] == [(HEAD,)]
    for tenant_db in sorted((tmp_path / "db").glob("*.db")):
        assert _sqlite_snapshot(tenant_db) == expected, tenant_db.name


def _postgres_snapshot(url: str, schema: str) -> dict[str, Any]:
    """A schema's tables, columns, constraints and indexes (its own name taken out, so that
    two schemas compare), its version and its ledger (without when, by whom, how long)."""
    import psycopg

    def plain(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return sorted(
            tuple(str(v).replace(f"{schema}.", "") if v is not None else None for v in row)
            for row in rows
        )

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "character_maximum_length FROM information_schema.columns WHERE table_schema = %s",
            (schema,),
        ).fetchall()
        constraints = conn.execute(
            "SELECT c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s",
            (schema,),
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s", (schema,)
        ).fetchall()
        version = conn.execute(f'SELECT version_num FROM "{schema}".alembic_version').fetchall()
        ledger = conn.execute(
            "SELECT app, revision, direction, checksum "
            f'FROM "{schema}".netapps_migration_log ORDER BY id'
        ).fetchall()
    return {
        "columns": plain(columns),
        "constraints": plain(constraints),
        "indexes": plain(indexes),
        "version": version,
        "ledger": ledger,
    }


def test_schema_tenants_end_as_plain_alembic_leaves_a_schema(
    tmp_path: Path, pg_database: Any
) -> None:
    import psycopg

    url = pg_database.render_as_string(hide_password=False)
    config = write_config(
        tmp_path / "netapps.toml",
        [APP],
        urls={APP: {"url": url, "schema": "tenant_{tenant}"}},
        app_settings={APP: {"tenants": ["a", "b", "c"]}},
        extra={"environments": ["dev"]},
    )
    done = run(
        [BIN / "netapps", "migrate", "--parallel", "2"],
        env=subprocess_env(config),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # Plain alembic, pointed at a schema the stock way: libpq's search_path in the URL.
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("CREATE SCHEMA plain")
    alembic = run(
        [BIN / "alembic", "upgrade", "head"],
        env=subprocess_env(None, DATABASE_URL=f"{url}?options=-csearch_path%3Dplain"),
        cwd=APP_FOLDERS[APP],
        timeout=300,
    )
    assert alembic.returncode == 0, alembic.stdout + alembic.stderr
    expected = _postgres_snapshot(url, "plain")
    assert expected["version"] == [(HEAD,)] and expected["columns"]
    for tenant in "abc":
        assert _postgres_snapshot(url, f"tenant_{tenant}") == expected, tenant
