"""An app whose migrations are numbered SQL files (Salesforce), seen as a Source.

The files and their runner are netapps.sql_migrations; this adapter gives them the same
revision graph, plans and commands as the Alembic apps, so ``netapps`` treats both alike.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

from netapps import sql_migrations as sqlm
from netapps.config import App, Target
from netapps.errors import RevisionError, UsageError
from netapps.revisions import Details, Revision, Step, destructive_operations
from netapps.source import Source, StepCallback
from netapps.sql_files import SqlMigration


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
                    checksum=migration.checksum,
                    known=Details(
                        message=migration.description,
                        destructive_up=_destructive(migration.up_path),
                        destructive_down=_destructive(migration.down_path),
                    ),
                )
            )
            previous = migration.version
        return revisions

    def current(self, conn: Connection) -> tuple[str, ...]:
        version = sqlm.current_version(conn)
        if conn.in_transaction():
            conn.commit()
        return (version,) if version else ()

    def apply(
        self, conn: Connection, target: Target, destination: str | None, on_step: StepCallback
    ) -> None:
        if conn.in_transaction():
            conn.commit()
        steps = self.steps(self.current(conn), destination)
        if not steps:
            return
        by_id = self.by_id

        def step_done(
            step_conn: Connection, migration: SqlMigration, direction: str, seconds: float
        ) -> None:
            on_step(
                step_conn,
                Step(by_id[migration.version], "up" if direction == "up" else "down"),
                seconds,
            )

        if steps[0].direction == "up":
            sqlm.upgrade(conn, self.migrations, destination, in_transaction=step_done)
        else:
            sqlm.downgrade(conn, self.migrations, destination, in_transaction=step_done)

    def stamp(self, conn: Connection, target: Target, revision: str | None) -> None:
        """Mark every version up to ``revision`` applied, and none above, running nothing."""
        if conn.in_transaction():
            conn.commit()
        keep = self.ancestors([revision]) if revision else set()
        with conn.begin():
            conn.exec_driver_sql(sqlm.create_version_table_sql())
            applied = {row.version for row in sqlm.applied_versions(conn)}
            for migration in self.migrations:
                if migration.version in keep and migration.version not in applied:
                    sqlm.record(conn, migration, 0)
                elif migration.version not in keep and migration.version in applied:
                    conn.execute(
                        text(f"DELETE FROM {sqlm.VERSION_TABLE} WHERE version = :v"),
                        {"v": migration.version},
                    )

    def accept_checksums(self, conn: Connection, revisions: list[Revision]) -> None:
        # schema_version keeps each file's checksum too, and upgrade() checks it.
        for revision in revisions:
            conn.execute(
                text(f"UPDATE {sqlm.VERSION_TABLE} SET checksum = :c WHERE version = :v"),
                {"c": revision.checksum, "v": revision.id},
            )

    def offline_sql(self, target: Target, current: tuple[str, ...], destination: str | None) -> str:
        chunks = []
        by_version = {m.version: m for m in self.migrations}
        for step in self.steps(current, destination):
            migration = by_version[step.revision.id]
            path = migration.up_path if step.direction == "up" else migration.down_path
            chunks.append(f"-- {step.direction}grade {migration.version}: {path.name}")
            chunks.extend(
                s.rstrip().rstrip(";") + ";" for s in sqlm.split_statements(path.read_text())
            )
            if step.direction == "up":
                chunks.append(
                    f"INSERT INTO {sqlm.VERSION_TABLE} (version, description, script, checksum, "
                    f"execution_ms) VALUES ('{migration.version}', "
                    f"'{migration.description.replace(chr(39), chr(39) * 2)}', "
                    f"'{migration.script}', '{migration.checksum}', 0);"
                )
            else:
                chunks.append(
                    f"DELETE FROM {sqlm.VERSION_TABLE} WHERE version = '{migration.version}';"
                )
        return "\n".join(chunks) + ("\n" if chunks else "")

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


def _destructive(path: Path) -> tuple[str, ...]:
    return destructive_operations(path.read_text(), sql=True)
