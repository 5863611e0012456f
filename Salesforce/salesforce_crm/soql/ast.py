"""The parsed query: what :func:`salesforce_crm.soql.parse` returns, before any catalog is
consulted (names are as written; the compiler resolves them against the catalog)."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Literal as TypingLiteral


@dataclass(frozen=True)
class FieldPath:
    """``Name`` or ``Account.Name`` as written, and where it starts (for error messages)."""

    parts: tuple[str, ...]
    line: int = 1
    column: int = 1

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class CountAll:
    """``COUNT()``: the query answers only how many rows match."""


@dataclass(frozen=True)
class StringValue:
    """A quoted string; ``raw`` keeps its escapes, which mean different things in LIKE."""

    raw: str


@dataclass(frozen=True)
class NumberValue:
    value: decimal.Decimal


@dataclass(frozen=True)
class BooleanValue:
    value: bool


@dataclass(frozen=True)
class NullValue:
    pass


@dataclass(frozen=True)
class DateValue:
    value: dt.date


@dataclass(frozen=True)
class DateTimeValue:
    value: dt.datetime  # aware, UTC


@dataclass(frozen=True)
class DateLiteral:
    """``TODAY``, ``THIS_MONTH``, ``LAST_N_DAYS:30`` …: a range of days relative to now."""

    name: str  # upper case, without the ``:n``
    n: int | None = None


Value = (
    StringValue | NumberValue | BooleanValue | NullValue | DateValue | DateTimeValue | DateLiteral
)

Operator = TypingLiteral["=", "!=", "<", "<=", ">", ">=", "LIKE"]


@dataclass(frozen=True)
class Comparison:
    field: FieldPath
    operator: Operator
    value: Value


@dataclass(frozen=True)
class InList:
    field: FieldPath
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    operand: Condition


Condition = Comparison | InList | And | Or | Not


@dataclass(frozen=True)
class OrderItem:
    field: FieldPath
    descending: bool = False
    #: None: Salesforce's default (nulls first ascending, last descending).
    nulls_first: bool | None = None


@dataclass(frozen=True)
class Query:
    """``SELECT fields FROM sobject [WHERE] [ORDER BY] [LIMIT] [OFFSET]``."""

    fields: tuple[FieldPath, ...]  # empty for COUNT()
    count: bool
    sobject: str
    sobject_line: int
    sobject_column: int
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
