"""The one implementation behind every app's ``alembic/env.py``.

Each app's env.py is three lines that call :func:`run_alembic_env` with its models' MetaData.
Whoever starts Alembic — ``netapps``, ``run_migrations.py`` or a user typing ``alembic`` in the
app's folder — the same code picks the database, takes the migration lock, runs each migration
in its own transaction and records it in the ledger.
"""

from __future__ import annotations

import io
import logging
from contextlib import nullcontext
from logging.config import fileConfig
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, MetaData
from sqlalchemy.engine import URL

from appdb.engine import flatten_for, schema_translate_map, schemas_of
from netapps.config import Target, load_project
from netapps.connection import run_on_target
from netapps.engines import engine_for
from netapps.errors import ConfigError
from netapps.runtime import impls  # noqa: F401  (registers Alembic impls: wide version table...)
from netapps.runtime.impls import VERSION_LENGTH
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
    handed_in: Any = config.attributes.get(CONNECTION)
    plain_alembic = target is None
    if plain_alembic and config.config_file_name:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if plain_alembic and handed_in is not None:
        # Alembic's "sharing a connection" recipe (pytest-alembic uses it): the database is
        # the one handed in, whatever netapps.toml or DATABASE_URL say.
        _run_handed_in(handed_in, metadata)
        return
    if target is None:
        target = _target_for_plain_alembic(config.config_file_name)
    if context.is_offline_mode():
        if plain_alembic:
            log.info("%s: offline SQL for %s", target.app.label, target.url.get_backend_name())
        _run_offline(target, metadata)
    elif handed_in is not None:
        _run_online(handed_in, target, metadata)  # netapps' own connection
    elif not _needs_database():
        _run_without_database(target, metadata)
    elif plain_alembic and _alembic_command() in ("upgrade", "downgrade"):
        log.info("%s: %s", target.app.label, _describe(target))
        _run_guarded(target, metadata)
    elif plain_alembic and _alembic_command() == "do_stamp":
        log.info("%s: %s", target.app.label, _describe(target))
        _run_stamp(target, metadata)
    else:
        if plain_alembic:
            log.info("%s: %s", target.app.label, _describe(target))
        # The one connection opener: driver check, a tenant's schema, one-line errors.
        run_on_target(
            target,
            lambda conn: _run_online(conn, target, metadata),
            schemas=schemas_of(metadata),
            for_migrations=True,
        )


def ensure_wide_version_table(connection: Connection, target: Target) -> None:
    """Widen a version table Alembic created with its 32 characters (in databases migrated
    before netapps.runtime.impls made it 64 wide); in a savepoint when a transaction is open,
    so that a caller's transaction is never committed here."""
    from sqlalchemy import inspect

    inspector = inspect(connection)
    if not inspector.has_table(VERSION_TABLE):
        return
    column = next(c for c in inspector.get_columns(VERSION_TABLE) if c["name"] == "version_num")
    length = getattr(column["type"], "length", None)
    if length is not None and length < VERSION_LENGTH:
        with connection.begin_nested() if connection.in_transaction() else connection.begin():
            target.engine.widen_version_column(
                connection, VERSION_TABLE, "version_num", VERSION_LENGTH
            )


def _context_opts() -> dict[str, Any]:
    """The options the running alembic command gave its EnvironmentContext."""
    environment = getattr(context, "_proxy", None)
    options: dict[str, Any] = getattr(environment, "context_opts", {})
    return options


def _alembic_function() -> Any:
    """The step function of the running alembic command (its EnvironmentContext keeps it)."""
    return _context_opts().get("fn")


def _alembic_command() -> str:
    """Which alembic command is running: its step function is named after the command
    (upgrade, downgrade, do_stamp, nothing for merge, retrieve_migrations for revision...)."""
    return getattr(_alembic_function(), "__name__", "")


def _closure(function: Any) -> dict[str, Any]:
    """The variables a nested function closes over, by name."""
    names = getattr(getattr(function, "__code__", None), "co_freevars", ())
    cells = getattr(function, "__closure__", None) or ()
    values: dict[str, Any] = {}
    for name, cell in zip(names, cells, strict=False):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return values


