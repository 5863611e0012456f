"""Rendered SQL cut into statements by PostgreSQL's own parser (pglast), with where each stands.

A chunk that the parser rejects is cut by pglast's scanner instead, and each piece parsed
alone: the pieces that still fail become statements without a node (``error`` says why), which
the destructive classification reports as opaque. Nothing here reads SQL with regexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import pglast
from pglast import ast
from pglast.stream import RawStream

from netapps.analysis.findings import fingerprint_of
from netapps.analysis.render import RenderedMigration

DEFAULT_SCHEMA = "public"

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Statement:
    index: int  # 1-based, in the migration
    text: str  # as rendered or written
    offset: int  # in RenderedMigration.sql
    line: int  # 1-based
    column: int  # 1-based
    source_line: int | None  # Alembic: the revision file's line that emitted it
    node: ast.Node | None  # None: the parser rejected it (see error)
    error: str | None = None

    @cached_property
    def canonical(self) -> str:
        """The statement as pglast prints it back: the same for the same SQL however written."""
        if self.node is not None:
            try:
                return str(RawStream()(self.node))
            except Exception:  # a node pglast cannot print: fall back to the text
                pass
        return _SPACE.sub(" ", self.text).strip()

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.canonical)


def parse_migration(migration: RenderedMigration) -> list[Statement]:
    statements: list[Statement] = []
    for chunk in migration.chunks:
        for offset, text, node, error in _parse_chunk(chunk.text):
            absolute = chunk.offset + offset
            line, column = _line_column(migration.sql, absolute)
            statements.append(
                Statement(
                    index=len(statements) + 1,
                    text=text,
                    offset=absolute,
                    line=line,
                    column=column,
                    source_line=chunk.source_line,
                    node=node,
                    error=error,
                )
            )
    return statements


def _parse_chunk(sql: str) -> Iterator[tuple[int, str, ast.Node | None, str | None]]:
    try:
        raw = pglast.parse_sql(sql)
    except pglast.parser.ParseError:
        yield from _parse_pieces(sql)
        return
    for stmt in raw:
        start = stmt.stmt_location or 0
        end = start + stmt.stmt_len if stmt.stmt_len else len(sql)
        text = sql[start:end].strip().rstrip(";").strip()
        if stmt.stmt is not None:
            yield start, text, stmt.stmt, None


def _parse_pieces(sql: str) -> Iterator[tuple[int, str, ast.Node | None, str | None]]:
    try:
        slices = pglast.split(sql, with_parser=False, only_slices=True)
    except pglast.Error:
        slices = (slice(0, len(sql)),)
    for piece in slices:
        text = sql[piece]
        try:
            raw = pglast.parse_sql(text)
        except pglast.parser.ParseError as exc:
            if _has_code(text):
                yield piece.start or 0, text.strip().rstrip(";").strip(), None, str(exc)
            continue
        for stmt in raw:
            start = stmt.stmt_location or 0
            end = start + stmt.stmt_len if stmt.stmt_len else len(text)
            if stmt.stmt is not None:
                body = text[start:end].strip().rstrip(";").strip()
                yield (piece.start or 0) + start, body, stmt.stmt, None


def _has_code(text: str) -> bool:
    """Whether a piece holds more than comments (pglast's scanner tells comments apart)."""
    try:
        return any(token.name not in ("SQL_COMMENT", "C_COMMENT") for token in pglast.scan(text))
    except pglast.Error:
        return bool(text.strip())


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


# ---------------------------------------------------------------------- names and helpers


def qualified(relation: ast.RangeVar | None) -> str:
    """``schema.name`` of a relation; unqualified names are in ``public``."""
    if relation is None:
        return "?"
    schema = relation.schemaname or DEFAULT_SCHEMA
    return f"{schema}.{relation.relname}"


def qualified_names(names: tuple[object, ...] | None) -> str:
    """``schema.name`` from a dotted name list (DROP TABLE a.b, DROP INDEX i)."""
    parts = [str(getattr(n, "sval", n)) for n in (names or ())]
    if len(parts) == 1:
        return f"{DEFAULT_SCHEMA}.{parts[0]}"
    return ".".join(parts[-2:])


def function_names(node: object) -> Iterator[str]:
    """Every function an expression calls (``now``, ``gen_random_uuid``), lowercased."""
    for sub in _walk(node):
        if isinstance(sub, ast.FuncCall):
            names = [str(getattr(n, "sval", "")) for n in (sub.funcname or ())]
            if names:
                yield names[-1].lower()


def string_constants(node: object) -> Iterator[str]:
    """Every string literal in a statement or expression."""
    for sub in _walk(node):
        if isinstance(sub, ast.String) and sub.sval is not None:
            yield sub.sval


def _walk(node: object) -> Iterator[object]:
    if isinstance(node, ast.Node):
        yield node
        for attr in node:
            yield from _walk(getattr(node, attr))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _walk(item)
