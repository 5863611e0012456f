"""The PostgreSQL SQL that a migration runs: an Alembic revision rendered offline, or a SQL file
as written.

Destructiveness and lock behaviour are judged on the PostgreSQL rendering for every app,
whatever database URL the app is configured with: an Alembic revision is rendered by
:func:`render_alembic_revision`, which runs the revision's ``upgrade()``/``downgrade()`` against
a PostgreSQL ``MigrationContext`` in ``as_sql`` mode (nothing connects anywhere), with
``alembic.op`` bound to it. The app's ``env.py`` is not involved: it picks the configured URL
(SQLite in dev) and the migration lock, neither of which rendering needs.

Each operation's output is kept as a :class:`Chunk` together with the line of the revision
file whose call emitted it, so a finding can point at the Python line as well as at the SQL.
A SQL-file app's migration is one chunk: the file chosen for PostgreSQL
(``NNN_slug.up.postgresql.sql`` over ``NNN_slug.up.sql``).
"""

from __future__ import annotations

import io
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Kind = Literal["alembic", "sql"]
Direction = Literal["up", "down"]

DIALECT = "postgresql"

_SQL_FILE = re.compile(
    r"^(?P<version>\d+)_(?P<slug>[a-z0-9_]+)\.(?P<direction>up|down)(?:\.(?P<dialect>[a-z0-9]+))?"
    r"\.sql$"
)


class RenderError(Exception):
    """The app's migrations cannot be listed (no alembic.ini, no migrations folder...)."""


@dataclass(frozen=True)
class MigrationRef:
    """One migration of an app, before rendering."""

    id: str  # Alembic revision id, or the SQL file's version ("002")
    path: Path  # the revision file, or the up file chosen for PostgreSQL
    down_path: Path | None  # SQL apps: the down file; Alembic: None (same file)
    parents: tuple[str, ...]
    script: Any = field(default=None, compare=False, repr=False)  # Alembic: its Script


@dataclass(frozen=True)
class Chunk:
    """What one operation emitted (Alembic), or a whole SQL file."""

    text: str
    offset: int  # where it starts in RenderedMigration.sql
    source_line: int | None  # Alembic: line of the revision file that emitted it


@dataclass(frozen=True)
class RenderedMigration:
    id: str
    path: Path  # the file that was rendered
    relpath: str  # the same, relative to the app folder
    parents: tuple[str, ...]
    direction: Direction
    sql: str
    chunks: tuple[Chunk, ...]
    error: str | None = None  # rendering failed: why (sql and chunks hold what came before)


def list_migrations(folder: Path, kind: Kind) -> list[MigrationRef]:
    """The app's migrations, every one after its parents (base first)."""
    if kind == "alembic":
        return _alembic_migrations(folder)
    return _sql_migrations(folder)


def render_migration(
    folder: Path, ref: MigrationRef, kind: Kind, direction: Direction = "up"
) -> RenderedMigration:
    """One migration's PostgreSQL SQL (``ref`` from :func:`list_migrations`)."""
    if kind == "alembic":
        return render_alembic_revision(folder, ref, direction)
    path = ref.path if direction == "up" else ref.down_path
    assert path is not None
    text = path.read_text(encoding="utf-8")
    return RenderedMigration(
        id=ref.id,
        path=path,
        relpath=_relative(path, folder),
        parents=ref.parents,
        direction=direction,
        sql=text,
        chunks=(Chunk(text, 0, None),),
    )


def migration_sql(folder: Path, kind: Kind, migration_id: str, direction: Direction = "up") -> str:
    """The PostgreSQL SQL that one migration (a revision id, or a SQL version) runs."""
    for ref in list_migrations(folder, kind):
        if ref.id == migration_id:
            rendered = render_migration(folder, ref, kind, direction)
            if rendered.error is not None:
                raise RenderError(f"{ref.path}: cannot be rendered offline: {rendered.error}")
            return rendered.sql
    raise RenderError(f"{folder}: no migration {migration_id!r}")


def render_app(folder: Path, kind: Kind, direction: Direction = "up") -> list[RenderedMigration]:
    """Every migration of the app rendered for PostgreSQL, base first."""
    return [render_migration(folder, ref, kind, direction) for ref in list_migrations(folder, kind)]


# ------------------------------------------------------------------------------ Alembic


