"""Backups before any change, done for the user (the guide's first best practice), and the
checks that make a restore safe.

How a database is copied is its engine's job (netapps.engines); this module names, verifies,
lists and prunes the files: ``backups/<app>[/<tenant>]/<UTC timestamp>-<from>-<to><suffix>``,
mode 0600, each with a manifest beside it (``<file>.json``: app, tenant, engine, the source
database without its password, from and to revisions, size, SHA-256, tool versions).

A backup is written under a temporary name (``.<name>.<pid>.partial``), verified by its engine
(SQLite: ``integrity_check``; PostgreSQL: ``pg_restore --list``), checksummed, and only then
renamed into place, after its manifest: a file killed mid-copy, or cut short by a full disk,
is never listed and never restored. The newest ``keep`` backups of each database are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netapps import __version__, engines, signing
from netapps.config import Project, Target
from netapps.engines.base import Owned
from netapps.errors import BackupError, ConfigError, UsageError
from netapps.settings import ALEMBIC_VERSION_TABLE, LEDGER_TABLE

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from netapps.sources.base import Source

DEFAULT_KEEP = 10
MANIFEST = ".json"
PARTIAL = ".partial"
#: Files SQLite may leave beside a database it was writing (a backup cut short).
_SIDE_FILES = ("-journal", "-wal", "-shm")
#: 2: the manifest carries ``mac``, a keyed MAC of the rest (netapps.signing).
MANIFEST_FORMAT = 2


def _suffixes() -> frozenset[str]:
    """Every engine's backup suffix: the files this module lists and prunes."""
    found = (engines.engine_class(name) for name in engines.names())
    return frozenset(cls.backup_suffix for cls in found if cls is not None)


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    created: dt.datetime
    manifest: dict[str, Any]

    @property
    def database(self) -> str:
        return str(self.manifest.get("database", ""))


def backup_dir(project: Project, app: str) -> Path:
    settings = project.settings.get("backups", {})
    return (project.root / str(settings.get("dir", "backups")) / app).resolve()


def keep_count(project: Project) -> int:
    keep = project.settings.get("backups", {}).get("keep", DEFAULT_KEEP)
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ConfigError(
            f"netapps.toml: [backups] keep = {keep!r}; it must be a whole number of at least 1 "
            "(the newest backups of each database kept)"
        )
    return keep


def enabled(project: Project) -> bool:
    return bool(project.settings.get("backups", {}).get("enabled", True))


def _label(revision: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9_.,]", "_", revision or "base")[:40]


def target_dir(project: Project, target: Target) -> Path:
    folder = backup_dir(project, target.app.name)
    return folder / target.tenant if target.tenant else folder


def manifest_path(file: Path) -> Path:
    return file.with_name(file.name + MANIFEST)


def signed_part(manifest: dict[str, Any]) -> bytes:
    """What a manifest's MAC covers: every field but the MAC, in one canonical form."""
    rest = {k: v for k, v in manifest.items() if k != "mac"}
    return json.dumps(rest, sort_keys=True, separators=(",", ":")).encode()


def _key(what: str) -> bytes:
    try:
        return signing.installation_key()
    except signing.Untrusted as exc:
        raise BackupError(f"{what}: {exc}; nothing was changed") from None


def checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- what an app owns in its database ------------------------------------------------------
_CREATED = (
    re.compile(r"create_table\(\s*['\"]([A-Za-z_][\w$]*)['\"]"),
    re.compile(
        r"CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\"?public\"?\.)?\"?"
        r"([A-Za-z_][\w$]*)\"?\s*\(",
        re.IGNORECASE,
    ),
)
_SCHEMA = re.compile(r"CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?([A-Za-z_][\w$]*)", re.I)


def owned_objects(source: Source) -> Owned:
    """The app's schemas (its models' and those its migrations create) and its tables in the
    default schema (those its migrations create, its version table and the ledger)."""
    tables = {LEDGER_TABLE, source.version_table or "alembic_version"}
    schemas = set(_schemas(source))
    folders = {r.path.parent for r in source.revisions}
    for folder in folders:
        for path in (*folder.glob("*.py"), *folder.glob("*.sql")):
            text = path.read_text(errors="replace")
            for pattern in _CREATED:
                tables.update(pattern.findall(text))
            schemas.update(_SCHEMA.findall(text))
    return Owned(schemas=tuple(sorted(schemas)), tables=tuple(sorted(tables)))


def _schemas(source: Source) -> tuple[str, ...]:
    """The source's schemas. Inside Alembic's env.py (a plain ``alembic downgrade``), reading
    the models runs env.py once more, which ends Alembic's context: the outer one is put back."""
    if source.kind != "alembic":
        return source.schemas()
    from alembic import context

    outer = getattr(context, "_proxy", None)
    try:
        return source.schemas()
    finally:
        if outer is not None and getattr(context, "_proxy", None) is not outer:
            outer._install_proxy()


