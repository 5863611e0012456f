"""SQLite templates: one file per key in a cache folder, copied for every test.

The folder is ``$NETAPPS_TESTDB_CACHE`` when set, else ``$XDG_CACHE_HOME/netapps/testdb``
(``~/.cache/netapps/testdb``). A template is built under an exclusive ``flock`` on
``<app>.lock`` there (two test processes building it at once: one builds, the other waits and
finds it), into a temporary name, and renamed into place only once netapps' migrate
succeeded: a build that failed or was killed never leaves a template behind. Templates of the
same app under other keys are pruned after a build, the most recently built few kept (other
checkouts of the project may share the folder).

A clone is a plain copy of the file (mode 0600, as netapps' own databases): the template is
closed and complete, so the copy is a consistent database. SQLite's backup API gives the same
result and is measured against it in bench/testdb.py.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL

from netapps.testing.key import TemplateKey

CACHE_ENV = "NETAPPS_TESTDB_CACHE"
#: Templates of one app kept in the folder (the current one included).
KEEP = 3


def default_cache_dir() -> Path:
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netapps" / "testdb"


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


@contextmanager
def _app_lock(folder: Path, app: str) -> Iterator[None]:
    with open(folder / f"{app}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".migrate.lock")):
        leftover.unlink(missing_ok=True)


class SqliteTemplates:
    """The template files of one cache folder."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else default_cache_dir()

    def path(self, key: TemplateKey) -> Path:
        return self.folder / f"{key.app}-{key.short}.db"

    def ensure(self, key: TemplateKey, build: Callable[[URL], None]) -> Path:
        """The template of ``key``, built with ``build(url of an empty file)`` when missing."""
        path = self.path(key)
        if path.is_file():
            return path
        self.folder.mkdir(parents=True, exist_ok=True)
        with _app_lock(self.folder, key.app):
            if path.is_file():  # another process built it while we waited
                return path
            partial = self.folder / f".{key.app}-{key.short}.{os.getpid()}.partial.db"
            _remove(partial)
            try:
                build(sqlite_url(partial))
                os.chmod(partial, 0o600)
                os.replace(partial, path)
            finally:
                _remove(partial)
            self._prune(key, path)
        return path

    def _prune(self, key: TemplateKey, current: Path) -> None:
        """Keep the ``KEEP`` most recently built templates of the app; drop the rest, and
        partial files of builds that died (we hold the app's lock: none is running)."""
        for partial in self.folder.glob(f".{key.app}-*.partial.db*"):
            partial.unlink(missing_ok=True)
        others = [p for p in self.folder.glob(f"{key.app}-*.db") if p != current]
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in others[KEEP - 1 :]:
            _remove(stale)

    def clone(self, template: Path, destination: Path) -> URL:
        """A copy of ``template`` at ``destination`` (which must not exist)."""
        shutil.copyfile(template, destination)
        os.chmod(destination, 0o600)
        return sqlite_url(destination)

    @staticmethod
    def clone_by_backup(template: Path, destination: Path) -> URL:
        """The same, through SQLite's online backup API (measured, not the default)."""
        with sqlite3.connect(template) as source, sqlite3.connect(destination) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        os.chmod(destination, 0o600)
        return sqlite_url(destination)

    def clear(self, app: str | None = None) -> list[Path]:
        """Remove every template (of ``app``, or of every app) of the folder, with its lock
        and partial files; what was removed."""
        if not self.folder.is_dir():
            return []
        removed = []
        for path in sorted(self.folder.iterdir()):
            if app is not None and not path.name.lstrip(".").startswith((f"{app}-", f"{app}.")):
                continue
            if path.suffix in (".db", ".lock") or path.name.endswith(".migrate.lock"):
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed
