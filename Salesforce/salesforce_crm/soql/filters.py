"""WHERE: conditions to SQLAlchemy Core expressions with bound parameters, checked against
the fields' types.

Salesforce's semantics that SQL does not share, and how they are kept:

- ``Name != 'x'`` and ``NOT IN`` match rows whose field is null; ``NOT (...)`` too. Under a
  NOT, every predicate compiles to an expression that is never NULL (``col IS NOT NULL AND
  col = v``); ``!=`` is always ``col IS NULL OR col != v``. So NOT is plain negation.
- String comparisons and LIKE ignore case (``lower()`` on both sides, ILIKE on PostgreSQL).
- Ids are compared as the integer keys they encode; an id of another object matches nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Numeric,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    true,
)

from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.schema import Catalog, FieldDef
from salesforce_crm.sobjects.values import INT_MAX, INT_MIN
from salesforce_crm.soql import ast
from salesforce_crm.soql.dates import date_range
from salesforce_crm.soql.errors import SoqlError, located
from salesforce_crm.soql.parser import decode_string
from salesforce_crm.soql.resolved import Resolved

_STRING_TYPES = {"string", "textarea", "picklist", "email", "phone", "url"}
_NUMBER_TYPES = {"int", "double", "currency", "percent"}
#: Salesforce's names of the types in its messages.
_TYPE_NAMES = {"int": "integer", "datetime": "dateTime", "textarea": "string"}
_RANGE_OPERATORS = {"<", "<=", ">", ">="}


class Filters:
    """The WHERE clause of one query. ``resolve`` turns a field path into its column (joining
    a parent when the path goes through a relationship)."""

    def __init__(
        self,
        catalog: Catalog,
        resolve: Callable[[ast.FieldPath], Resolved],
        *,
        today: dt.date,
        soql: str,
        sqlite: bool,
    ):
        self.catalog = catalog
        self.resolve = resolve
        self.today = today
        self.soql = soql
        self.sqlite = sqlite
        #: Under a NOT, a predicate on a null field must be false, not NULL (whose negation
        #: is NULL again): only there do positive predicates need ``IS NOT NULL``.
        self.negations = 0

    def condition(self, condition: ast.Condition) -> ColumnElement[bool]:
        if isinstance(condition, ast.And):
            return and_(*(self.condition(operand) for operand in condition.operands))
        if isinstance(condition, ast.Or):
            return or_(*(self.condition(operand) for operand in condition.operands))
        if isinstance(condition, ast.Not):
            self.negations += 1
            try:
                return not_(self.condition(condition.operand))
            finally:
                self.negations -= 1
        resolved = self.resolve(condition.field)
        if not resolved.field.filterable:
            raise SoqlError(
                "INVALID_FIELD",
                located(
                    self.soql,
                    condition.field.line,
                    condition.field.column,
                    f"field '{resolved.field.name}' can not be filtered in a query call",
                ),
            )
        if isinstance(condition, ast.InList):
            return self.in_list(resolved, condition)
        return self.comparison(resolved, condition)

    def comparison(self, resolved: Resolved, condition: ast.Comparison) -> ColumnElement[bool]:
        column, operator, value = resolved.column, condition.operator, condition.value
        if isinstance(value, ast.NullValue):
            if operator == "=":
                return column.is_(None)
            if operator == "!=":
                return column.is_not(None)
            raise self._operator(condition.field, "null can only be compared with = or !=")
        kind = resolved.field.type
        if operator == "LIKE" and kind not in _STRING_TYPES:
            raise self._operator(
                condition.field, f"invalid operator on {self._type_name(kind)} field"
            )
        if operator in _RANGE_OPERATORS and kind == "boolean":
            raise self._operator(condition.field, f"invalid operator on boolean field: {operator}")
        matched = self.positive(resolved, condition.field, operator, value)
        if operator == "!=":
            return or_(column.is_(None), not_(matched))
        return self._not_null(column, matched)

    def _not_null(
        self, column: ColumnElement[Any], matched: ColumnElement[bool]
    ) -> ColumnElement[bool]:
        return and_(column.is_not(None), matched) if self.negations else matched

    def in_list(self, resolved: Resolved, condition: ast.InList) -> ColumnElement[bool]:
        column = resolved.column
        has_null = any(isinstance(v, ast.NullValue) for v in condition.values)
        values = [v for v in condition.values if not isinstance(v, ast.NullValue)]
        kind = resolved.field.type
        if not values:
            matched: ColumnElement[bool] = false()
        elif kind in _STRING_TYPES:
            texts = [self._string(condition.field, resolved.field, v) for v in values]
            matched = func.lower(column).in_([func.lower(literal(t)) for t in texts])
        elif kind in ("date", "datetime") and not any(
            isinstance(v, ast.DateLiteral) for v in values
        ):
            compared = self._date_column(resolved)
            matched = compared.in_([self._date_value(resolved, condition.field, v) for v in values])
        elif kind in ("date", "datetime", "boolean"):
            matched = or_(*(self.positive(resolved, condition.field, "=", v) for v in values))
        elif kind in ("id", "reference"):
            expected = self._expected_prefix(resolved)
            keys = [self._id(condition.field, resolved.field, v) for v in values]
            wanted = [key for prefix, key in keys if expected is None or prefix == expected]
            matched = column.in_(wanted) if wanted else false()
        else:
            matched = column.in_([self._number_value(condition.field, resolved, v) for v in values])
        if condition.negated:
            if has_null:
                return and_(column.is_not(None), not_(matched))
            return or_(column.is_(None), not_(matched))
        found = self._not_null(column, matched)
        return or_(column.is_(None), found) if has_null else found

    def positive(
        self, resolved: Resolved, path: ast.FieldPath, operator: str, value: ast.Value
    ) -> ColumnElement[bool]:
        """``column <operator> value`` for a non-null column (``!=`` as ``=``: the caller
        negates it)."""
        column, target = resolved.column, resolved.field
        kind = target.type
        symbol = "=" if operator == "!=" else operator
        if kind in _STRING_TYPES:
            if symbol == "LIKE":
                pattern = self._string(path, target, value, like=True)
                return column.ilike(pattern, escape="\\")
            text = self._string(path, target, value)
            return _compare(func.lower(column), symbol, func.lower(literal(text)))
        if kind == "boolean":
            if not isinstance(value, ast.BooleanValue):
                raise self._type(path, target)
            return _compare(column, symbol, true() if value.value else false())
        if kind in _NUMBER_TYPES:
            return _compare(column, symbol, self._number_value(path, resolved, value))
        if kind in ("id", "reference"):
            return self._compare_id(resolved, path, symbol, value)
        if kind in ("date", "datetime"):
            return self._compare_date(resolved, path, symbol, value)
        raise self._operator(path, f"field '{target.name}' can not be compared here")

    def _compare_id(
        self, resolved: Resolved, path: ast.FieldPath, symbol: str, value: ast.Value
    ) -> ColumnElement[bool]:
        prefix, key = self._id(path, resolved.field, value)
        expected = self._expected_prefix(resolved)
        if expected is None or prefix == expected:
            return _compare(resolved.column, symbol, literal(key, resolved.column.type))
        if symbol == "=":
            return false()
        # Another object's id: ids sort by key prefix first.
        before = expected < prefix
        return true() if (symbol in ("<", "<=")) == before else false()

    def _compare_date(
        self, resolved: Resolved, path: ast.FieldPath, symbol: str, value: ast.Value
    ) -> ColumnElement[bool]:
        target = resolved.field
        is_datetime = target.type == "datetime"
        column = self._date_column(resolved)
        if isinstance(value, ast.DateLiteral):
            start_day, end_day = date_range(value, self.today)
            if is_datetime:
                start = self._bind_datetime(resolved, _midnight(start_day))
                end = self._bind_datetime(resolved, _midnight(end_day))
            else:
                start, end = (
                    literal(start_day, resolved.column.type),
                    literal(end_day, resolved.column.type),
                )
            ranges: dict[str, Callable[[], ColumnElement[bool]]] = {
                "=": lambda: and_(column >= start, column < end),
                "<": lambda: column < start,
                "<=": lambda: column < end,
                ">": lambda: column >= end,
                ">=": lambda: column >= start,
            }
            return ranges[symbol]()
        return _compare(column, symbol, self._date_value(resolved, path, value))

    def _date_value(
        self, resolved: Resolved, path: ast.FieldPath, value: ast.Value
    ) -> ColumnElement[Any]:
        """The bound value of a date or date-time literal on its field."""
        if resolved.field.type == "datetime" and isinstance(value, ast.DateTimeValue):
            return self._bind_datetime(resolved, value.value)
        if resolved.field.type == "date" and isinstance(value, ast.DateValue):
            return literal(value.value, resolved.column.type)
        raise self._type(path, resolved.field)

    def _date_column(self, resolved: Resolved) -> ColumnElement[Any]:
        """SQLite keeps date-times as text in more than one form (``2026-12-08 03:13:26`` from
        CURRENT_TIMESTAMP, with microseconds from SQLAlchemy): compare them normalised."""
        if self.sqlite and resolved.field.type == "datetime":
            return func.strftime("%Y-%m-%d %H:%M:%f", resolved.column)
        return resolved.column

    def _bind_datetime(self, resolved: Resolved, value: dt.datetime) -> ColumnElement[Any]:
        value = value.astimezone(dt.UTC)
        if self.sqlite:
            return literal(
                value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
            )
        column_type = resolved.column.type
        if isinstance(column_type, DateTime) and not column_type.timezone:
            return literal(value.replace(tzinfo=None), column_type)
        return literal(value, column_type)

    # -- values ------------------------------------------------------------------------------

    def _string(
        self, path: ast.FieldPath, target: FieldDef, value: ast.Value, *, like: bool = False
    ) -> str:
        if not isinstance(value, ast.StringValue):
            raise SoqlError(
                "INVALID_FIELD",
                located(
                    self.soql,
                    path.line,
                    path.column,
                    f"value of filter criterion for field '{target.name}' must be of type "
                    "string and should be enclosed in quotes",
                ),
            )
        return decode_string(value.raw, like=like)

    def _number(self, path: ast.FieldPath, target: FieldDef, value: ast.Value) -> decimal.Decimal:
        if not isinstance(value, ast.NumberValue):
            raise self._type(path, target)
        return value.value

    def _number_value(
        self, path: ast.FieldPath, resolved: Resolved, value: ast.Value
    ) -> ColumnElement[Any]:
        """A whole number on an integer field binds as the column's type (an index on it
        stays usable); any other number as NUMERIC, compared exactly."""
        number = self._number(path, resolved.field, value)
        if resolved.field.type == "int" and number == number.to_integral_value():
            whole = int(number)
            if INT_MIN <= whole <= INT_MAX:
                return literal(whole, resolved.column.type)
        return literal(number, Numeric())

    def _id(self, path: ast.FieldPath, target: FieldDef, value: ast.Value) -> tuple[str, int]:
        if not isinstance(value, ast.StringValue):
            raise SoqlError(
                "INVALID_FIELD",
                located(
                    self.soql,
                    path.line,
                    path.column,
                    f"value of filter criterion for field '{target.name}' must be of type "
                    "id and should be enclosed in quotes",
                ),
            )
        text = decode_string(value.raw)
        decoded = ids.decode(text)
        if decoded is None:
            raise SoqlError(
                "INVALID_QUERY_FILTER_OPERATOR",
                located(self.soql, path.line, path.column, f"invalid ID field: {text[:40]}"),
            )
        return decoded

    def _expected_prefix(self, resolved: Resolved) -> str | None:
        target = resolved.field
        if target.type == "id":
            return resolved.sobject.key_prefix
        referred = self.catalog.get(target.reference_to or "")
        return referred.key_prefix if referred else None

    def _type(self, path: ast.FieldPath, target: FieldDef) -> SoqlError:
        """Salesforce's message for a value of the wrong type on a field that is not text: the
        same whether the value was quoted or not."""
        name = self._type_name(target.type)
        return SoqlError(
            "INVALID_FIELD",
            located(
                self.soql,
                path.line,
                path.column,
                f"value of filter criterion for field '{target.name}' must be of type {name} "
                "and should not be enclosed in quotes",
            ),
        )

    @staticmethod
    def _type_name(kind: str) -> str:
        return _TYPE_NAMES.get(kind, kind)

    def _operator(self, path: ast.FieldPath, text: str) -> SoqlError:
        return SoqlError(
            "INVALID_QUERY_FILTER_OPERATOR", located(self.soql, path.line, path.column, text)
        )


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _compare(
    left: ColumnElement[Any], symbol: str, right: ColumnElement[Any]
) -> ColumnElement[bool]:
    if symbol == "=":
        return left == right
    if symbol == "<":
        return left < right
    if symbol == "<=":
        return left <= right
    if symbol == ">":
        return left > right
    if symbol == ">=":
        return left >= right
    raise SoqlError("MALFORMED_QUERY", f"unexpected operator {symbol}")
