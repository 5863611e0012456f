"""PostgreSQL tenants built empty → head from the replay (netapps.replay): a schema tenant's
schema, or a tenant's own database, must be exactly what plain Alembic builds there, each
under its own migration lock."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from replay_support import pg_snapshot, probe, schema_snapshot
from sqlalchemy.engine import URL
from support import APPS, BIN, netapps, subprocess_env, url_text, write_config

from netapps.engines.postgresql import advisory_key

APP = "servicenow"


def schema_fleet(folder: Path, cache: Path, url: URL, prefix: str, count: int) -> dict[str, str]:
    """The environment of a netapps whose app has ``count`` tenants in schemas
    ``<prefix>_<tenant>`` of one database, recording to and replaying from ``cache``."""
    folder.mkdir(parents=True)
    (folder / "tenants.txt").write_text("".join(f"t{i}\n" for i in range(count)))
    config = write_config(
        folder / "netapps.toml",
        [APP],
        urls={APP: {"url": url_text(url), "schema": f"{prefix}_{{tenant}}"}},
        app_settings={APP: {"tenants_file": "tenants.txt"}},
        extra={"environments": ["dev"]},
    )
    return subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache))


def plain_alembic_in_schema(url: URL, schema: str) -> None:
    """``alembic upgrade head`` with the schema as libpq's search_path: the stock way."""
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    done = subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"],
        env=subprocess_env(None, DATABASE_URL=f"{url_text(url)}?options=-csearch_path%3D{schema}"),
        cwd=APPS[APP].folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def test_replayed_schema_tenants_are_the_schemas_plain_alembic_builds(
    pg_database: URL, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    # The first fleet takes the full path, which records its first tenant's build.
    first = schema_fleet(tmp_path / "a", cache, pg_database, "a", 2)
    replayed, code, _ = probe(first, "migrate")
    assert not replayed and code == 0
    assert list(cache.glob("*.json")), "a schema tenant's empty → head build was not recorded"

    fleet = schema_fleet(tmp_path / "b", cache, pg_database, "b", 3)
    # Three connections building side by side (the replay's lanes), whatever the CPUs.
    replayed, code, out = probe(fleet, "migrate", "--parallel", "3", "--json")
    assert replayed and code == 0
    rows = json.loads(out)
    assert [r["tenant"] for r in rows] == ["t0", "t1", "t2"]
    steps = [s["revision"] for s in rows[0]["steps"]]
    assert steps[0] == "001_initial_migration" and len(steps) >= 2
    for row in rows:
        assert row["ok"] and row["from"] == [] and row["to"] == [steps[-1]]
        assert row["url"].endswith(f"(schema b_{row['tenant']})")

    plain_alembic_in_schema(pg_database, "plain")
    expected = schema_snapshot(pg_database, "plain")
    assert expected["data"]["alembic_version"] == [(steps[-1],)]
    assert expected["data"]["netapps_migration_log"]
    assert schema_snapshot(pg_database, "a_t1") == expected  # the full path's
    for tenant in ("t0", "t1", "t2"):
        assert schema_snapshot(pg_database, f"b_{tenant}") == expected, tenant

    status = netapps("status", "--json", env=fleet)
    assert [r["state"] for r in json.loads(status.stdout)] == ["up to date"] * 3


def test_a_schema_tenant_whose_lock_is_held_is_left_to_the_full_path(
    pg_database: URL, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    assert (
        netapps("migrate", env=schema_fleet(tmp_path / "a", cache, pg_database, "a", 1)).returncode
        == 0
    )
    fleet = schema_fleet(tmp_path / "b", cache, pg_database, "b", 3)
    admin = {"host": pg_database.host, "port": pg_database.port, "user": "postgres"}
    with psycopg.connect(**admin, dbname=pg_database.database, autocommit=True) as holder:
        holder.execute(f"SELECT pg_advisory_lock({advisory_key(f'{APP}:t1')})")
        done = netapps("migrate", "--lock-timeout", "1", "--json", env=fleet)
    assert done.returncode == 6, done.stderr
    rows = {r["tenant"]: r for r in json.loads(done.stdout)}
    assert not rows["t1"]["ok"] and "lock" in rows["t1"]["error"]
    assert rows["t0"]["ok"] and rows["t2"]["ok"]
    with psycopg.connect(**admin, dbname=pg_database.database) as conn:
        held = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'b_t1'"
        ).fetchone()
        assert held == (0,)
        for tenant in ("t0", "t2"):
            version = conn.execute(f"SELECT version_num FROM b_{tenant}.alembic_version").fetchall()
            assert len(version) == 1


@pytest.fixture
def tenant_databases(pg_database: URL) -> Iterator[tuple[URL, list[str]]]:
    """Two empty databases, one per tenant: (the URL template, the tenants)."""
    prefix = f"netapps_test_{uuid.uuid4().hex[:10]}"
    tenants = ["t0", "t1"]
    admin = {"host": pg_database.host, "port": pg_database.port, "user": "postgres"}
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:
        for tenant in tenants:
            conn.execute(f'CREATE DATABASE "{prefix}_{tenant}"')
    try:
        yield pg_database.set(database=f"{prefix}_{{tenant}}"), tenants
    finally:
        with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:
            for tenant in tenants:
                conn.execute(f'DROP DATABASE IF EXISTS "{prefix}_{tenant}" WITH (FORCE)')


def test_replayed_tenant_databases_are_the_ones_alembic_builds(
    pg_database: URL, tenant_databases: tuple[URL, list[str]], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    plain = write_config(
        tmp_path / "plain" / "netapps.toml", [APP], urls={APP: url_text(pg_database)}
    )
    # Any empty database of the app records: here a plain one, by the full path.
    done = netapps("migrate", APP, env=subprocess_env(plain, NETAPPS_REPLAY_CACHE=str(cache)))
    assert done.returncode == 0, done.stderr

    template, tenants = tenant_databases
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "tenants.txt").write_text("\n".join(tenants) + "\n")
    config = write_config(
        tmp_path / "fleet" / "netapps.toml",
        [APP],
        urls={APP: url_text(template).replace("%7B", "{").replace("%7D", "}")},
        app_settings={APP: {"tenants_file": "tenants.txt"}},
        extra={"environments": ["dev"]},
    )
    replayed, code, out = probe(
        subprocess_env(config, NETAPPS_REPLAY_CACHE=str(cache)), "migrate", "--json"
    )
    assert replayed and code == 0, out
    assert [r["tenant"] for r in json.loads(out)] == tenants
    expected = pg_snapshot(pg_database)
    for tenant in tenants:
        database = str(template.database).replace("{tenant}", tenant)
        assert pg_snapshot(pg_database.set(database=database)) == expected, tenant