def _needs_database() -> bool:
    """Whether the running command reads or writes the database. Alembic runs env.py for
    commands that need none when ``revision_environment`` is on (our alembic.ini: so that
    new revisions get numbered ids): ``history`` (unless asked for the current revision),
    ``revision`` without ``--autogenerate`` and ``merge``."""
    function = _alembic_function()
    name = getattr(function, "__name__", "")
    if name == "nothing":  # merge
        return False
    if name == "retrieve_migrations":  # revision
        revision_context = _context_opts().get("revision_context")
        return bool(getattr(revision_context, "command_args", {}).get("autogenerate"))
    if name == "_display_current_history":  # history
        variables = _closure(function)
        if "current" in (variables.get("base"), variables.get("head")):
            return True
        return bool(_closure(variables.get("_display_history")).get("indicate_current"))
    return True


def _run_without_database(target: Target, metadata: MetaData) -> None:
    """``history``, ``revision`` without ``--autogenerate``, ``merge``: Alembic's hooks run
    (numbered ids for new revisions), with the target's dialect and no connection."""
    if _alembic_command() == "nothing":
        _number_merge_revision()
    context.configure(
        url=target.url,
        as_sql=True,  # no connection: the current revision is "none", nothing is written
        output_buffer=io.StringIO(),
        **comparison_options(target, metadata),
    )
    with context.begin_transaction():
        context.run_migrations()


def _number_merge_revision() -> None:
    """``alembic merge`` typed by hand gets the next NNN_ id, like ``netapps merge``: Alembic
    makes the merge file with the ScriptDirectory it ran env.py with, right after."""
    script = context.script
    generate = script.generate_revision

    def numbered(revid: str, message: str | None, *args: Any, **kwargs: Any) -> Any:
        if is_generated(revid):
            revid = next_revision_id([r.revision for r in script.walk_revisions()], message)
        return generate(revid, message, *args, **kwargs)

    script.generate_revision = numbered  # type: ignore[method-assign]


def _run_handed_in(connectable: Any, metadata: MetaData) -> None:
    """A connection (or an Engine) handed in through ``config.attributes["connection"]``."""
    target = _target_for_connection(context.config.config_file_name, connectable)
    log.info("%s: connection handed in, %s", target.app.label, target.url.get_backend_name())
    if context.is_offline_mode():
        _run_offline(target, metadata)
    elif isinstance(connectable, Connection):
        _run_online(connectable, target, metadata, owned=False)
    elif isinstance(connectable, Engine):
        with connectable.connect() as connection:  # ours: committed per migration, closed
            _run_online(connection, target, metadata)
    elif hasattr(connectable, "sync_engine") and not hasattr(connectable, "run_sync"):
        _run_on_async_engine(connectable, target, metadata)
    elif callable(getattr(connectable, "connect", None)):
        # Something that hands out a connection (pytest-alembic's wrapper of its own open
        # connection): whose it is, we cannot tell, so it is treated as the caller's.
        with connectable.connect() as connection:
            _run_online(connection, target, metadata, owned=False)
    else:
        raise ConfigError(
            f"{target.app.name}: config.attributes['connection'] holds a "
            f"{type(connectable).__name__}; hand in a SQLAlchemy Connection or Engine"
        )


def _run_on_async_engine(engine: Any, target: Target, metadata: MetaData) -> None:
    import asyncio

    async def run() -> None:
        async with engine.connect() as connection:
            await connection.run_sync(lambda conn: _run_online(conn, target, metadata))

    asyncio.run(run())


def _url_of(connectable: Any) -> URL:
    url = getattr(connectable, "url", None)
    if url is None:
        url = getattr(getattr(connectable, "engine", None), "url", None)
    if not isinstance(url, URL):
        raise ConfigError(
            f"config.attributes['connection'] holds a {type(connectable).__name__}, which has "
            "no database URL; hand in a SQLAlchemy Connection or Engine"
        )
    return url


def _target_for_connection(config_file: str | None, connectable: Any) -> Target:
    """The app of this folder, on the database of the connection handed in: its dialect,
    not netapps.toml's, decides how the migrations run (SAP's schemas, for one)."""
    folder = Path(config_file).resolve().parent if config_file else Path.cwd()
    project = load_project(folder)
    url = _url_of(connectable)
    engine_for(url, what="the connection handed in")  # a kind netapps does not support: one line
    return Target(
        app=project.app_for_folder(folder),
        url=url,
        source="connection handed in",
        environment=project.environment,
    )


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
    spec = _revision_argument() or ("base" if command == "downgrade" else "head")
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


