"""Backups before any change, done for the user (the guide's first best practice).

How a database is copied is its engine's job (netapps.engines); this module names, lists and
prunes the files: ``backups/<app>[/<tenant>]/<UTC timestamp>-<from>-<to><suffix>``, mode 0600,
the newest N kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from netapps import engines
from netapps.config import Project, Target
from netapps.errors import UsageError

DEFAULT_KEEP = 10


def _suffixes() -> frozenset[str]:
    """Every engine's backup suffix: the files this module lists and prunes."""
    found = (engines.engine_class(name) for name in engines.names())
    return frozenset(cls.backup_suffix for cls in found if cls is not None)


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
    engine = target.engine
    folder = target_dir(project, target)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{stamp}-{_label(start)}-{_label(end)}{engine.backup_suffix}"
    if not engine.backup(target, path):
        return None
    _prune(folder, keep_count(project))
    return path


def _prune(folder: Path, keep: int) -> None:
    files = sorted((p for p in folder.iterdir() if p.suffix in _suffixes()), reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def list_backups(project: Project, app: str) -> list[BackupFile]:
    """An app's backups (its tenants' too, in their own folders), newest first."""
    folder = backup_dir(project, app)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.name, reverse=True):
        if path.suffix in _suffixes():
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
    engine = target.engine
    if file.suffix != engine.backup_suffix:
        raise UsageError(
            f"{file} is not a {engine.name} backup ({engine.backup_suffix}) for {target.app.name}"
        )


def restore(project: Project, target: Target, file: Path) -> None:
    check_backup_file(target, file)
    target.engine.restore(target, file)
