"""What a migration file says, read without running it.

Reading a revision file with ``ast`` instead of importing it costs microseconds and imports
neither SQLAlchemy nor Alembic: it gives the id, parents and message (enough to know the heads
for the no-op fast path), the file's checksum (to catch edited migrations), and the source of
upgrade()/downgrade() (to flag destructive changes before they run).
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

# Operations that lose data or narrow what a column accepts.
_DESTRUCTIVE_PY = re.compile(
    r"\b(drop_table|drop_column|drop_schema|DropTable|DropSchema)\s*\(|"
    r"\balter_column\s*\([^)]*\btype_\s*=|"
    r"\b(DROP\s+(TABLE|COLUMN|SCHEMA)|TRUNCATE|DELETE\s+FROM)\b",
    re.IGNORECASE,
)
_DESTRUCTIVE_SQL = re.compile(
    r"\b(DROP\s+(TABLE|COLUMN|SCHEMA)|TRUNCATE|DELETE\s+FROM|ALTER\s+COLUMN\s+\w+\s+(SET\s+DATA\s+)?TYPE)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Details:
    """What only planning and reviewing need: the message and the destructive operations."""

    message: str
    destructive_up: tuple[str, ...] = ()
    destructive_down: tuple[str, ...] = ()


@dataclass(frozen=True)
class Revision:
    """One migration: an Alembic revision file or a pair of SQL files.

    Id, parents and checksum are all that applying needs, and they are read cheaply; the
    details (message, destructive operations) need the whole file parsed, so an Alembic
    revision parses it the first time they are asked for.
    """

    id: str
    parents: tuple[str, ...]
    path: Path
    checksum: str
    #: Alembic's ``depends_on``: revisions that must be applied first, though not parents (a
    #: revision on another branch). Planning follows them; heads do not.
    dependencies: tuple[str, ...] = ()
    known: Details | None = field(default=None, compare=False, repr=False)
    #: Checksums of the same files as older netapps versions recorded them (a SQL
    #: migration's up file alone): accepted, not reported as edits.
    legacy_checksums: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def matches(self, recorded: str) -> bool:
        """Whether ``recorded`` (from the ledger) is this revision's files as they are now."""
        return recorded == self.checksum or recorded in self.legacy_checksums

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

    @property
    def destructive_up(self) -> tuple[str, ...]:
        return self.details.destructive_up

    @property
    def destructive_down(self) -> tuple[str, ...]:
        return self.details.destructive_down

    def destructive(self, direction: Direction) -> tuple[str, ...]:
        return self.destructive_up if direction == "up" else self.destructive_down


@dataclass(frozen=True)
class Step:
    revision: Revision
    direction: Direction

    @property
    def destructive(self) -> tuple[str, ...]:
        return self.revision.destructive(self.direction)


def checksum(data: bytes) -> str:
    # Line endings are normalised so that a checkout on another OS is not an "edit".
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def destructive_operations(source: str, *, sql: bool = False) -> tuple[str, ...]:
    pattern = _DESTRUCTIVE_SQL if sql else _DESTRUCTIVE_PY
    found: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("#", "--")):
            continue
        if pattern.search(stripped) and stripped not in found:
            found.append(stripped[:120])
    return tuple(found)


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
    functions: dict[str, str] = {}
    text = data.decode("utf-8", errors="replace")
    lines: list[str] = []
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = list(node.targets), node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade"):
            # Slicing lines once is far cheaper than ast.get_source_segment on big files.
            lines = lines or text.splitlines()
            functions[node.name] = "\n".join(lines[node.lineno - 1 : node.end_lineno])
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
            destructive_up=destructive_operations(functions.get("upgrade", "")),
            destructive_down=destructive_operations(functions.get("downgrade", "")),
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
