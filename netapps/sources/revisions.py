"""What a migration file says, read without running it.

Reading a revision file with ``ast`` instead of importing it costs microseconds and imports
neither SQLAlchemy nor Alembic: it gives the id, parents and message (enough to know the heads
for the no-op fast path) and the file's checksum (to catch edited migrations).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from netapps.errors import UsageError

Direction = Literal["up", "down"]


@dataclass(frozen=True)
class Details:
    """What only planning and reviewing need: the message, and whether the migration runs
    (part of) its work outside a transaction (``autocommit_block``: CREATE INDEX CONCURRENTLY
    and the like cannot run inside one)."""

    message: str
    outside_transaction: bool = False


@dataclass(frozen=True)
class Revision:
    """One migration: an Alembic revision file or a pair of SQL files.

    Id, parents and checksum are all that applying needs, and they are read cheaply; the
    details (the message) need the whole file parsed, so an Alembic revision parses it the
    first time they are asked for. What a revision does to the data is read from the SQL it
    runs, by netapps.analysis.
    """

    id: str
    parents: tuple[str, ...]
    path: Path
    checksum: str
    #: Alembic's ``depends_on``: revisions that must be applied first, though not parents (a
    #: revision on another branch). Planning follows them; heads do not.
    dependencies: tuple[str, ...] = ()
    known: Details | None = field(default=None, compare=False, repr=False)

    @cached_property
    def details(self) -> Details:
        if self.known is not None:
            return self.known
        parsed = read_alembic_file(self.path).known
        assert parsed is not None
        return parsed

    @property
    def message(self) -> str:
        return self.details.message


@dataclass(frozen=True)
class Step:
    revision: Revision
    direction: Direction


def checksum(data: bytes) -> str:
    # Line endings are normalised so that a checkout on another OS is not an "edit".
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


class RevisionFileError(UsageError):
    """A revision file that cannot be read: names the file and line."""


def _literal(node: ast.expr | None) -> object:
    if node is None:
        return None
    return ast.literal_eval(node)


#: The assignments that place a revision in the graph.
_GRAPH_NAMES = ("revision", "down_revision", "depends_on")

# `revision = "..."`, `down_revision = ...` and `depends_on = ...` at the start of a line, as
# Alembic writes them.
_HEADER = re.compile(
    r"^(revision|down_revision|depends_on)\s*(?::[^=\n]*)?=\s*([^\n#]+?)\s*(?:#.*)?$",
    re.MULTILINE,
)


def _ids(value: object, path: Path, name: str) -> tuple[str, ...]:
    """None, a string, or a tuple/list of strings: as Alembic accepts them."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RevisionFileError(f"{path}: {name} must be a string, a tuple of strings or None")


def read_alembic_ids(path: Path) -> Revision:
    """Id, parents and checksum only, without parsing the whole file (the no-op fast path).

    Falls back to the full reading when the two assignments are not simple literals."""
    data = path.read_bytes()
    found: dict[str, object] = {}
    for name, value in _HEADER.findall(data.decode("utf-8", errors="replace")):
        if name in found:
            return read_alembic_file(path)
        try:
            found[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return read_alembic_file(path)
    revision = found.get("revision")
    if not isinstance(revision, str):
        return read_alembic_file(path)
    try:
        parents = _ids(found.get("down_revision"), path, "down_revision")
        dependencies = _ids(found.get("depends_on"), path, "depends_on")
    except RevisionFileError:
        return read_alembic_file(path)
    return Revision(revision, parents, path, checksum(data), dependencies=dependencies)


def read_alembic_file(path: Path) -> Revision:
    data = path.read_bytes()
    try:
        tree = ast.parse(data, filename=str(path))
    except SyntaxError as exc:
        raise RevisionFileError(f"{path}:{exc.lineno}: {exc.msg}") from None
    values: dict[str, object] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = list(node.targets), node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name) and target.id in _GRAPH_NAMES:
                try:
                    values[target.id] = _literal(value)
                except ValueError:
                    raise RevisionFileError(
                        f"{path}:{node.lineno}: {target.id} must be a literal string"
                    ) from None
    revision = values.get("revision")
    if not isinstance(revision, str):
        raise RevisionFileError(f'{path}: no `revision = "..."` line; is this a migration file?')
    parents = _ids(values.get("down_revision"), path, "down_revision")
    dependencies = _ids(values.get("depends_on"), path, "depends_on")
    # Alembic's way out of the migration's transaction; what runs in it cannot be rolled back.
    outside = b"autocommit_block" in data
    docstring = ast.get_docstring(tree) or ""
    message = docstring.strip().splitlines()[0] if docstring.strip() else ""
    return Revision(
        id=revision,
        parents=parents,
        path=path,
        checksum=checksum(data),
        dependencies=dependencies,
        known=Details(
            message=message,
            outside_transaction=outside,
        ),
    )


def check_syntax(path: Path) -> None:
    """Fail with file and line if the file is not valid Python. Through Python's own bytecode
    cache (the .pyc Alembic's import uses too), so an unchanged file costs no parse."""
    loader = importlib.machinery.SourceFileLoader(f"_netapps_check_{path.stem}", str(path))
    try:
        loader.get_code(loader.name)
    except SyntaxError as exc:
        raise RevisionFileError(f"{path}:{exc.lineno}: {exc.msg}") from None


def read_alembic_folder(versions: Path, *, ids_only: bool = False) -> list[Revision]:
    read = read_alembic_ids if ids_only else read_alembic_file
    return [read(p) for p in sorted(versions.glob("*.py")) if p.name != "__init__.py"]


def heads_of(revisions: list[Revision]) -> tuple[str, ...]:
    """Revisions that no other revision names as a parent."""
    parents = {p for r in revisions for p in r.parents}
    return tuple(sorted(r.id for r in revisions if r.id not in parents))


def checksums_from_ledger(rows: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """From ledger rows (revision, direction, checksum), oldest first: the checksum each
    currently applied revision was applied or repaired with."""
    checksums: dict[str, str] = {}
    for revision, direction, digest in rows:
        if direction in ("up", "repair"):
            checksums[revision] = digest
        elif direction == "down":
            checksums.pop(revision, None)
    return checksums
