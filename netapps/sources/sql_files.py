"""Plain-SQL migration files: their names, their order, the file chosen per dialect.

Standard library only, so the no-op fast path can read them without importing SQLAlchemy;
running them is netapps.sources.sql_runner' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from netapps.errors import ConfigError
from netapps.sources.revisions import checksum

_FILE_NAME = re.compile(
    r"^(?P<version>\d+)_(?P<slug>[a-z0-9]+(?:_[a-z0-9]+)*)"
    r"\.(?P<direction>up|down)(?:\.(?P<dialect>[a-z0-9]+))?\.sql$"
)
_VERSION_WIDTH = 3


@dataclass(frozen=True)
class SqlMigration:
    """One numbered migration, with the files chosen for one dialect."""

    version: str
    description: str
    up_path: Path
    down_path: Path
    checksum: str  # sha256 of up_path, line endings normalised (the version table's)
    #: sha256 of the down file too: it runs later, so an edit to it is an edit as well.
    pair_checksum: str = ""

    @property
    def number(self) -> int:
        return int(self.version)

    @property
    def script(self) -> str:
        return self.up_path.name


def checksum_of(path: Path) -> str:
    """A file's checksum, as every migration file's (netapps.sources.revisions.checksum)."""
    return checksum(path.read_bytes())


def discover(folder: Path, dialect: str) -> list[SqlMigration]:
    """The migrations in ``folder`` for ``dialect`` (e.g. ``"sqlite"``), oldest first.

    Files that do not end in ``.sql`` (a README) are ignored; a ``.sql`` file that does not
    follow the naming scheme, a duplicate or missing version, or a missing up or down file is
    a :class:`ConfigError` that names the file and what to do.
    """
    if not folder.is_dir():
        raise ConfigError(f"migrations folder {folder} does not exist; create it or fix the path")
    # version number -> (version text, slug, {(direction, dialect or None): path})
    found: dict[int, tuple[str, str, dict[tuple[str, str | None], Path]]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ConfigError(
                f"{path}: not a migration file name; rename it NNN_slug.up.sql or "
                "NNN_slug.down.sql (optionally NNN_slug.up.<dialect>.sql), lowercase slug"
            )
        version, slug = match["version"], match["slug"]
        number = int(version)
        if number < 1:
            raise ConfigError(f"{path}: version numbers start at 1; renumber it")
        entry = found.setdefault(number, (version, slug, {}))
        if (entry[0], entry[1]) != (version, slug):
            raise ConfigError(
                f"{path}: duplicate version {version} (also {entry[0]}_{entry[1]}); "
                "give one of them the next free number"
            )
        entry[2][(match["direction"], match["dialect"])] = path

    migrations: list[SqlMigration] = []
    for expected, number in enumerate(sorted(found), start=1):
        version, slug, files = found[number]
        if number != expected:
            raise ConfigError(
                f"{folder}: version {expected:0{_VERSION_WIDTH}d} is missing before "
                f"{version}_{slug}; renumber the files so versions run 1, 2, 3... without gaps"
            )
        up = _pick(files, "up", dialect, folder / f"{version}_{slug}")
        down = _pick(files, "down", dialect, folder / f"{version}_{slug}")
        migrations.append(
            SqlMigration(
                version=version,
                description=slug.replace("_", " "),
                up_path=up,
                down_path=down,
                checksum=checksum_of(up),
                pair_checksum=checksum(f"{checksum_of(up)}\n{checksum_of(down)}".encode()),
            )
        )
    return migrations


def _pick(
    files: dict[tuple[str, str | None], Path], direction: str, dialect: str, stem: Path
) -> Path:
    chosen = files.get((direction, dialect)) or files.get((direction, None))
    if chosen is not None:
        return chosen
    others = sorted(p.name for (d, _), p in files.items() if d == direction)
    if others:
        raise ConfigError(
            f"{stem}: no {direction} file for {dialect} (only {', '.join(others)}); "
            f"add {stem.name}.{direction}.sql or {stem.name}.{direction}.{dialect}.sql"
        )
    existing = min(files.values())
    if direction == "down":
        raise ConfigError(
            f"{existing}: no down file; add {stem.name}.down.sql that undoes it "
            "(every migration needs one)"
        )
    raise ConfigError(f"{existing}: no up file; add {stem.name}.up.sql or remove {existing.name}")