def _script_directory(folder: Path) -> Any:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    ini = folder / "alembic.ini"
    if not ini.is_file():
        raise RenderError(f"{ini} does not exist: not an Alembic app folder")
    return ScriptDirectory.from_config(Config(str(ini)))


def _alembic_migrations(folder: Path) -> list[MigrationRef]:
    script_dir = _script_directory(folder)
    refs: list[MigrationRef] = []
    for script in reversed(list(script_dir.walk_revisions())):
        down = script.down_revision
        parents = (down,) if isinstance(down, str) else tuple(down or ())
        path = Path(script.path).resolve()
        refs.append(MigrationRef(script.revision, path, None, parents, script=script))
    return refs


class _CapturingBuffer(io.StringIO):
    """Alembic's output buffer in as_sql mode: one write per emitted statement. Each write is
    kept with the line of the revision file on the call stack at that moment."""

    def __init__(self, revision_file: str) -> None:
        super().__init__()
        self.revision_file = revision_file
        self.chunks: list[Chunk] = []

    def write(self, text: str) -> int:
        frame = sys._getframe(1)
        line: int | None = None
        while frame is not None:
            if os.path.abspath(frame.f_code.co_filename) == self.revision_file:
                line = frame.f_lineno
                break
            frame = frame.f_back  # type: ignore[assignment]
        if text.strip():
            self.chunks.append(Chunk(text, self.tell(), line))
        return super().write(text)


def render_alembic_revision(
    folder: Path, ref: MigrationRef, direction: Direction = "up"
) -> RenderedMigration:
    """The PostgreSQL SQL of one Alembic revision, rendered offline.

    How: a ``MigrationContext`` configured with ``dialect_name="postgresql"`` and
    ``as_sql=True`` writes every operation's SQL to an output buffer instead of executing it;
    ``Operations.context`` binds ``alembic.op`` to it, and the revision module's
    ``upgrade()`` (or ``downgrade()``) runs as it would under ``alembic upgrade --sql``. Bound
    parameters (``bulk_insert``) are rendered as literals. ``op.get_bind()`` has no
    connection in this mode; a revision that needs one (other than behind
    ``op.get_context().as_sql``) fails to render, and the error is kept on the result.
    """
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    script = ref.script
    if script is None:
        script = next(r.script for r in _alembic_migrations(folder) if r.id == ref.id)
    buffer = _CapturingBuffer(os.path.abspath(ref.path))
    context = MigrationContext.configure(
        dialect_name=DIALECT,
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True},
    )
    error: str | None = None
    try:
        with Operations.context(context):
            module = script.module
            getattr(module, "upgrade" if direction == "up" else "downgrade")()
    except Exception as exc:  # a revision that cannot render offline: reported, not raised
        error = f"{type(exc).__name__}: {exc}"
    return RenderedMigration(
        id=ref.id,
        path=ref.path,
        relpath=_relative(ref.path, folder),
        parents=ref.parents,
        direction=direction,
        sql=buffer.getvalue(),
        chunks=tuple(buffer.chunks),
        error=error,
    )


# ---------------------------------------------------------------------------- SQL files


def _sql_migrations(folder: Path) -> list[MigrationRef]:
    migrations = folder / "migrations"
    if not migrations.is_dir():
        raise RenderError(f"{migrations} does not exist: not a SQL-file app folder")
    found: dict[int, dict[tuple[str, str | None], Path]] = {}
    versions: dict[int, str] = {}
    for path in sorted(migrations.iterdir()):
        match = _SQL_FILE.match(path.name)
        if match is None:
            continue
        number = int(match["version"])
        versions[number] = match["version"]
        found.setdefault(number, {})[(match["direction"], match["dialect"])] = path
    refs: list[MigrationRef] = []
    previous: str | None = None
    for number in sorted(found):
        files = found[number]
        up = files.get(("up", DIALECT)) or files.get(("up", None))
        down = files.get(("down", DIALECT)) or files.get(("down", None))
        if up is None:
            raise RenderError(
                f"{migrations}: version {versions[number]} has no up file for {DIALECT}"
            )
        version = versions[number]
        parents = (previous,) if previous else ()
        refs.append(MigrationRef(version, up.resolve(), down.resolve() if down else None, parents))
        previous = version
    return refs


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)
