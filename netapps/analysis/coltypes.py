"""Column types as PostgreSQL names them, and what changing one into another does.

``varchar(50) -> varchar(100)`` or ``varchar -> text`` are binary-coercible: PostgreSQL changes
the catalog only. ``int -> bigint`` rewrites the table; ``varchar(50) -> varchar(3)``,
``text -> varchar(n)``, ``numeric(15,2) -> numeric(10,2)`` or ``bigint -> int`` narrow it (the
rewrite fails on, or loses, values that no longer fit). The rewrite rules were checked against
PostgreSQL 15 (the table's relfilenode changes exactly when this module says it rewrites:
tests/test_analysis_types.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pglast import ast

_ALIASES = {
    "integer": "int4",
    "int": "int4",
    "serial": "int4",
    "serial4": "int4",
    "bigint": "int8",
    "bigserial": "int8",
    "serial8": "int8",
    "smallint": "int2",
    "smallserial": "int2",
    "serial2": "int2",
    "decimal": "numeric",
    "real": "float4",
    "float": "float8",
    "boolean": "bool",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "timestamp with time zone": "timestamptz",
    "time with time zone": "timetz",
}

#: Integer and float types, narrowest first: a move to the right widens (with a rewrite).
_WIDENING_CHAINS = (("int2", "int4", "int8"), ("float4", "float8"))


@dataclass(frozen=True)
class ColumnType:
    name: str  # canonical PostgreSQL name: varchar, text, int4, numeric, timestamptz...
    mods: tuple[int, ...] = ()  # varchar(50) -> (50,); numeric(15, 2) -> (15, 2)
    array: bool = False

    def __str__(self) -> str:
        mods = f"({', '.join(str(m) for m in self.mods)})" if self.mods else ""
        return f"{self.name}{mods}{'[]' if self.array else ''}"


def column_type(type_name: ast.TypeName) -> ColumnType:
    """The canonical type of a pglast TypeName (``character varying(50)`` -> varchar(50))."""
    names = [str(getattr(n, "sval", "")) for n in (type_name.names or ())]
    name = names[-1].lower() if names else "?"
    name = _ALIASES.get(name, name)
    mods: list[int] = []
    for mod in type_name.typmods or ():
        value: Any = getattr(getattr(mod, "val", None), "ival", None)
        if isinstance(value, int):
            mods.append(value)
    return ColumnType(name, tuple(mods), array=bool(type_name.arrayBounds))


def has_using(definition: ast.ColumnDef, column: str) -> bool:
    """Whether ``ALTER COLUMN column TYPE ... USING expr`` computes anything: a USING that is
    the column itself, or the column cast to the new type, is the same as no USING (PostgreSQL
    then decides the rewrite on the types alone)."""
    expr = definition.raw_default
    if expr is None:
        return False
    if isinstance(expr, ast.TypeCast) and expr.typeName is not None:
        new = column_type(definition.typeName) if definition.typeName else None
        if new is not None and column_type(expr.typeName) == new:
            expr = expr.arg
    if isinstance(expr, ast.ColumnRef):
        fields = [getattr(f, "sval", None) for f in expr.fields or ()]
        return fields[-1:] != [column]
    return True


@dataclass(frozen=True)
class TypeChange:
    old: ColumnType | None  # None: the column's type before is not known
    new: ColumnType
    using: bool
    rewrites: bool  # PostgreSQL rewrites the whole table under ACCESS EXCLUSIVE
    lossy: bool  # values can be lost or the statement fail on existing data
    reason: str

    @property
    def description(self) -> str:
        old = str(self.old) if self.old is not None else "?"
        using = " USING an expression" if self.using else ""
        return f"{old} -> {self.new}{using}"


def compare(old: ColumnType | None, new: ColumnType, using: bool = False) -> TypeChange:
    """What ``ALTER COLUMN ... TYPE new [USING ...]`` does to a column of type ``old``."""

    def change(rewrites: bool, lossy: bool, reason: str) -> TypeChange:
        return TypeChange(old, new, using, rewrites, lossy, reason)

    if using:
        return change(True, True, "a USING expression recomputes every value")
    if old is None:
        return change(True, True, "the column's type before this migration is not known")
    if old == new:
        return change(False, False, "same type")
    if old.array != new.array:
        return change(True, True, "conversion between an array and a scalar")
    if old.name in ("varchar", "text") and new.name in ("varchar", "text"):
        old_len = old.mods[0] if old.name == "varchar" and old.mods else None
        new_len = new.mods[0] if new.name == "varchar" and new.mods else None
        if new_len is None or (old_len is not None and new_len >= old_len):
            return change(False, False, "binary-coercible: a longer or unlimited string")
        return change(True, True, f"narrows the string to {new_len} characters")
    if old.name == new.name == "numeric":
        return _numeric(old, new, change)
    if old.name == new.name == "bpchar":
        old_len, new_len = (old.mods or (1,))[0], (new.mods or (1,))[0]
        if new_len >= old_len:
            return change(True, False, "char(n) is padded: a longer one rewrites the table")
        return change(True, True, f"narrows char to {new_len} characters")
    for chain in _WIDENING_CHAINS:
        if old.name in chain and new.name in chain:
            if chain.index(new.name) > chain.index(old.name):
                return change(True, False, f"widens {old.name} to {new.name}: a table rewrite")
            return change(True, True, f"narrows {old.name} to {new.name}")
    if old.name == "timestamp" and new.name == "timestamptz":
        return change(True, False, "timestamp -> timestamptz rewrites unless the session is UTC")
    return change(True, True, f"converts {old} to {new}: values may fail to convert or lose detail")


def _numeric(
    old: ColumnType, new: ColumnType, change: Callable[[bool, bool, str], TypeChange]
) -> TypeChange:
    if not new.mods:
        return change(False, False, "binary-coercible: unconstrained numeric")
    if not old.mods:
        return change(True, True, f"constrains numeric to {new}")
    old_p, old_s = old.mods[0], (old.mods[1] if len(old.mods) > 1 else 0)
    new_p, new_s = new.mods[0], (new.mods[1] if len(new.mods) > 1 else 0)
    if new_s < old_s or new_p - new_s < old_p - old_s:
        return change(True, True, f"narrows {old} to {new}: digits are rounded off or overflow")
    if new_s == old_s:
        return change(False, False, "binary-coercible: a larger precision, same scale")
    return change(True, False, f"widens {old} to {new}: a new scale rewrites the table")
