"""A database cloned from a template (netapps.testing) holds exactly what migrating an empty
database holds: schema, data, version and ledger, for every app on both engines.

The reference is built the plain way, in a database of its own: ``alembic upgrade`` for the
Alembic apps, ``netapps migrate`` for Salesforce's SQL files. The clone comes from the plugin's
``netapps_db``. Only what differs between any two builds is left out of the comparison: when a
ledger (or SQL version table) row was written and how long its migration took.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL
from support import APPS, KINDS, connect, upgrade

from netapps import commands
from netapps.config import load_project
from netapps.settings import LEDGER_TABLE, SQL_VERSION_TABLE
from netapps.testing.plugin import DatabaseFactory

#: Columns whose values are the time of the build, per bookkeeping table.
BUILD_TIME_COLUMNS = {
    LEDGER_TABLE: {"id", "applied_at", "duration_ms"},
    SQL_VERSION_TABLE: {"applied_at", "execution_ms"},
}
SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")

#: Every app at head, and a revision below head of one Alembic app and of the SQL app.
CASES = [(app, "head") for app in APPS] + [
    ("sap", "005_create_fi_tables"),
    ("salesforce", "002"),
]


def build_plainly(app: str, url: URL, revision: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``alembic upgrade REV`` (Alembic apps) or ``netapps migrate --to REV`` (SQL files)."""
    if KINDS[app] == "alembic":
        upgrade(app, url, revision)
        return
    monkeypatch.setenv(APPS[app].url_env, url.render_as_string(hide_password=False))
    project = load_project()
    options = commands.MigrateOptions(destination=revision)
    (result,) = commands.migrate(project, commands.targets(project, [app]), options)
    assert result.ok, result.error


def _is_now(default: object) -> bool:
    """A server default that is the time of the insert (CURRENT_TIMESTAMP, now())."""
    return any(word in str(default).lower() for word in ("current_timestamp", "now()"))


def _rows(conn: Any, schema: str | None, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    kept = [c for c in columns if c not in BUILD_TIME_COLUMNS.get(table, set())]
    quoted = ", ".join(f'"{c}"' for c in kept)
    name = f'"{schema}"."{table}"' if schema else f'"{table}"'
    order = " ORDER BY id" if table == LEDGER_TABLE else ""
    rows = [tuple(r) for r in conn.execute(text(f"SELECT {quoted} FROM {name}{order}"))]
    return rows if order else sorted(rows, key=repr)


def _constraints_sorted(sql: str | None) -> str | None:
    """A CREATE TABLE with its CONSTRAINT clauses in name order. Alembic's batch mode (SQLite's
    ALTER TABLE: the table is recreated) writes them in the order of a Python set, which
    differs between two processes: ``alembic upgrade`` run twice does not write the same
    text. The columns keep their order."""
    if sql is None:
        return None
    lines = [line.rstrip(", ") for line in sql.splitlines()]
    constraints = sorted(line for line in lines if line.strip().startswith("CONSTRAINT"))
    others = [line for line in lines if not line.strip().startswith("CONSTRAINT")]
    return "\n".join(others[:-1] + constraints + others[-1:]) if constraints else sql


def snapshot(url: URL) -> dict[str, Any]:
    """Everything a migration leaves in the database, comparable across two databases."""
    found: dict[str, Any] = {}
    with connect(url) as conn:
        insp = inspect(conn)
        if url.get_backend_name() == "sqlite":
            found["schema"] = [
                (kind, name, table, _constraints_sorted(sql))
                for kind, name, table, sql in conn.execute(
                    text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
                )
            ]
            found["user_version"] = conn.execute(text("PRAGMA user_version")).scalar()
            schemas: list[str | None] = [None]
        else:
            found["sequences"] = conn.execute(
                text(
                    "SELECT schemaname, sequencename, last_value FROM pg_sequences "
                    "ORDER BY schemaname, sequencename"
                )
            ).all()
            found["database"] = conn.execute(
                text(
                    "SELECT pg_encoding_to_char(encoding), datcollate, datctype, "
                    "pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
                )
            ).all()
            schemas = [s for s in insp.get_schema_names() if s not in SYSTEM_SCHEMAS]
        for schema in schemas:
            for table in sorted(insp.get_table_names(schema=schema)):
                described = insp.get_columns(table, schema=schema)
                # Seed rows' created_at: the time of the build (the template's, in a clone).
                found[f"time-of-insert columns {schema}.{table}"] = [
                    c["name"] for c in described if _is_now(c.get("default"))
                ]
                columns = [c["name"] for c in described if not _is_now(c.get("default"))]
                found[f"rows {schema}.{table}"] = _rows(conn, schema, table, columns)
        conn.rollback()
    if url.get_backend_name() == "postgresql":
        found["schema"] = pg_schema(url)
    return found


def pg_schema(url: URL) -> str:
    """``pg_dump --schema-only`` of the whole database: every object, its owner, its grants."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is needed to compare PostgreSQL schemas; install the client tools")
    conninfo = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
    done = subprocess.run(
        [pg_dump, "--schema-only", "--dbname", conninfo],
        capture_output=True,
        text=True,
        check=True,
    )
    # pg_dump 15.14+ fences its output with a random key per run: not part of the schema.
    lines = done.stdout.splitlines()
    return "\n".join(line for line in lines if not line.startswith(("\\restrict", "\\unrestrict")))


@pytest.mark.parametrize(("app", "revision"), CASES)
def test_a_clone_holds_what_migrating_builds(
    app: str,
    revision: str,
    db_url: URL,
    netapps_db: DatabaseFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = db_url.get_backend_name()
    clone = netapps_db(app, revision, engine)
    build_plainly(app, db_url, revision, monkeypatch)
    cloned, built = snapshot(clone), snapshot(db_url)
    assert cloned.keys() == built.keys()
    differing = sorted(k for k in built if cloned[k] != built[k])
    assert not differing, {k: (cloned[k], built[k]) for k in differing}
    ledger = f"rows {'public' if engine == 'postgresql' else None}.{LEDGER_TABLE}"
    assert built[ledger], "the reference has no ledger rows: the comparison would be empty"


def test_clones_are_independent(netapps_db: DatabaseFactory) -> None:
    """What one test writes into its database is not in the next one's."""
    first, second = netapps_db("servicenow"), netapps_db("servicenow")
    assert first != second
    with connect(first) as conn:
        conn.execute(text(f"DELETE FROM {LEDGER_TABLE}"))
        conn.commit()
    with connect(second) as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {LEDGER_TABLE}")).scalar_one() > 0
