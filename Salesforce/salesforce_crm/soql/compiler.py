"""A parsed query against a catalog: SQLAlchemy Core expressions with bound parameters (never
text pasted into SQL), and what each selected column becomes in a record.

Names are resolved here (fields, parent fields through one relationship, joined once each);
WHERE is :mod:`salesforce_crm.soql.filters`. ORDER BY puts nulls first ascending and last
descending, then orders by Id, so that pages never overlap or skip a row while nothing
changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    and_,
    false,
    func,
    select,
    true,
)
from sqlalchemy.sql.elements import UnaryExpression

from salesforce_crm.sobjects.schema import Catalog, FieldDef, SObjectDef
from salesforce_crm.soql import ast
from salesforce_crm.soql.errors import SoqlError, located
from salesforce_crm.soql.filters import Filters
from salesforce_crm.soql.resolved import Resolved, id_field

#: Salesforce caps OFFSET.
MAX_OFFSET = 2_000


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
        self.filters = Filters(
            catalog, self.resolve, today=self.today, soql=soql, sqlite=self.sqlite
        )

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
            conditions.append(self.filters.condition(query.where))
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


__all__ = ["MAX_OFFSET", "Plan", "compile_query", "id_field"]
