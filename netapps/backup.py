"""Backups before any change, done for the user (the guide's first best practice).

SQLite: the online backup API, a consistent copy even while others read. PostgreSQL:
``pg_dump -Fc`` (the password goes through the environment, never the command line). Files
are ``backups/<app>/<UTC timestamp>-<from>-<to>.<ext>``, mode 0600, the newest N kept.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from netapps.config import Project, Target
from netapps.errors import NetappsError, UsageError
from netapps.urls import is_sqlite, sqlite_path

DEFAULT_KEEP = 10


class BackupError(NetappsError):
    """A backup could not be made; nothing was changed."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    created: dt.datetime


def backup_dir(project: Project, app: str) -> Path:
    settings = project.settings.get("backups", {})
    return (project.root / str(settings.get("dir", "backups")) / app).resolve()


def keep_count(project: Project) -> int:
    return int(project.settings.get("backups", {}).get("keep", DEFAULT_KEEP))


def enabled(project: Project) -> bool:
    return bool(project.settings.get("backups", {}).get("enabled", True))


def _label(revision: str | None) -> str:
    return (revision or "base").replace("/", "_")[:40]


def target_dir(project: Project, target: Target) -> Path:
    folder = backup_dir(project, target.app.name)
    return folder / target.tenant if target.tenant else folder


def make_backup(
    project: Project, target: Target, start: str | None, end: str | None
) -> Path | None:
    """Back up ``target``'s database; None when there is nothing to back up yet."""
    folder = target_dir(project, target)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{stamp}-{_label(start)}-{_label(end)}"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if is_sqlite(target.url):
        source = sqlite_path(target.url)
        if source is None or not source.exists():
            return None
        path = folder / f"{name}.db"
        os.close(
            os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        )  # never readable by others
        _sqlite_copy(source, path)
    elif target.url.get_backend_name() == "postgresql":
        path = folder / f"{name}.dump"
        _pg_dump(target.url, path, target.schema)
    else:
        raise BackupError(
            f"{target.app.name}: no backup method for {target.url.get_backend_name()}; "
            "pass --no-backup to migrate without one"
        )
    _prune(folder, keep_count(project))
    return path


def _sqlite_copy(source: Path, destination: Path) -> None:
    """A consistent copy through SQLite's online backup API (readers may go on meanwhile)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _pg_env(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432)]
    if url.username:
        args += ["-U", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _only(schema: str | None) -> list[str]:
    """A tenant living in a schema is backed up alone."""
    return ["--schema", schema] if schema else []


def _pg_dump(url: URL, path: Path, schema: str | None = None) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not installed, so no backup can be made before migrating PostgreSQL; "
            "install postgresql-client, or pass --no-backup"
        )
    args, env = _pg_env(url)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    done = subprocess.run(
        [pg_dump, "-Fc", "--no-owner", "-f", str(path), *args, *_only(schema), str(url.database)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        path.unlink(missing_ok=True)
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise BackupError(f"pg_dump failed, nothing was migrated: {first}")


def _prune(folder: Path, keep: int) -> None:
    files = sorted((p for p in folder.iterdir() if p.suffix in (".db", ".dump")), reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def list_backups(project: Project, app: str) -> list[BackupFile]:
    """An app's backups (its tenants' too, in their own folders), newest first."""
    folder = backup_dir(project, app)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.name, reverse=True):
        if path.suffix in (".db", ".dump"):
            stat = path.stat()
            found.append(
                BackupFile(path, stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))
            )
    return found


def check_backup_file(target: Target, file: Path) -> None:
    """Refuse, before anything is touched, a file that cannot be this database's backup."""
    if not file.is_file():
        raise UsageError(
            f"{file} is not a backup file; `netapps backups {target.app.name}` lists them"
        )
    wanted = ".db" if is_sqlite(target.url) else ".dump"
    if file.suffix != wanted:
        kind = "SQLite" if wanted == ".db" else "PostgreSQL"
        raise UsageError(f"{file} is not a {kind} backup ({wanted}) for {target.app.name}")


def restore(project: Project, target: Target, file: Path) -> None:
    check_backup_file(target, file)
    if is_sqlite(target.url):
        destination = sqlite_path(target.url)
        assert destination is not None
        _sqlite_copy(file, destination)
        return
    _pg_restore(target.url, file, target.schema)


# Everything the app's database holds, dropped in the same transaction as the restore, so that
# objects created after the backup (which --clean would not know of) cannot block it.
_DROP_EVERYTHING = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT nspname FROM pg_namespace
      WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', item.nspname);
  END LOOP;
  FOR item IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', item.tablename);
  END LOOP;
  FOR item IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS public.%I CASCADE', item.sequencename);
  END LOOP;
END $$;
"""


def _drop_schema_sql(schema: str) -> str:
    return 'DROP SCHEMA IF EXISTS "' + schema.replace('"', '""') + '" CASCADE;\n'


def _pg_restore(url: URL, file: Path, schema: str | None = None) -> None:
    """Replace the database's contents with the dump's, all in one transaction: a failure
    leaves the database exactly as it was."""
    pg_restore, psql = shutil.which("pg_restore"), shutil.which("psql")
    if pg_restore is None or psql is None:
        raise BackupError("pg_restore and psql are needed to restore; install postgresql-client")
    args, env = _pg_env(url)
    script = subprocess.run(
        [pg_restore, "--no-owner", "--no-privileges", "-f", "-", str(file)],
        env=env,
        capture_output=True,
        text=True,
    )
    if script.returncode != 0:
        first = (script.stderr.strip().splitlines() or ["no message"])[0]
        raise BackupError(f"pg_restore could not read {file}: {first}")
    done = subprocess.run(
        [
            psql,
            "-X",
            "-q",
            "--single-transaction",
            "-v",
            "ON_ERROR_STOP=1",
            *args,
            "-d",
            str(url.database),
        ],
        # A tenant's backup holds its schema only: replace that schema, nothing else.
        input=(_drop_schema_sql(schema) if schema else _DROP_EVERYTHING) + script.stdout,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise BackupError(f"restore failed and was rolled back, nothing changed: {first}")
