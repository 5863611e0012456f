"""Models against migrations: the differences Alembic's autogenerate sees between an app's
models and a live database (``check``, ``adopt``), or a scratch one migrated to head."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from appdb.engine import flatten_for
from netapps.config import Target
from netapps.connection import run_on_target, run_with_connection
from netapps.plan import make_plan
from netapps.sources.base import Source


def _describe_diff(diff: Any) -> str:
    if isinstance(diff, list):  # column-level changes come grouped
        return "; ".join(_describe_diff(d) for d in diff)
    kind, *rest = diff
    names = []
    for item in rest:
        name = getattr(item, "name", None)
        table = getattr(item, "table", None)
        if name is not None and table is not None and getattr(table, "name", None):
            names.append(f"{table.name}.{name}")
        elif name is not None:
            names.append(str(name))
        elif isinstance(item, str):
            names.append(item)
    return f"{kind.replace('_', ' ')}: {', '.join(names)}" if names else str(kind)


def _compare(conn: Connection, target: Target, metadata: Any) -> list[str]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from netapps.runtime.env import comparison_options

    options = comparison_options(target, metadata)
    options.pop("process_revision_directives", None)
    context = MigrationContext.configure(conn, opts=options)
    diffs = compare_metadata(context, flatten_for(target.url, metadata))
    if conn.in_transaction():
        conn.rollback()
    return [_describe_diff(d) for d in diffs]


def compare_models(target: Target, source: Source) -> list[str]:
    """Differences between the app's models and ``target``'s live schema."""
    if source.kind != "alembic":
        return []
    from netapps.sources.alembic import load_metadata

    metadata = load_metadata(source)  # type: ignore[arg-type]
    return run_on_target(
        target, lambda conn: _compare(conn, target, metadata), schemas=source.schemas()
    )


def compare_models_on_scratch(target: Target, source: Source) -> list[str]:
    """Migrate a throwaway SQLite database to head and compare the models with it."""
    if source.kind != "alembic":
        return []
    from netapps.sources.alembic import load_metadata

    metadata = load_metadata(source)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="netapps-check-") as folder:
        scratch = Target(
            app=target.app,
            url=make_url(f"sqlite:///{Path(folder) / 'scratch.db'}"),
            source="scratch database",
            environment=target.environment,
        )

        def work(conn: Connection) -> list[str]:
            source.apply(conn, scratch, make_plan(scratch, source, (), "head"), lambda *_: None)
            return _compare(conn, scratch, metadata)

        return run_with_connection(scratch.url, work, schemas=source.schemas(), for_migrations=True)