# -- making ---------------------------------------------------------------------------------
def make_backup(
    project: Project,
    target: Target,
    start: str | None,
    end: str | None,
    *,
    source: Source,
    conn: Connection,
    protect: Path | None = None,
) -> Path | None:
    """Back up ``target``'s database; None when there is nothing to back up yet. The file
    appears under its name only complete, verified and with its manifest; ``protect`` is never
    pruned (the backup a restore is about to read)."""
    engine = target.engine
    folder = target_dir(project, target)
    keep = keep_count(project)
    key = _key(f"{target.name}: the backup's manifest cannot be signed")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{_label(start)}-{_label(end)}{engine.backup_suffix}"
    partial = folder / f".{path.name}.{os.getpid()}{PARTIAL}"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _remove_stale(folder)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        owned = owned_objects(source) if engine.has_schemas else Owned()  # SQLite: all of it
        if not engine.backup(target, partial, owned, conn):
            return None
        _fsync(partial)
        try:
            tool = engine.verify_backup(partial)
        except BackupError as exc:
            raise BackupError(
                f"{target.name}: the backup failed its check, nothing was changed ({exc})"
            ) from None
        manifest = {
            "format": MANIFEST_FORMAT,
            "app": target.app.name,
            "tenant": target.tenant,
            "engine": engine.name,
            "database": engine.identity(target),
            "url": target.display_url,
            "from": start,
            "to": end,
            "size": partial.stat().st_size,
            "sha256": checksum(partial),
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "netapps": __version__,
            "tool": tool,
        }
        manifest["mac"] = signing.mac(key, signed_part(manifest))
        written = folder / f".{path.name}{MANIFEST}.{os.getpid()}{PARTIAL}"
        fd = os.open(written, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(manifest, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(written, manifest_path(path))
        os.replace(partial, path)
        _fsync_dir(folder)
    except OSError as exc:  # a full disk, a read-only folder
        raise BackupError(
            f"{target.name}: could not write a backup in {folder} ({exc.strerror or exc}); "
            "nothing was changed"
        ) from None
    finally:
        for leftover in (partial, *(partial.with_name(partial.name + x) for x in _SIDE_FILES)):
            # A folder that could not be made (a file in its place) has no leftovers; the
            # error above is the one to report.
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
    _prune(folder, keep, protect)
    return path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder
        _fsync(folder)


def _remove_stale(folder: Path) -> None:
    """Temporary files of backups whose process is gone (killed mid-copy)."""
    for path in folder.glob(f".*{PARTIAL}*"):
        try:
            pid = int(path.name.rsplit(PARTIAL, 1)[0].rsplit(".", 1)[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except (ValueError, IndexError, PermissionError):
            continue


def read_manifest(file: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(manifest_path(file).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _listed(folder: Path) -> list[BackupFile]:
    """Complete backups in ``folder`` (not its subfolders), newest first: files with a
    manifest whose size matches."""
    found: list[BackupFile] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir(), key=lambda p: p.name, reverse=True):
        if path.name.startswith(".") or path.suffix not in _suffixes() or not path.is_file():
            continue
        manifest = read_manifest(path)
        stat = path.stat()
        if manifest is None or manifest.get("size") != stat.st_size:
            continue
        created = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
        found.append(BackupFile(path, stat.st_size, created, manifest))
    return found


def _prune(folder: Path, keep: int, protect: Path | None = None) -> None:
    """The newest ``keep`` backups of each database (by the manifest's identity) stay: a
    backup of one database never pushes out the last backup of another."""
    seen: dict[str, int] = {}
    for item in _listed(folder):
        count = seen[item.database] = seen.get(item.database, 0) + 1
        if count > keep and item.path != protect:
            manifest_path(item.path).unlink(missing_ok=True)
            item.path.unlink(missing_ok=True)


def list_backups(project: Project, app: str) -> list[BackupFile]:
    """An app's backups (its tenants' too, in their own folders), newest first."""
    folder = backup_dir(project, app)
    if not folder.is_dir():
        return []
    folders = [folder, *(p for p in folder.iterdir() if p.is_dir())]
    found = [item for f in folders for item in _listed(f)]
    return sorted(found, key=lambda b: b.path.name, reverse=True)


# -- restoring ------------------------------------------------------------------------------
def check_backup_file(
    target: Target, file: Path, *, source: Source, other_database: bool = False
) -> None:
    """Refuse, before anyone is asked, any lock taken or any connection opened, a file that is
    not a complete, intact backup of this app's (and tenant's) database: by its manifest, and
    by what it holds (a manifest relabelled from another app's does not pass)."""
    if not file.is_file():
        raise UsageError(
            f"{file} is not a backup file; `netapps backups {target.app.name}` lists them"
        )
    engine = target.engine
    if engine.same_file(target, file):
        raise BackupError(f"{file} is {target.name}'s live database, not a backup of it")
    if file.suffix != engine.backup_suffix:
        raise UsageError(
            f"{file} is not a {engine.name} backup ({engine.backup_suffix}) for {target.app.name}"
        )
    manifest = read_manifest(file)
    if manifest is None:
        raise BackupError(
            f"{file} has no readable manifest ({manifest_path(file).name}): it is not a "
            f"complete backup made by netapps; `netapps backups {target.app.name}` lists those"
        )
    _check_trusted(file, manifest)
    for field, want in (
        ("app", target.app.name),
        ("tenant", target.tenant),
        ("engine", engine.name),
    ):
        if manifest.get(field) != want:
            raise BackupError(
                f"{file} is a backup of {field} {manifest.get(field)!r}, not {want!r}: it cannot "
                f"be restored into {target.name}"
            )
    try:
        size, digest = file.stat().st_size, checksum(file)
    except OSError as exc:
        raise BackupError(f"{file} cannot be read: {exc.strerror or exc}") from None
    if manifest.get("size") != size or manifest.get("sha256") != digest:
        raise BackupError(
            f"{file} does not match its manifest's size and checksum: it was cut short or "
            "changed since it was made; restore another backup"
        )
    engine.verify_backup(file)
    _check_contents(target, file, source)
    if manifest.get("database") != engine.identity(target) and not other_database:
        raise BackupError(
            f"{file} is a backup of {manifest.get('database')}, not of "
            f"{engine.identity(target)}; pass --other-database to restore it here anyway"
        )


#: The column of each kind of version table that holds the revision id.
_VERSION_COLUMNS = {"alembic": "version_num", "sql": "version"}


def _check_contents(target: Target, file: Path, source: Source) -> None:
    """The backup's version rows are revisions of this app, its ledger rows name this app,
    and its tables are this app's (in its schemas, or among the tables its migrations
    create): a backup of another app relabelled as this one's is refused."""
    app = target.app.name
    version_table = source.version_table or ALEMBIC_VERSION_TABLE
    contents = target.engine.backup_contents(
        file, version_table, _VERSION_COLUMNS.get(source.kind, "version_num")
    )
    owned = owned_objects(source)
    known = {revision.id for revision in source.revisions}
    problems = []
    versions = sorted(set(contents.versions) - known)
    if versions:
        problems.append(f"version {_some(versions)}, which is not a revision of {app}")
    apps = sorted(contents.ledger_apps - {app})
    if apps:
        problems.append(f"ledger rows of {_some(apps)}")
    tables = sorted(
        f"{schema}.{table}" if schema else table
        for schema, table in contents.tables
        if not _owned_table(target, owned, schema, table)
    )
    if tables:
        problems.append(f"tables that are not {app}'s ({_some(tables)})")
    if problems:
        raise BackupError(
            f"{file} holds {'; '.join(problems)}: it is not a backup of {app} and cannot be "
            f"restored into {target.name}; nothing was changed"
        )


def _owned_table(target: Target, owned: Owned, schema: str | None, table: str) -> bool:
    if schema is None:  # SQLite: every table in the one file
        return table in owned.tables
    if target.schema:  # a schema tenant's dump is its schema alone
        return schema == target.schema and table in owned.tables
    return schema in owned.schemas or (schema == "public" and table in owned.tables)


def _some(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _check_trusted(file: Path, manifest: dict[str, Any]) -> None:
    """The backup and its manifest are this user's, nobody else can write them or their
    folder, and the manifest's MAC was made with this installation's key."""
    try:
        signing.check_private(file)
        signing.check_private(manifest_path(file))
    except signing.Untrusted as exc:
        raise BackupError(f"{file} is not restored: {exc}; nothing was changed") from None
    key = _key(f"{file} cannot be checked")
    if not signing.verify(key, signed_part(manifest), manifest.get("mac")):
        raise BackupError(
            f"{file} is not restored: its manifest's MAC does not match this installation's key "
            f"(the manifest was edited, or made by another installation or an older netapps; "
            f"the key is {signing.key_path()}); nothing was changed"
        )


def restore(
    project: Project,
    target: Target,
    file: Path,
    *,
    source: Source,
    conn: Connection,
    other_database: bool = False,
) -> Path | None:
    """Under the migration lock: check the file again, back up what is there now (the
    backup made, or None), then replace the app's objects with the file's, all or nothing."""
    check_backup_file(target, file, source=source, other_database=other_database)
    engine = target.engine
    saved = None
    current = source.current(conn) if engine.exists(target) else ()
    tables = engine.user_tables(conn, target, set()) if engine.exists(target) else ()
    if conn.in_transaction():
        conn.commit()
    if current or tables:  # an empty database has nothing to lose
        manifest = read_manifest(file) or {}
        saved = make_backup(
            project,
            target,
            ",".join(current) or None,
            f"restore-{manifest.get('to') or 'base'}",
            source=source,
            conn=conn,
            protect=file,
        )
    engine.restore(target, file, owned_objects(source) if engine.has_schemas else Owned())
    return saved
