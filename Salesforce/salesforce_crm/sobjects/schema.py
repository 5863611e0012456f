"""What an sObject is, for every part that needs to know: describe, the REST routes, SOQL.

Each object the service serves is an :class:`SObjectDef` over one table; each of its fields a
:class:`FieldDef` over one column (``Id`` over the integer primary key, shown as a Salesforce
id). Field and object names are looked up case-insensitively, as Salesforce does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Table

#: Salesforce's describe types that this service uses.
FieldType = Literal[
    "id",
    "string",
    "textarea",
    "picklist",
    "reference",
    "boolean",
    "int",
    "double",
    "currency",
    "percent",
    "date",
    "datetime",
    "email",
    "phone",
    "url",
]


@dataclass(frozen=True)
class FieldDef:
    """One field of an sObject, as describe shows it, and the column behind it."""

    name: str  # API name: Name, AccountId, SAP_Work_Order_Id__c
    column: str  # the table's column
    type: FieldType
    label: str = ""
    length: int = 0  # strings: the maximum length
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    filterable: bool = True
    sortable: bool = True
    #: reference fields: the object referred to, and the name of the relationship that
    #: SOQL follows (``Account`` for ``AccountId``: ``SELECT Account.Name FROM Contact``).
    reference_to: str | None = None
    relationship_name: str | None = None
    external_id: bool = False
    unique: bool = False
    picklist_values: tuple[str, ...] = ()
    #: Set by the server on create (CreatedDate, a default Status): required fields with a
    #: default need not be sent.
    defaulted_on_create: bool = False
    precision: int = 0
    scale: int = 0


@dataclass(frozen=True)
class SObjectDef:
    """One sObject over one table."""

    name: str  # Account
    label: str
    label_plural: str
    key_prefix: str  # 001
    table: Table
    fields: tuple[FieldDef, ...]
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    queryable: bool = True
    #: The column of the recycle-bin flag (IsDeleted): ``query`` leaves those rows out,
    #: ``queryAll`` shows them. None: rows are deleted for good.
    deleted_column: str | None = "is_deleted"
    _by_lower: Mapping[str, FieldDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower", {f.name.lower(): f for f in self.fields})

    def field(self, name: str) -> FieldDef | None:
        """The field called ``name`` in any case, or None."""
        return self._by_lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship is called ``name`` (``Account``)."""
        lowered = name.lower()
        for candidate in self.fields:
            if candidate.relationship_name and candidate.relationship_name.lower() == lowered:
                return candidate
        return None


@dataclass(frozen=True)
class Catalog:
    """Every sObject the service serves, by name (any case) and by key prefix."""

    objects: tuple[SObjectDef, ...]
    _by_lower: Mapping[str, SObjectDef] = field(init=False, repr=False, compare=False)
    _by_prefix: Mapping[str, SObjectDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower", {o.name.lower(): o for o in self.objects})
        object.__setattr__(self, "_by_prefix", {o.key_prefix: o for o in self.objects})

    def get(self, name: str) -> SObjectDef | None:
        return self._by_lower.get(name.lower())

    def by_prefix(self, key_prefix: str) -> SObjectDef | None:
        return self._by_prefix.get(key_prefix)