def _revision_argument() -> str | None:
    argument = context.get_revision_argument()
    if isinstance(argument, tuple):
        argument = ",".join(argument) if argument else None
    return str(argument) if argument else None


def _run_stamp(target: Target, metadata: MetaData) -> None:
    """``alembic stamp`` typed in an app folder: what ``netapps stamp`` does (the migration
    lock, the ledger row), with Alembic writing the version table as the user asked."""
    from netapps.executor import stamp_on
    from netapps.sources.alembic import AlembicSource

    source = AlembicSource(target.app)
    spec = _revision_argument() or "base"

    def write(conn: Connection, _target: Target, _revision: str | None) -> None:
        _run_online(conn, target, metadata)

    run_on_target(
        target,
        lambda conn: stamp_on(conn, target, source, spec, write=write),
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
    """``--sql``: the SQL an online run would execute, for ``psql -f``: one transaction per
    migration, the version table (64 characters wide, see impls) and the ledger rows."""
    from netapps.sources import offline

    context.configure(
        url=target.url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        on_version_apply=_offline_ledger_row(target),
        **comparison_options(target, metadata),
    )
    _autocommit_only_where_needed()
    context.execute(offline.create_ledger())
    with context.begin_transaction():
        context.run_migrations()


def _autocommit_only_where_needed() -> None:
    """Revisions build indexes CONCURRENTLY inside ``op.get_context().autocommit_block()``,
    which PostgreSQL needs (CONCURRENTLY cannot run in a transaction). SQLite has no
    CONCURRENTLY and builds an index inside a transaction; leaving the transaction there
    only breaks whoever wraps migrations in one (pytest-alembic's downgrade-leaves-no-trace
    test) and splits a migration's all-or-nothing. So on SQLite the block runs in place,
    inside the migration's transaction. Done here, where every app's env.py runs, so that
    the revision files (whose checksums the ledgers hold) stay as they are."""
    migration_context = context.get_context()
    if migration_context.dialect.name == "sqlite":
        migration_context.autocommit_block = nullcontext  # type: ignore[method-assign,assignment]


def _offline_ledger_row(target: Target) -> Any:
    """Each step's ledger row, written inside its transaction as an online run does."""
    from netapps.sources import offline
    from netapps.sources.alembic import AlembicSource

    by_id = AlembicSource(target.app).by_id

    def on_version_apply(*, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        if step.is_stamp or step.up_revision_id not in by_id:
            return
        revision = by_id[step.up_revision_id]
        ctx.execute(
            offline.ledger_row(
                app=target.app.name,
                revision=revision.id,
                direction="up" if step.is_upgrade else "down",
                checksum=revision.checksum,
            )
        )

    return on_version_apply


def _run_online(
    connection: Connection,
    target: Target,
    metadata: MetaData,
    extra: dict[str, Any] | None = None,
    *,
    owned: bool = True,
) -> None:
    """Run the migrations on ``connection``. A connection env.py does not own (handed in
    by the caller) is never committed or closed: when the caller has a transaction open,
    everything runs inside it (Alembic's "external transaction"); else Alembic begins and
    commits one transaction per migration, as on our own connections."""
    callers_transaction = not owned and connection.in_transaction()
    options = comparison_options(target, metadata)
    options.update(extra or {})
    translate = schema_translate_map(target.url, schemas_of(metadata))
    previous = connection.get_execution_options().get("schema_translate_map")
    if translate:
        # Whoever opened the connection, the models' schemas are mapped away on SQLite here,
        # where the models are known (netapps need not import them before connecting).
        connection.execution_options(schema_translate_map=translate)
    try:
        hook = context.config.attributes.get(CONFIGURE_HOOK)
        if hook is not None:
            options.update(hook(connection, target))
        ensure_wide_version_table(connection, target)
        if connection.in_transaction() and not callers_transaction:
            # Per-migration transactions need a connection that is not inside one already
            # (this one was begun by our own reads above).
            connection.commit()
        context.configure(connection=connection, **options)
        _autocommit_only_where_needed()
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction() and not callers_transaction:
            connection.commit()
    finally:
        if translate and not owned:
            connection.execution_options(schema_translate_map=previous)
