"""Writes docs/SCHEMAS.md from the code, so the schema reference cannot drift.

    make docs                      # or: .venv/bin/python docs/schemas.py
    .venv/bin/python docs/schemas.py --check   # exit 1 when docs/SCHEMAS.md is stale

The Alembic apps' tables come from their models (the MetaData each app's alembic/env.py hands
to netapps); the SQL-file apps' tables from running their migrations on an in-memory SQLite
database and reading back what they created. Every app of netapps.toml is listed, in its order.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import CheckConstraint, MetaData, Table, UniqueConstraint

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "SCHEMAS.md"

HEADER = """\
# Schema reference

Generated from the code by `make docs` (`docs/schemas.py`); do not edit by hand:
`tests/test_docs.py` fails when this file is stale. The Alembic apps' tables are their models
at head (what `netapps check` holds the migrations to); Salesforce's are what its SQL files
create, as read back from SQLite. Types are SQLAlchemy's generic names; see each app's models
or SQL files for the details of each engine.

On SQLite, SAP's schemas (`core`, `pm`, `mm`, `fi`, `pm_workflow`) are mapped away: a table
`core.tickets` is `tickets` there. Every database also holds netapps' own bookkeeping:
`alembic_version` (Alembic apps) or `schema_version` (SQL apps), and `netapps_migration_log`.
"""


@contextmanager
def _repository_config() -> Iterator[None]:
    """netapps.toml of this checkout, whatever NETAPPS_CONFIG says."""
    old = os.environ.get("NETAPPS_CONFIG")
    os.environ["NETAPPS_CONFIG"] = str(ROOT / "netapps.toml")
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("NETAPPS_CONFIG", None)
        else:
            os.environ["NETAPPS_CONFIG"] = old


def _models(app: Any) -> MetaData:
    from netapps.sources.alembic import AlembicSource, load_metadata

    metadata: MetaData = load_metadata(AlembicSource(app))
    return metadata


def _from_sql_files(app: Any) -> MetaData:
    from sqlalchemy.engine import make_url

    from appdb.engine import make_engine
    from netapps.sources import sql_runner

    url = make_url("sqlite://")
    engine = make_engine(url, for_migrations=True)
    metadata = MetaData()
    try:
        with engine.connect() as conn:
            sql_runner.upgrade(conn, sql_runner.discover(app.folder / "migrations", "sqlite"))
            metadata.reflect(conn)
            for table in metadata.tables.values():
                # The type as the SQL file declares it (SQLite reflects only its affinity).
                pragma = conn.exec_driver_sql(f'PRAGMA table_info("{table.name}")')
                for row in pragma:
                    table.columns[row[1]].info["declared"] = row[2]
    finally:
        engine.dispose()
    metadata.remove(metadata.tables[sql_runner.VERSION_TABLE])
    return metadata


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _default(column: Any) -> str:
    default = column.server_default
    if default is None:
        return ""
    argument = getattr(default, "arg", default)
    return _cell(str(getattr(argument, "text", argument)))


def _table(table: Table) -> list[str]:
    lines = [f"### `{table.fullname}`", ""]
    if table.comment:
        lines += [_cell(table.comment), ""]
    lines += ["| column | type | null | default | key |", "| --- | --- | --- | --- | --- |"]
    for column in table.columns:
        keys = []
        if column.primary_key:
            keys.append("PK")
        for fk in sorted(column.foreign_keys, key=lambda fk: fk.target_fullname):
            on_delete = f" ON DELETE {fk.ondelete}" if fk.ondelete else ""
            keys.append(f"→ `{fk.target_fullname}`{on_delete}")
        try:
            kind = column.info.get("declared") or str(column.type)
        except Exception:  # a type only a dialect can name
            kind = type(column.type).__name__
        lines.append(
            f"| `{column.name}` | {_cell(kind)} | {'yes' if column.nullable else 'no'} "
            f"| {_default(column)} | {' '.join(keys)} |"
        )
    extras = []
    for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
        if isinstance(constraint, UniqueConstraint):
            columns = ", ".join(c.name for c in constraint.columns)
            extras.append(f"- unique ({columns})")
        elif isinstance(constraint, CheckConstraint):
            condition = constraint.sqltext.compile(compile_kwargs={"literal_binds": True})
            extras.append(f"- check: `{_cell(str(condition))}`")
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        columns = ", ".join(c.name for c in index.columns)
        extras.append(f"- {'unique ' if index.unique else ''}index ({columns})")
    if extras:
        lines += ["", *extras]
    return [*lines, ""]


def render() -> str:
    from netapps.config import load_project

    with _repository_config():
        project = load_project(ROOT)
    parts = [HEADER]
    for app in project.apps:
        metadata = _models(app) if app.kind == "alembic" else _from_sql_files(app)
        folder = app.folder.relative_to(ROOT)
        source = "models" if app.kind == "alembic" else "SQL migrations"
        tables = sorted(metadata.tables.values(), key=lambda t: t.fullname)
        parts.append(f"## {app.label} (`{app.name}`, `{folder}`)\n")
        parts.append(f"{len(tables)} tables, from its {source}.\n")
        for table in tables:
            parts.append("\n".join(_table(table)))
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.is_file() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
