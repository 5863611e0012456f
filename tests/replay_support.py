"""What the replay tests compare: snapshots of a database's schema and data, leaving out the
moments and durations written when each build ran; and a netapps run that says whether the
replay answered it."""

from __future__ import annotations

import datetime as dt
import glob
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import URL
from support import BIN

#: Columns that hold when or how long something ran: never the same twice.
TIMING_COLUMNS = {"applied_at", "duration_ms", "execution_ms", "installed_on", "applied_by"}
NOW_WINDOW = dt.timedelta(hours=1)


def _recent(value: Any) -> bool:
    """A timestamp written while the test ran (a server default such as now())."""
    moment = value
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            return False
    if not isinstance(moment, dt.datetime):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return abs(dt.datetime.now(dt.UTC) - moment) < NOW_WINDOW


def _rows(columns: list[str], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    keep = [i for i, c in enumerate(columns) if c not in TIMING_COLUMNS]
    cleaned = [tuple("<now>" if _recent(row[i]) else row[i] for i in keep) for row in rows]
    return sorted(cleaned, key=repr)


def sqlite_snapshot(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        objects = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        data = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cursor = conn.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cursor.description]
            data[name] = _rows(columns, cursor.fetchall())
    finally:
        conn.close()
    return {"schema": objects, "data": data}


def _pg_dump() -> str:
    found = shutil.which("pg_dump") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True)), None
    )
    if found is None:
        pytest.skip("pg_dump is not installed: the PostgreSQL schemas cannot be compared")
    return found


def _schema_lines(url: URL, *options: str) -> list[str]:
    """pg_dump's DDL of the database (``options`` narrow it), without what differs from dump
    to dump: comments, and its per-dump random \\restrict key."""
    dump = subprocess.run(
        [
            _pg_dump(),
            "--schema-only",
            "--no-owner",
            *options,
            "-h",
            str(url.host),
            "-p",
            str(url.port or 5432),
            "-U",
            str(url.username),
            str(url.database),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        line
        for line in dump.splitlines()
        if line and not line.startswith(("--", "\\restrict", "\\unrestrict"))
    ]


def pg_snapshot(url: URL) -> dict[str, Any]:
    schema = _schema_lines(url)
    data = {}
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database
    ) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema_name, name in tables:
            cursor = conn.execute(f'SELECT * FROM "{schema_name}"."{name}"')
            columns = [d.name for d in cursor.description or ()]
            data[f"{schema_name}.{name}"] = _rows(columns, cursor.fetchall())
    return {"schema": schema, "data": data}


def snapshot(url: URL) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        return sqlite_snapshot(Path(str(url.database)))
    return pg_snapshot(url)


def probe(env: dict[str, str], *argv: str) -> tuple[bool, int, str]:
    """``netapps ARGV`` in a process that says whether the replay answered (SQLAlchemy never
    imported): (replayed, exit code, stdout)."""
    code = (
        "import sys\n"
        "from netapps.entry import main\n"
        f"code = main({list(argv)!r})\n"
        "print('HEAVY' if 'sqlalchemy' in sys.modules else 'LIGHT', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    return done.stderr.strip().splitlines()[-1] == "LIGHT", done.returncode, done.stdout


def schema_snapshot(url: URL, schema: str) -> dict[str, Any]:
    """One PostgreSQL schema's objects and data, its own name written as ``<schema>``: what
    a schema tenant holds, comparable with another tenant's."""
    lines = [line.replace(schema, "<schema>") for line in _schema_lines(url, f"--schema={schema}")]
    data = {}
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database
    ) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema = %s",
            (schema,),
        ).fetchall()
        for (name,) in tables:
            cursor = conn.execute(f'SELECT * FROM "{schema}"."{name}"')
            columns = [d.name for d in cursor.description or ()]
            data[name] = _rows(columns, cursor.fetchall())
    return {"schema": lines, "data": data}
