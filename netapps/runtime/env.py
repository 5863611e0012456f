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

from appdb.engine import flatten_for, schema_translate_map, schemas_of
from netapps.config import Target, load_project
from netapps.connection import run_on_target
from netapps.runtime import sqlite_impl  # noqa: F401  (registers the schema-mapping SQLite impl)
from netapps.settings import ALEMBIC_VERSION_TABLE, LEDGER_TABLE
from netapps.sources.revision_ids import is_generated, next_revision_id

log = logging.getLogger("netapps")

VERSION_TABLE = ALEMBIC_VERSION_TABLE

# Keys of alembic Config.attributes that netapps uses to hand a run to env.py.
CONNECTION = "connection"
TARGET = "netapps_target"
CONFIGURE_HOOK = "netapps_configure"
METADATA = "netapps_metadata"
METADATA_ONLY = "netapps_metadata_only"


def run_alembic_env(metadata: MetaData) -> None:
    from alembic.util import CommandError

    from netapps.errors import NetappsError

    try:
        _run_env(metadata)
    except NetappsError as exc:
        if context.config.attributes.get(TARGET) is not None:
            raise  # netapps started this run: it reports the error itself
        # Typed as plain `alembic`: Alembic prints a CommandError as one "FAILED:" line.
        raise CommandError(str(exc)) from None


def _run_env(metadata: MetaData) -> None:
    config = context.config
    config.attributes[METADATA] = metadata
    if config.attributes.get(METADATA_ONLY):
        return  # netapps only wanted the app's models (check, adopt)
    target: Target | None = config.attributes.get(TARGET)
    plain_alembic = target is None
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
    elif plain_alembic and _alembic_command() in ("upgrade", "downgrade"):
        _run_guarded(target, metadata)
    else:
        # The one connection opener: driver check, a tenant's schema, one-line errors.
        run_on_target(
            target,
            lambda conn: _run_online(conn, target, metadata),
            schemas=schemas_of(metadata),
            for_migrations=True,
        )


#: Our revision ids are descriptive (``008_create_work_order_flow_tables``); Alembic's own
#: version table holds only 32 characters, so netapps creates it (or widens it) first.
VERSION_LENGTH = 64


def ensure_wide_version_table(connection: Connection, target: Target) -> None:
    from sqlalchemy import Column, PrimaryKeyConstraint, String, Table, inspect

    inspector = inspect(connection)
    if not inspector.has_table(VERSION_TABLE):
        table = Table(
            VERSION_TABLE,
            MetaData(),
            Column("version_num", String(VERSION_LENGTH), nullable=False),
            PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
        )
        with connection.begin_nested() if connection.in_transaction() else connection.begin():
            table.create(connection)
    else:
        column = next(c for c in inspector.get_columns(VERSION_TABLE) if c["name"] == "version_num")
        length = getattr(column["type"], "length", None)
        if length is not None and length < VERSION_LENGTH:
            with connection.begin_nested() if connection.in_transaction() else connection.begin():
                target.engine.widen_version_column(
                    connection, VERSION_TABLE, "version_num", VERSION_LENGTH
                )
    if connection.in_transaction():
        connection.commit()


def _alembic_command() -> str:
    """Which alembic command is running: its EnvironmentContext keeps the step function,
    named after the command (upgrade, downgrade, ...)."""
    environment = getattr(context, "_proxy", None)
    function = getattr(environment, "context_opts", {}).get("fn")
    return getattr(function, "__name__", "")


def _run_guarded(target: Target, metadata: MetaData) -> None:
    """``alembic upgrade``/``downgrade`` typed in an app folder: the same lock, validation,
    backup and ledger as ``netapps migrate``."""
    from alembic.util import CommandError

    from netapps.errors import NetappsError
    from netapps.executor import MigrateOptions, MigrateResult, guarded_run
    from netapps.sources.alembic import AlembicSource

    project = load_project(target.app.folder)
    source = AlembicSource(target.app)
    command = _alembic_command()
    # Alembic hands "base" over as None (and "head" as the head's id): name it again, so that
    # `alembic downgrade base` is planned, locked, backed up and recorded like any other run.
    argument = context.get_revision_argument()
    if isinstance(argument, tuple):
        argument = ",".join(argument) if argument else None
    spec = str(argument) if argument else ("base" if command == "downgrade" else "head")
    options = MigrateOptions(destination=spec, direction="down" if command == "downgrade" else "up")

    def work(conn: Connection) -> None:
        result = MigrateResult(target=target)
        with guarded_run(conn, project, target, source, options, result) as run:
            if result.backup:
                log.info("%s: backup written to %s", target.app.label, result.backup)
            extra = {"on_version_apply": source.version_apply_hook(run.on_step)} if run else {}
            _run_online(conn, target, metadata, extra)

    try:
        run_on_target(target, work, schemas=schemas_of(metadata), for_migrations=True)
    except NetappsError as exc:
        raise CommandError(str(exc)) from None


def _describe(target: Target) -> str:
    return f"environment {target.environment}, database {target.display_url} (from {target.source})"


def _target_for_plain_alembic(config_file: str | None) -> Target:
    """A user ran ``alembic`` in an app folder: one app is meant, so DATABASE_URL applies."""
    folder = Path(config_file).resolve().parent if config_file else Path.cwd()
    project = load_project(folder)
    return project.target(project.app_for_folder(folder), single_app=True)


def comparison_options(target: Target, metadata: MetaData) -> dict[str, Any]:
    """How the models are compared with the database: the same options for migrations,
    autogenerate and ``netapps check``."""
    schemas = schemas_of(metadata)
    engine = target.engine
    options: dict[str, Any] = {
        "target_metadata": flatten_for(target.url, metadata),
        "transaction_per_migration": True,
        **engine.alembic_options(),
        "compare_type": True,
        "process_revision_directives": _number_new_revision,
        "render_item": _render_portably,
    }

    def include_name(name: str | None, type_: str, _parent: Any) -> bool:
        if type_ == "table":
            # netapps' own bookkeeping is not part of any app's models.
            return name not in (LEDGER_TABLE, VERSION_TABLE)
        # Compare only the app's own schemas (and the default one), not every schema.
        return type_ != "schema" or name is None or name in schemas

    options["include_name"] = include_name
    if schemas and engine.has_schemas:
        options["include_schemas"] = True
    return options


def _render_portably(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    """Autogenerated migrations that run on both engines and import nothing of ours."""
    from sqlalchemy.sql.functions import now

    from appdb.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "server_default" and isinstance(getattr(obj, "arg", None), now):
        return "sa.func.now()"
    return False  # Alembic's own rendering


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
        **comparison_options(target, metadata),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online(
    connection: Connection,
    target: Target,
    metadata: MetaData,
    extra: dict[str, Any] | None = None,
) -> None:
    options = comparison_options(target, metadata)
    options.update(extra or {})
    translate = schema_translate_map(target.url, schemas_of(metadata))
    if translate:
        # Whoever opened the connection, the models' schemas are mapped away on SQLite here,
        # where the models are known (netapps need not import them before connecting).
        connection.execution_options(schema_translate_map=translate)
    hook = context.config.attributes.get(CONFIGURE_HOOK)
    if hook is not None:
        options.update(hook(connection, target))
    ensure_wide_version_table(connection, target)
    if connection.in_transaction():
        # Per-migration transactions need a connection that is not inside one already.
        connection.commit()
    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()
