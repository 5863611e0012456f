"""A parsed query against a catalog: SQLAlchemy Core expressions with bound parameters (never
text pasted into SQL), and what each selected column becomes in a record.

Salesforce's semantics that SQL does not share, and how they are kept:

- ``Name != 'x'`` and ``NOT IN`` match rows whose field is null; ``NOT (...)`` too. Every
  predicate compiles to an expression that is never NULL (``col IS NOT NULL AND col = v``,
  ``col IS NULL OR col != v``), so NOT is plain negation.
- String comparisons and LIKE ignore case (``lower()`` on both sides, ILIKE on PostgreSQL).
- Ids are compared as the integer keys they encode; an id of another object matches nothing.
- ORDER BY puts nulls first ascending and last descending, then orders by Id, so that pages
  never overlap or skip a row while nothing changes.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    FromClause,
    Numeric,
    Select,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import UnaryExpression

from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.schema import Catalog, FieldDef, SObjectDef
from salesforce_crm.sobjects.values import INT_MAX, INT_MIN
from salesforce_crm.soql import ast
from salesforce_crm.soql.dates import date_range
from salesforce_crm.soql.errors import SoqlError, located
from salesforce_crm.soql.parser import decode_string

#: Salesforce caps OFFSET.
MAX_OFFSET = 2_000

_STRING_TYPES = {"string", "textarea", "picklist", "email", "phone", "url"}
_NUMBER_TYPES = {"int", "double", "currency", "percent"}
#: Salesforce's names of the types in its messages.
_TYPE_NAMES = {"int": "integer", "datetime": "dateTime", "textarea": "string"}
_RANGE_OPERATORS = {"<", "<=", ">", ">="}


@dataclass(frozen=True)
class Resolved:
    """A field path resolved: the field, its column expression and, for a parent field, the
    relationship it goes through."""

    field: FieldDef
    column: ColumnElement[Any]
    sobject: SObjectDef
    relationship: FieldDef | None = None  # the child's reference field (AccountId)


@dataclass
class ParentOutput:
    """A relationship shown as a nested record (``"Account": {...}``)."""

    reference: FieldDef
    sobject: SObjectDef
    id_label: str
    fields: list[tuple[FieldDef, str]] = field(default_factory=list)


@dataclass
class Plan:
    """What the engine runs and how it turns rows into records."""

    sobject: SObjectDef
    count_only: bool
    source: FromClause
    where: ColumnElement[bool]
    order_by: list[UnaryExpression[Any]]
    columns: list[ColumnElement[Any]]
    #: In SELECT order: a field of the object (with its label) or a parent's nested record.
    outputs: list[tuple[FieldDef, str] | ParentOutput]
    id_label: str
    limit: int | None
    offset: int
    has_offset: bool  # the query says OFFSET (even OFFSET 0): one page, no locator

    def position(self, label: str) -> int:
        """Where the column labelled ``label`` is in a row of :meth:`rows`."""
        return [column.key for column in self.columns].index(label)

    def rows(self, offset: int, limit: int) -> Select[Any]:
        """The statement of ``limit`` rows from ``offset`` (on top of the query's OFFSET)."""
        return (
            select(*self.columns)
            .select_from(self.source)
            .where(self.where)
            .order_by(*self.order_by)
            .offset(self.offset + offset)
            .limit(limit)
        )

    def count(self) -> Select[Any]:
        """How many rows match, before OFFSET and LIMIT."""
        return select(func.count()).select_from(self.source).where(self.where)


def id_field(sobject: SObjectDef) -> FieldDef:
    for candidate in sobject.fields:
        if candidate.type == "id":
            return candidate
    raise SoqlError("INVALID_TYPE", f"sObject type '{sobject.name}' has no Id field")


def compile_query(
    query: ast.Query,
    catalog: Catalog,
    *,
    include_deleted: bool,
    now: dt.datetime,
    soql: str = "",
    dialect: str = "postgresql",
) -> Plan:
    """The plan of ``query``. Raises :class:`SoqlError` for names the catalog does not have,
    values of the wrong type and bounds Salesforce enforces."""
    return _Compiler(catalog, include_deleted, now, soql, dialect).compile(query)


class _Compiler:
    def __init__(
        self, catalog: Catalog, include_deleted: bool, now: dt.datetime, soql: str, dialect: str
    ):
        self.catalog = catalog
        self.include_deleted = include_deleted
        self.today = now.astimezone(dt.UTC).date()
        self.soql = soql
        self.sqlite = dialect == "sqlite"
        self.root: SObjectDef
        self.source: FromClause
        self.parents: dict[str, tuple[SObjectDef, FromClause]] = {}
        #: Under a NOT, a predicate on a null field must be false, not NULL (whose negation
        #: is NULL again): only there do positive predicates need ``IS NOT NULL``.
        self.negations = 0

    # -- names -------------------------------------------------------------------------------

    def compile(self, query: ast.Query) -> Plan:
        sobject = self.catalog.get(query.sobject)
        if sobject is None or not sobject.queryable:
            raise SoqlError(
                "INVALID_TYPE",
                located(
                    self.soql,
                    query.sobject_line,
                    query.sobject_column,
                    f"sObject type '{query.sobject}' is not supported. If you are attempting "
                    "to use a custom object, be sure to append the '__c' after the entity "
                    "name. Please reference your WSDL or the describe call for the "
                    "appropriate names.",
                ),
            )
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise SoqlError(
                "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            )
        self.root = sobject
        self.source = sobject.table
        root_id = self._column(sobject, id_field(sobject))
        outputs: list[tuple[FieldDef, str] | ParentOutput] = []
        columns: list[ColumnElement[Any]] = [root_id.label("_id")]
        by_relationship: dict[str, ParentOutput] = {}
        for index, path in enumerate(query.fields):
            resolved = self.resolve(path)
            label = f"c{index}"
            columns.append(resolved.column.label(label))
            if resolved.relationship is None:
                outputs.append((resolved.field, label))
                continue
            key = resolved.relationship.name.lower()
            parent = by_relationship.get(key)
            if parent is None:
                parent_id = self._column(
                    resolved.sobject, id_field(resolved.sobject), resolved.relationship
                )
                parent = ParentOutput(resolved.relationship, resolved.sobject, f"p{index}")
                columns.append(parent_id.label(parent.id_label))
                by_relationship[key] = parent
                outputs.append(parent)
            parent.fields.append((resolved.field, label))
        conditions: list[ColumnElement[bool]] = []
        if query.where is not None:
            conditions.append(self.condition(query.where))
        if not self.include_deleted and sobject.deleted_column:
            conditions.append(sobject.table.c[sobject.deleted_column] == false())
        where = and_(true(), *conditions)
        order_by = self.order(query.order_by, root_id)  # may join parents: before source
        return Plan(
            sobject=sobject,
            count_only=query.count,
            source=self.source,
            where=where,
            order_by=order_by,
            columns=columns,
            outputs=outputs,
            id_label="_id",
            limit=query.limit,
            offset=query.offset or 0,
            has_offset=query.offset is not None,
        )

    def resolve(self, path: ast.FieldPath) -> Resolved:
        parts = path.parts
        if (
            len(parts) == 2
            and parts[0].lower() == self.root.name.lower()
            and self.root.relationship(parts[0]) is None
        ):
            parts = parts[1:]  # SELECT Account.Name FROM Account
        if len(parts) == 1:
            found = self.root.field(parts[0])
            if found is None:
                raise self._no_column(path, parts[0], self.root)
            return Resolved(found, self._column(self.root, found), self.root)
        if len(parts) > 2:
            raise SoqlError(
                "MALFORMED_QUERY",
                located(
                    self.soql,
                    path.line,
                    path.column,
                    f"{path.text}: relationships more than one level deep are not supported here",
                ),
            )
        reference = self.root.relationship(parts[0])
        parent = self.catalog.get(reference.reference_to or "") if reference else None
        if reference is None or parent is None:
            raise SoqlError(
                "INVALID_FIELD",
                located(
                    self.soql,
                    path.line,
                    path.column,
                    f"Didn't understand relationship '{parts[0]}' in field path. If you are "
                    "attempting to use a custom relationship, be sure to append the '__r' "
                    "after the custom relationship name. Please reference your WSDL or the "
                    "describe call for the appropriate names.",
                ),
            )
        found = parent.field(parts[1])
        if found is None:
            raise self._no_column(path, parts[1], parent)
        return Resolved(found, self._column(parent, found, reference), parent, reference)

    def _no_column(self, path: ast.FieldPath, name: str, sobject: SObjectDef) -> SoqlError:
        return SoqlError(
            "INVALID_FIELD",
            located(
                self.soql,
                path.line,
                path.column,
                f"No such column '{name}' on entity '{sobject.name}'. If you are attempting "
                "to use a custom field, be sure to append the '__c' after the custom field "
                "name. Please reference your WSDL or the describe call for the appropriate "
                "names.",
            ),
        )

    def _column(
        self, sobject: SObjectDef, found: FieldDef, reference: FieldDef | None = None
    ) -> ColumnElement[Any]:
        """The column of ``found``: on the object's table, or on the parent's table joined
        (once, outer) through the reference field ``reference``."""
        if reference is None:
            return sobject.table.c[found.column]
        key = reference.name.lower()
        if key not in self.parents:
            alias = sobject.table.alias(f"parent_{len(self.parents)}")
            parent_key = alias.c[id_field(sobject).column]
            self.source = self.source.outerjoin(
                alias, parent_key == self.root.table.c[reference.column]
            )
            self.parents[key] = (sobject, alias)
        return self.parents[key][1].c[found.column]

    # -- ORDER BY ----------------------------------------------------------------------------

    def order(
        self, items: Sequence[ast.OrderItem], root_id: ColumnElement[Any]
    ) -> list[UnaryExpression[Any]]:
        clauses: list[UnaryExpression[Any]] = []
        ordered_by_id = False
        for item in items:
            resolved = self.resolve(item.field)
            if not resolved.field.sortable:
                raise SoqlError(
                    "INVALID_FIELD",
                    located(
                        self.soql,
                        item.field.line,
                        item.field.column,
                        f"field '{resolved.field.name}' can not be sorted in a query call",
                    ),
                )
            nulls_first = item.nulls_first if item.nulls_first is not None else not item.descending
            clause = resolved.column.desc() if item.descending else resolved.column.asc()
            if resolved.field.nillable or resolved.relationship is not None:
                clause = clause.nulls_first() if nulls_first else clause.nulls_last()
            # else: a field that is never null needs no NULLS clause, and without one
            # PostgreSQL reads an index on it in order instead of sorting every row.
            clauses.append(clause)
            if resolved.relationship is None and resolved.field.type == "id":
                ordered_by_id = True
        if not ordered_by_id:
            clauses.append(root_id.asc())
        return clauses

    # -- WHERE -------------------------------------------------------------------------------

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


__all__ = ["MAX_OFFSET", "Plan", "compile_query", "id_field"]
