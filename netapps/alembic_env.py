"""The one implementation behind every app's ``alembic/env.py``.

Each app's env.py is three lines that call :func:`run_alembic_env` with its models' MetaData.
Whoever starts Alembic — ``netapps``, ``run_migrations.py`` or a user typing ``alembic`` in the
app's folder — the same code picks the database, takes the migration lock, runs each migration
in its own transaction and records it in the ledger.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import Connection, MetaData

from netapps.config import Target, load_project
from netapps import sqlite_impl  # noqa: F401  (registers the schema-mapping SQLite impl)
from netapps.database import flatten_for, run_with_connection, schemas_of
from netapps.recorder import LEDGER_TABLE
from netapps.revision_ids import is_generated, next_revision_id
from netapps.urls import is_sqlite

log = logging.getLogger("netapps")

VERSION_TABLE = "alembic_version"

# Keys of alembic Config.attributes that netapps uses to hand a run to env.py.
CONNECTION = "connection"
TARGET = "netapps_target"
CONFIGURE_HOOK = "netapps_configure"
METADATA = "netapps_metadata"
METADATA_ONLY = "netapps_metadata_only"


def run_alembic_env(metadata: MetaData) -> None:
    config = context.config
    config.attributes[METADATA] = metadata
    if config.attributes.get(METADATA_ONLY):
        return  # netapps only wanted the app's models (check, adopt)
    target: Target | None = config.attributes.get(TARGET)
    if target is None:
        if config.config_file_name:
            fileConfig(config.config_file_name, disable_existing_loggers=False)
        target = _target_for_plain_alembic(config.config_file_name)
        log.info("%s: %s", target.app.label, _describe(target))
    connection: Connection | None = config.attributes.get(CONNECTION)
    if context.is_offline_mode():
        _run_offline(target, metadata)
    elif connection is not None:
        _run_online(connection, target, metadata)
    else:
        run_with_connection(
            target.url,
            lambda conn: _run_online(conn, target, metadata),
            schemas=schemas_of(metadata),
            for_migrations=True,
        )


def _describe(target: Target) -> str:
    return f"environment {target.environment}, database {target.display_url} (from {target.source})"


def _target_for_plain_alembic(config_file: str | None) -> Target:
    """A user ran ``alembic`` in an app folder: one app is meant, so DATABASE_URL applies."""
    folder = Path(config_file).resolve().parent if config_file else Path.cwd()
    project = load_project(folder)
    return project.target(project.app_for_folder(folder), single_app=True)


def comparison_options(target: Target, metadata: MetaData) -> dict[str, Any]:
    """How the models are compared with the database, the same for autogenerate and check."""
    return _common_options(target, metadata)


def _common_options(target: Target, metadata: MetaData) -> dict[str, Any]:
    schemas = schemas_of(metadata)
    sqlite = is_sqlite(target.url)
    options: dict[str, Any] = {
        "target_metadata": flatten_for(target.url, metadata),
        "transaction_per_migration": True,
        # SQLite cannot ALTER most things: Alembic's batch mode copies the table instead.
        "render_as_batch": sqlite,
        "compare_type": True,
        "process_revision_directives": _number_new_revision,
    }

    def include_name(name: str | None, type_: str, _parent: Any) -> bool:
        if type_ == "table":
            # netapps' own bookkeeping is not part of any app's models.
            return name not in (LEDGER_TABLE, VERSION_TABLE)
        # Compare only the app's own schemas (and the default one), not every schema.
        return type_ != "schema" or name is None or name in schemas

    options["include_name"] = include_name
    if schemas and not sqlite:
        options["include_schemas"] = True
    return options


def _number_new_revision(migration_context: Any, _revision: Any, directives: list[Any]) -> None:
    script = directives[0] if directives else None
    if script is None or not is_generated(getattr(script, "rev_id", None)):
        return
    existing = [rev.revision for rev in context.script.walk_revisions()]
    script.rev_id = next_revision_id(existing, script.message)


def _run_offline(target: Target, metadata: MetaData) -> None:
    context.configure(
        url=target.url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_common_options(target, metadata),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online(connection: Connection, target: Target, metadata: MetaData) -> None:
    options = _common_options(target, metadata)
    if is_sqlite(target.url):
        # netapps.database made SQLite DDL transactional; tell Alembic it may rely on it.
        options["transactional_ddl"] = True
    hook = context.config.attributes.get(CONFIGURE_HOOK)
    if hook is not None:
        options.update(hook(connection, target))
    if connection.in_transaction():
        # Per-migration transactions need a connection that is not inside one already.
        connection.commit()
    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()
