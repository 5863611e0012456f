"""SQLite: one file per database (or per tenant).

The migration lock is an exclusive ``flock`` on a file beside the database, which the kernel
releases when the process dies, even by SIGKILL. Writes queue at BEGIN IMMEDIATE once the
lock is held. Backups go through SQLite's online backup API, a consistent copy even while
others read.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netapps.engines.base import BackupContents, DatabaseEngine, FastLocation, Owned, who
from netapps.errors import BackupError, LockTimeout, UnreachableError, UsageError

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import URL

    from netapps.config import Target

_POLL_SECONDS = 0.1


def database_file(target: Target) -> Path | None:
    """The database's file; None for an in-memory database."""
    database = target.url.database
    if database in (None, "", ":memory:") or "mode=memory" in str(target.url):
        return None
    return Path(str(database))


class SqliteEngine(DatabaseEngine):
    name = "sqlite"
    backup_suffix = ".db"
    fast_schemes = frozenset({"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"})
    fast_placeholder = "?"
    has_schemas = False

    def alembic_options(self) -> dict[str, Any]:
        return {
            # SQLite cannot ALTER most things: Alembic's batch mode copies the table instead.
            "render_as_batch": True,
            # appdb.engine made SQLite DDL transactional: Alembic may rely on it.
            "transactional_ddl": True,
        }

    def prepare_url(self, url: URL, folder: Path, *, what: str) -> URL:
        """Relative paths mean "in the app's folder", from any current directory; the file
        may not exist yet, but its folder must (SQLite would fail obscurely)."""
        from netapps.settings import sqlite_file
        from netapps.urls import mask

        if url.database in (None, ""):
            raise UsageError(
                f"{what}: SQLite URL {mask(url)!r} names no file; use sqlite:///./name.db"
            )
        if url.database == ":memory:" or "mode=memory" in str(url):
            return url
        path = sqlite_file(str(url.database), folder)
        if not path.parent.is_dir():
            raise UnreachableError(
                f"{what}: the folder of SQLite database {path} does not exist; "
                "create it or point the URL at an existing folder"
            )
        return url.set(database=str(path))

    def prepare(self, conn: Connection, target: Target, *, for_migrations: bool) -> None:
        # SQLite creates a new file with the umask's mode (often world-readable): netapps'
        # databases, like their backups, are readable by their owner only.
        path = database_file(target)
        if path is not None and path.exists() and path.stat().st_size == 0:
            os.chmod(path, 0o600)

    def exists(self, target: Target) -> bool:
        path = database_file(target)
        return path is None or path.exists()

    def begin_writes(self, conn: Connection) -> None:
        from appdb.engine import SQLITE_BEGIN  # the option appdb.engine's BEGIN hook reads

        conn.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})

    def lock(
        self, conn: Connection, target: Target, timeout: float
    ) -> AbstractContextManager[None]:
        path = database_file(target)
        if path is None:
            return nullcontext()  # an in-memory database has one connection: nobody to race
        # One lock per file, however it is reached (a symlink, another relative path).
        return file_lock(Path(os.path.realpath(path)), target.name, timeout)

    def user_tables(self, conn: Connection, target: Target, ignore: set[str]) -> tuple[str, ...]:
        from sqlalchemy import inspect

        # SQLite has no schemas: an app's schemas are mapped away into the one file.
        return tuple(n for n in inspect(conn).get_table_names() if n not in ignore)

    def identity(self, target: Target) -> str:
        path = database_file(target)
        return f"sqlite:///{os.path.realpath(path)}" if path else "sqlite:///:memory:"

    def backup(self, target: Target, path: Path, owned: Owned, conn: Connection) -> bool:
        # The file is the app's alone: all of it is backed up.
        source = database_file(target)
        if source is None or not source.exists():
            return False
        try:
            copy_database(source, path)
        except sqlite3.Error as exc:  # a full disk: "database or disk is full"
            raise BackupError(
                f"the backup could not be written, nothing was changed: {exc}"
            ) from None
        return True

    def verify_backup(self, path: Path) -> str:
        """SQLite's own integrity_check, and at least one table: an empty file (a full disk)
        is a valid, empty database, but never a backup of one worth backing up."""
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
            try:
                checked = [r[0] for r in conn.execute("PRAGMA integrity_check")]
                tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise BackupError(f"{path} is not a readable SQLite database ({exc})") from None
        if checked != ["ok"]:
            raise BackupError(f"{path} fails SQLite's integrity check: {checked[0]}")
        if not tables:
            raise BackupError(f"{path} holds no tables: it is not a backup of a database")
        return f"sqlite {sqlite3.sqlite_version}"

    def backup_contents(
        self, path: Path, version_table: str, version_column: str
    ) -> BackupContents:
        from netapps.settings import LEDGER_TABLE

        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
            try:
                found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                names = {str(r[0]) for r in found if not str(r[0]).startswith("sqlite_")}
                versions: tuple[str, ...] = ()
                if version_table in names:
                    rows = conn.execute(f'SELECT "{version_column}" FROM "{version_table}"')
                    versions = tuple(str(r[0]) for r in rows)
                apps: frozenset[str] = frozenset()
                if LEDGER_TABLE in names:
                    rows = conn.execute(f"SELECT DISTINCT app FROM {LEDGER_TABLE}")
                    apps = frozenset(str(r[0]) for r in rows)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise BackupError(f"{path} is not a readable SQLite database ({exc})") from None
        return BackupContents(frozenset((None, n) for n in names), versions, apps)

    def same_file(self, target: Target, path: Path) -> bool:
        live = database_file(target)
        try:
            return live is not None and live.exists() and os.path.samefile(live, path)
        except OSError:
            return False

    def restore(self, target: Target, path: Path, owned: Owned) -> None:
        """Through the online backup API, in one write transaction on the live file: SQLite's
        journal rolls a killed restore back when the file is next opened."""
        destination = database_file(target)
        if destination is None:
            raise BackupError("an in-memory database cannot be restored")
        if self.same_file(target, path):
            raise BackupError(f"{path} is the live database itself; nothing to restore")
        if not destination.exists():
            os.close(os.open(destination, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            copy_database(path, destination)
        except sqlite3.Error as exc:
            raise BackupError(
                f"restore failed and was rolled back, nothing changed: {exc}"
            ) from None

    @classmethod
    def fast_location(
        cls, text: str, folder: Path, password: str | None, schema: str | None
    ) -> FastLocation:
        raw = text.strip().split(":///", 1)
        if len(raw) != 2 or not raw[1] or raw[1].startswith(":memory:") or schema:
            raise ValueError(text)
        if raw[0] not in cls.fast_schemes or "%" in raw[1] or "mode=memory" in raw[1]:
            raise ValueError(text)  # SQLAlchemy reads the file name as written, undecoded
        path = Path(raw[1]).expanduser()
        path = path if path.is_absolute() else (folder / path).resolve()
        if not path.is_file():
            raise ValueError(text)  # no database yet: certainly not at head
        return FastLocation(f"{raw[0]}:///{path}", {"path": path})

    @classmethod
    def fast_connect(cls, location: FastLocation) -> Any:
        uri = f"file:{location.connect['path']}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=5)


def copy_database(source: Path, destination: Path) -> None:
    """A consistent copy through SQLite's online backup API (readers may go on meanwhile)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(destination, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


@contextmanager
def file_lock(database: Path, name: str, timeout: float) -> Iterator[None]:
    path = database.with_name(database.name + ".migrate.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = (
                        os.pread(fd, 200, 0).decode(errors="replace").strip() or "holder unknown"
                    )
                    raise LockTimeout(
                        f"{name}: another migrator holds the migration lock on {database} "
                        f"({holder}) and did not release it within {timeout:g} s; wait for it, "
                        "or raise --lock-timeout"
                    ) from None
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(
            fd, f"{who()} pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0
        )
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
