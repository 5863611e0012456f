"""What every database engine provides; one subclass per kind of database, in its own module.

An engine owns everything that differs between kinds of database, so that no other module
asks "is this SQLite?": preparing a connection, the migration lock, where unversioned tables
are looked for, the version table's DDL, backup and restore (and the backup file's suffix),
and the no-op fast path's probe. Subclasses register themselves by ``name`` (the URL's
backend name), as Alembic's ``DefaultImpl`` subclasses register by ``__dialect__``.

Standard library only at import time: the no-op fast path uses the probe without importing
SQLAlchemy, so SQLAlchemy appears here in annotations only.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import URL

    from netapps.config import Target
    from netapps.settings import Timeouts

#: Every registered engine, by backend name.
REGISTRY: dict[str, type[DatabaseEngine]] = {}


def who() -> str:
    """``user@host`` of this process: for the ledger and for a lock's holder."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def die_with_parent() -> None:
    """``preexec_fn`` of a child process (pg_dump, psql, a worker): the kernel kills it when
    its parent dies, even by SIGKILL, so that nothing outlives the lock it ran under (Linux;
    elsewhere a no-op)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass


@dataclass(frozen=True)
class BackupContents:
    """What a backup holds, as far as telling whose it is goes."""

    #: (schema, table) of every table; schema None where the engine has none (SQLite).
    tables: frozenset[tuple[str | None, str]]
    #: The rows of its version table (revision ids).
    versions: tuple[str, ...]
    #: The apps its ledger rows name.
    ledger_apps: frozenset[str]


@dataclass(frozen=True)
class Owned:
    """What belongs to an app in a database shared with others: the schemas it creates, and
    its tables in the default schema (its own, netapps' ledger and its version table). A
    backup holds these and nothing else; a restore replaces these and nothing else."""

    schemas: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()


class FastLocation:
    """Where the fast path finds a database: what to show and how to connect."""

    def __init__(self, display: str, connect: dict[str, Any]) -> None:
        self.display = display
        self.connect = connect


class DatabaseEngine:
    #: The URL's backend name (``url.get_backend_name()``) this engine serves.
    name: ClassVar[str] = ""
    #: The suffix of this engine's backup files.
    backup_suffix: ClassVar[str] = ""
    #: URL schemes (``dialect+driver``) the fast path reads itself; others fall back.
    fast_schemes: ClassVar[frozenset[str]] = frozenset()
    #: The DB-API placeholder of the fast path's driver.
    fast_placeholder: ClassVar[str] = "?"
    #: Whether tables live in schemas of their own (else an app's schemas are mapped away).
    has_schemas: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            REGISTRY[cls.name] = cls

    # -- URLs ------------------------------------------------------------------------------
    def prepare_url(self, url: URL, folder: Path, *, what: str) -> URL:
        """The URL as this engine uses it for an app in ``folder`` (``what`` names it in
        errors): complete it, or refuse one that cannot work."""
        return url

    # -- connections -----------------------------------------------------------------------
    def exists(self, target: Target) -> bool:
        """Whether the database exists at all (looking must not create it)."""
        return True

    def prepare(self, conn: Connection, target: Target, *, for_migrations: bool) -> None:
        """Ready a new connection for ``target`` (a tenant's schema, for instance)."""

    def begin_writes(self, conn: Connection) -> None:
        """From now on, transactions on ``conn`` take the write lock when they begin. Called
        only while holding the migration lock: reads before it must not queue behind it."""

    def set_timeouts(self, conn: Connection, timeouts: Timeouts) -> None:
        """Bound how long this session's statements wait for locks and run (the rest of the
        migration run); engines without such settings do nothing."""

    def is_lock_timeout(self, exc: BaseException) -> bool:
        """Whether ``exc`` (or its cause) is a statement that gave up waiting for a lock."""
        return False

    def drop_invalid_indexes(
        self, conn: Connection, indexes: list[tuple[str | None, str]]
    ) -> list[str]:
        """Drop those of ``indexes`` that a failed or killed concurrent build left invalid;
        the names dropped. Engines without concurrent builds have none."""
        return []

    def lock_blockers(self, conn: Connection, target: Target) -> str:
        """Who holds the locks others wait for, in one line ("" when unknown)."""
        return ""

    def lock(
        self, conn: Connection, target: Target, timeout: float
    ) -> AbstractContextManager[None]:
        """The migration lock of ``target``'s database, held until the block ends."""
        raise NotImplementedError

    def alembic_options(self) -> dict[str, Any]:
        """Options for Alembic's ``context.configure`` that this engine needs."""
        return {}

    # -- schema ----------------------------------------------------------------------------
    def user_tables(self, conn: Connection, target: Target, ignore: set[str]) -> tuple[str, ...]:
        """Tables other than ``ignore`` (netapps' own), wherever the app may keep tables."""
        raise NotImplementedError

    def widen_version_column(self, conn: Connection, table: str, column: str, length: int) -> None:
        """Make a version table's column hold ``length`` characters (in the caller's
        transaction); engines that do not enforce lengths do nothing."""

    # -- backups ---------------------------------------------------------------------------
    def identity(self, target: Target) -> str:
        """Which database this is, without its password: backups record it, and a restore
        from another database's backup needs to be asked for."""
        raise NotImplementedError

    def backup(self, target: Target, path: Path, owned: Owned, conn: Connection) -> bool:
        """Write a backup of ``target``'s ``owned`` objects to ``path`` (a temporary name, made
        by the caller with mode 0600); False when there is nothing to back up."""
        raise NotImplementedError

    def verify_backup(self, path: Path) -> str:
        """Raise BackupError unless ``path`` is a complete, readable backup of this kind; the
        tool and version that wrote it (for the manifest)."""
        raise NotImplementedError

    def backup_contents(
        self, path: Path, version_table: str, version_column: str
    ) -> BackupContents:
        """The tables, version rows and ledger apps of the (verified) backup at ``path``."""
        raise NotImplementedError

    def same_file(self, target: Target, path: Path) -> bool:
        """Whether ``path`` is the live database itself."""
        return False

    def restore(self, target: Target, path: Path, owned: Owned) -> None:
        """Replace ``target``'s ``owned`` objects with the backup at ``path`` (already
        verified), all or nothing: killed at any moment, the database is as before or
        fully restored."""
        raise NotImplementedError

    # -- the no-op fast path (standard library and the plain driver only) ------------------
    @classmethod
    def fast_location(
        cls, text: str, folder: Path, password: str | None, schema: str | None
    ) -> FastLocation:
        """Read a URL as the full path would; ValueError when unsure (the fast path then
        gives up and the full implementation answers)."""
        raise ValueError(text)

    @classmethod
    def fast_connect(cls, location: FastLocation) -> Any:
        """A DB-API connection for reading the version and the ledger."""
        raise NotImplementedError
