"""A field path resolved against the catalog: what the compiler and the filters share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from salesforce_crm.sobjects.schema import FieldDef, SObjectDef
from salesforce_crm.soql.errors import SoqlError


@dataclass(frozen=True)
class Resolved:
    """A field path resolved: the field, its column expression and, for a parent field, the
    relationship it goes through."""

    field: FieldDef
    column: ColumnElement[Any]
    sobject: SObjectDef
    relationship: FieldDef | None = None  # the child's reference field (AccountId)


def id_field(sobject: SObjectDef) -> FieldDef:
    for candidate in sobject.fields:
        if candidate.type == "id":
            return candidate
    raise SoqlError("INVALID_TYPE", f"sObject type '{sobject.name}' has no Id field")
