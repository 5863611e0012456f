"""An app whose migrations are Alembic revision files.

Reading and planning use the files as text (netapps.sources.revisions); applying, stamping, offline
SQL, new revisions and merges go through Alembic's own API (``alembic.command``) with the
connection netapps opened, so the run goes through the app's env.py like any Alembic run.
"""

from __future__ import annotations

import io
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text

from appdb.engine import schemas_of
from netapps.config import Target
from netapps.errors import ConfigError, MigrationFailed, RevisionError
from netapps.runtime.env import CONFIGURE_HOOK, CONNECTION, TARGET
from netapps.sources.base import Source, StepCallback
from netapps.sources.revision_ids import next_revision_id
from netapps.sources.revisions import (
    Revision,
    RevisionFileError,
    Step,
    check_syntax,
    read_alembic_folder,
)

if TYPE_CHECKING:
    from netapps.plan import Plan

VERSION_TABLE = "alembic_version"


class AlembicSource(Source):
    kind = "alembic"
    version_table = VERSION_TABLE
    _schemas: tuple[str, ...] | None = None

    @property
    def versions_folder(self) -> Path:
        return self.app.folder / "alembic" / "versions"

    def load(self) -> list[Revision]:
        if not (self.app.folder / "alembic.ini").is_file():
            raise ConfigError(f"{self.app.name}: no alembic.ini in {self.app.folder}")
        try:
            # Ids and parents only: a full parse (messages, destructive operations) waits until
            # something asks for them, which applying migrations does not.
            revisions = read_alembic_folder(self.versions_folder, ids_only=True)
            for revision in revisions:
                check_syntax(revision.path)
        except RevisionFileError as exc:
            raise RevisionError(f"{self.app.name}: migration file does not load: {exc}") from None
        ids = {r.id for r in revisions}
        for rev in revisions:
            for parent in rev.parents:
                if parent not in ids:
                    raise RevisionError(
                        f"{self.app.name}: {rev.path.name} names down_revision '{parent}', "
                        "which no file defines; fix the file"
                    )
        return revisions

    def config(self, connection: Connection | None = None, target: Target | None = None) -> Config:
        cfg = Config(str(self.app.folder / "alembic.ini"), stdout=io.StringIO())
        if connection is not None:
            cfg.attributes[CONNECTION] = connection
        if target is not None:
            cfg.attributes[TARGET] = target
        return cfg

    def analysis(self) -> Any:
        # Rendering loads every migration file: one that does not import is a usage error
        # named by file and line, as when Alembic loads it.
        with _alembic_errors(self.app.name, self.versions_folder):
            return super().analysis()

    def script(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    def schemas(self) -> tuple[str, ...]:
        if self._schemas is None:
            self._schemas = schemas_of(load_metadata(self))
        return self._schemas

    def current(self, conn: Connection) -> tuple[str, ...]:
        # Read the version table directly: the same answer as MigrationContext's, without
        # configuring a migration context just to look.
        if not inspect(conn).has_table(VERSION_TABLE):
            heads: tuple[str, ...] = ()
        else:
            rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
            heads = tuple(sorted(rows))
        if conn.in_transaction():
            conn.commit()
        return heads

    def apply(self, conn: Connection, target: Target, plan: Plan, on_step: StepCallback) -> None:
        # Alembic plans the same steps from the same graph; the hook checks each one it runs
        # against the plan (netapps.executor) before recording it.
        if plan.is_noop:
            return
        cfg = self.config(conn, target)
        hook = self.version_apply_hook(on_step)
        cfg.attributes[CONFIGURE_HOOK] = lambda _c, _t: {"on_version_apply": hook}
        with _alembic_errors(self.app.name, self.versions_folder):
            if plan.direction == "up":
                command.upgrade(cfg, plan.destination_name)
            else:
                command.downgrade(cfg, plan.destination_name)

    def outside_transaction(self, step: Step) -> bool:
        return step.revision.details.outside_transaction

    def version_apply_hook(self, on_step: StepCallback) -> Any:
        """Alembic's on_version_apply, called in each migration's transaction -> on_step."""
        by_id = self.by_id
        clock = [time.perf_counter()]

        def on_version_apply(
            *, ctx: MigrationContext, step: Any, heads: Any, run_args: Any
        ) -> None:
            if step.is_stamp:
                return
            now = time.perf_counter()
            revision = by_id[step.up_revision_id]
            assert ctx.connection is not None
            on_step(
                ctx.connection, Step(revision, "up" if step.is_upgrade else "down"), now - clock[0]
            )
            clock[0] = now

        return on_version_apply

    def stamp(self, conn: Connection, target: Target, revision: str | None) -> None:
        with _alembic_errors(self.app.name, self.versions_folder):
            command.stamp(self.config(conn, target), revision or "base", purge=True)
        if conn.in_transaction():
            conn.commit()

    def offline_sql(self, target: Target, current: tuple[str, ...], destination: str | None) -> str:
        steps = self.steps(current, destination)
        if not steps:
            return ""
        start = ",".join(current) if current else "base"
        cfg = self.config(None, target)
        buffer = io.StringIO()
        cfg.output_buffer = buffer
        with _alembic_errors(self.app.name, self.versions_folder):
            if steps[0].direction == "up":
                command.upgrade(cfg, f"{start}:{destination}", sql=True)
            else:
                command.downgrade(cfg, f"{start}:{destination or 'base'}", sql=True)
        return buffer.getvalue()

    def create_revision(self, message: str, *, autogenerate: bool, target: Target) -> list[Path]:
        cfg = self.config(None, target)
        with _alembic_errors(self.app.name, self.versions_folder), redirect_stdout(io.StringIO()):
            scripts = command.revision(cfg, message=message, autogenerate=autogenerate)
        items = scripts if isinstance(scripts, list) else [scripts]
        return [Path(s.path) for s in items if s is not None]

    def merge(self, message: str, target: Target) -> Path:
        heads = self.heads()
        if len(heads) < 2:
            raise RevisionError(
                f"{self.app.name} has one head ({', '.join(heads) or 'none'}); nothing to merge"
            )
        cfg = self.config(None, target)
        rev_id = next_revision_id([r.id for r in self.revisions], message)
        with _alembic_errors(self.app.name, self.versions_folder), redirect_stdout(io.StringIO()):
            script = command.merge(cfg, revisions=list(heads), message=message, rev_id=rev_id)
        return Path(script.path) if script is not None else self.versions_folder


@contextmanager
def _alembic_errors(app: str, versions: Path) -> Iterator[None]:
    """Alembic's CommandError is a usage problem; a migration file that does not import is
    one too (named by file and line); anything a migration raises while running is a failure."""
    try:
        yield
    except CommandError as exc:
        hint = f"; run `netapps migrate {app}` first" if "not up to date" in str(exc) else ""
        raise RevisionError(f"{app}: {exc}{hint}") from exc
    except (RevisionError, ConfigError):
        raise
    except Exception as exc:
        frame = _module_level_frame(exc, versions)
        if frame is not None:
            raise RevisionError(
                f"{app}: migration file {frame.filename}:{frame.lineno} does not import: "
                f"{_first_line(exc)}; fix the file"
            ) from exc
        raise MigrationFailed(f"{app}: migration failed: {_first_line(exc)}") from exc


def _module_level_frame(exc: BaseException, versions: Path) -> traceback.FrameSummary | None:
    """The frame of a migration file's top level (its imports), if that is where it failed."""
    folder = str(versions.resolve())
    inside = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(folder)]
    if inside and inside[-1].name == "<module>":
        return inside[-1]
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.startswith(folder):
        return traceback.FrameSummary(exc.filename, exc.lineno or 0, "<module>")
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def load_metadata(source: AlembicSource) -> Any:
    """The app's models' MetaData, as its env.py hands it over (no database touched)."""
    cfg = source.config()
    cfg.attributes["netapps_metadata_only"] = True
    script = ScriptDirectory.from_config(cfg)
    from alembic.runtime.environment import EnvironmentContext

    try:
        with EnvironmentContext(cfg, script):
            script.run_env()
    except Exception as exc:
        raise RevisionError(
            f"{source.app.name}: alembic/env.py does not load: {_first_line(exc)}"
        ) from exc
    return cfg.attributes["netapps_metadata"]
