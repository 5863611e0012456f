"""What the analysis reports: one :class:`Finding` per rule that a statement breaks.

A finding names the migration, the statement (its text, where it stands in the rendered SQL and,
for an Alembic revision, the line of the Python call that emitted it), what is wrong and the
safe way to do it. Findings serialise to JSON (:meth:`Finding.to_json`) and to one line of text
(:meth:`Finding.text`); the baseline matches them by migration, rule and fingerprint.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

#: "lock": the statement blocks reads or writes on a table that exists while it runs.
#: "destructive": running it can destroy or rewrite data, or the analysis cannot tell.
Category = Literal["lock", "destructive"]

#: Destructive findings only: how bad.
#: "destroys-data": rows, columns or whole tables can be lost (DROP, TRUNCATE, narrowing...);
#: "rewrites-data": every row is changed (UPDATE without WHERE), or selected rows deleted;
#: "opaque": a statement whose effect cannot be read from its SQL (DO blocks, unparseable).
Effect = Literal["destroys-data", "rewrites-data", "opaque"]

_SPACE = re.compile(r"\s+")


def fingerprint_of(canonical_sql: str) -> str:
    """A short, stable id of a statement: sha256 of its canonical text (deparsed by pglast, so
    whitespace, comments and letter case of keywords do not change it)."""
    return hashlib.sha256(canonical_sql.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    rule: str
    category: Category
    migration: str  # revision id or SQL version ("005_create_fi_tables", "002")
    path: str  # the migration's file, relative to the app folder
    statement: str  # the SQL as rendered or written
    statement_index: int  # 1-based position among the migration's statements
    line: int  # 1-based line of the statement in the rendered SQL (the file, for SQL apps)
    column: int  # 1-based column of that line
    source_line: int | None  # Alembic: line of the Python call that emitted the statement
    fingerprint: str
    message: str  # what the statement does that the rule is about
    why: str  # why it hurts
    recipe: str  # the safe way to do it
    table: str | None = None  # schema-qualified
    lock: str | None = None  # the lock mode it takes, e.g. "ACCESS EXCLUSIVE"
    effect: Effect | None = None
    direction: Literal["up", "down"] = "up"

    @property
    def where(self) -> str:
        if self.source_line is not None:
            return f"{self.path}:{self.source_line} (statement {self.statement_index})"
        return f"{self.path}:{self.line}:{self.column}"

    def text(self) -> str:
        """One line for a human: where, which rule, what, and the lock or effect."""
        tag = (self.lock and f"{self.lock} lock") or self.effect or ""
        short = _SPACE.sub(" ", self.statement).strip()
        if len(short) > 90:
            short = short[:87] + "..."
        suffix = f" [{tag}]" if tag else ""
        return f"{self.where}: {self.rule}: {self.message}{suffix} -- {short}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["where"] = self.where
        return data
