"""An app whose migrations are numbered SQL files (Salesforce), seen as a Source.

The files and their runner are netapps.sources.sql_runner; this adapter gives them the same
revision graph, plans and commands as the Alembic apps, so ``netapps`` treats both alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from netapps.config import App, Target
from netapps.errors import RevisionError, UsageError
from netapps.sources import offline
from netapps.sources import sql_runner as sqlm
from netapps.sources.base import Source, StepCallback
from netapps.sources.revisions import Details, Revision, Step
from netapps.sources.sql_files import SqlMigration

if TYPE_CHECKING:
    from netapps.plan import Plan


class SqlSource(Source):
    kind = "sql"
    version_table = sqlm.VERSION_TABLE

    def __init__(self, app: App, dialect: str = "sqlite") -> None:
        super().__init__(app)
        self.dialect = dialect
        self._migrations: list[SqlMigration] | None = None

    @property
    def folder(self) -> Path:
        return self.app.folder / "migrations"

    @property
    def migrations(self) -> list[SqlMigration]:
        if self._migrations is None:
            self._migrations = sqlm.discover(self.folder, self.dialect)
        return self._migrations

    def load(self) -> list[Revision]:
        revisions: list[Revision] = []
        previous: str | None = None
        for migration in self.migrations:
            revisions.append(
                Revision(
                    id=migration.version,
                    parents=(previous,) if previous else (),
                    path=migration.up_path,
                    # Both files, as the ledger records them; the up file's alone (what
                    # the version table keeps, and older ledgers hold) is still accepted.
                    checksum=migration.pair_checksum,
                    legacy_checksums=(migration.checksum,),
                    known=Details(message=migration.description),
                )
            )
            previous = migration.version
        return revisions

    def current(self, conn: Connection) -> tuple[str, ...]:
        version = sqlm.current_version(conn)
        if conn.in_transaction():
            conn.commit()
        return (version,) if version else ()

    def apply(self, conn: Connection, target: Target, plan: Plan, on_step: StepCallback) -> None:
        if conn.in_transaction():
            conn.commit()
        if plan.is_noop:
            return
        sqlm.ensure_version_table(conn)
        by_version = {m.version: m for m in self.migrations}
        for step in plan.steps:
            # One file and its version row per transaction; on_step's ledger row joins it.
            sqlm.run_step(
                conn, by_version[step.revision.id], step.direction, _joined(on_step, step)
            )

    def outside_transaction(self, step: Step) -> bool:
        migration = {m.version: m for m in self.migrations}[step.revision.id]
        path = migration.up_path if step.direction == "up" else migration.down_path
        return sqlm.outside_transaction(path)

    def stamp(self, conn: Connection, target: Target, revision: str | None) -> None:
        """Mark every version up to ``revision`` applied, and none above, running nothing."""
        if conn.in_transaction():
            conn.commit()
        keep = self.ancestors([revision]) if revision else set()
        sqlm.ensure_version_table(conn)
        with conn.begin():
            applied = {row.version for row in sqlm.applied_versions(conn)}
            for migration in self.migrations:
                if migration.version in keep and migration.version not in applied:
                    sqlm.record(conn, migration, 0)
                elif migration.version not in keep and migration.version in applied:
                    sqlm.unrecord(conn, migration.version)

    def accept_checksums(self, conn: Connection, revisions: list[Revision]) -> None:
        # schema_version keeps each file's checksum too, and upgrade() checks it.
        by_version = {m.version: m for m in self.migrations}
        for revision in revisions:
            sqlm.accept_checksum(conn, revision.id, by_version[revision.id].checksum)

    def offline_sql(self, target: Target, current: tuple[str, ...], destination: str | None) -> str:
        """What an online run does, as SQL for ``psql -f`` (or ``sqlite3``): the version table
        and the ledger created if missing, then each file with its version row and ledger row
        in one transaction (a file that runs outside a transaction: the rows after it)."""
        steps = self.steps(current, destination)
        if not steps:
            return ""
        dialect = target.url.get_dialect()()
        by_version = {m.version: m for m in self.migrations}
        chunks = [
            f"-- {self.app.name}: {','.join(current) or 'base'} -> {destination or 'base'}",
            sqlm.create_version_table_sql(),
            offline.as_text(offline.create_ledger(), dialect),
        ]
        for step in steps:
            migration = by_version[step.revision.id]
            path = migration.up_path if step.direction == "up" else migration.down_path
            chunks.append(f"\n-- {step.direction}grade {migration.version}: {path.name}")
            statements = sqlm.offline_sql(migration, step.direction)
            *work, version_row = statements
            row = offline.ledger_row(
                app=self.app.name,
                revision=migration.version,
                direction=step.direction,
                checksum=migration.checksum,
            )
            if self.outside_transaction(step):
                # As online: the file runs outside a transaction (CREATE INDEX CONCURRENTLY),
                # and is recorded only once it has succeeded.
                chunks.extend(work)
                work = []
            chunks += ["BEGIN;", *work, version_row, offline.as_text(row, dialect), "COMMIT;"]
        return "\n".join(chunks) + "\n"

    def create_revision(self, message: str, *, autogenerate: bool, target: Target) -> list[Path]:
        if autogenerate:
            raise UsageError(
                f"{self.app.name} has SQL migrations and no models to autogenerate from; "
                f"run `netapps revision {self.app.name} -m ...` and write the SQL"
            )
        return list(sqlm.next_pair(self.folder, message))

    def merge(self, message: str, target: Target) -> Path:
        raise RevisionError(
            f"{self.app.name}'s SQL migrations are numbered in one line: "
            "there are no heads to merge"
        )


def _joined(on_step: StepCallback, step: Step) -> sqlm.InTransactionCallback:
    """The runner's in-transaction callback, reporting ``step`` to ``on_step``."""

    def in_transaction(conn: Connection, _m: SqlMigration, _d: str, seconds: float) -> None:
        on_step(conn, step, seconds)

    return in_transaction
