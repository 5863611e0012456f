"""Rows to records as Salesforce's REST API writes them: ``attributes`` first, then the
selected fields in the order of the SELECT, a parent's fields nested under its relationship
name (``"Account": {"attributes": ..., "Name": "Acme"}``, or null when the reference is empty).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping

from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.schema import Catalog, FieldDef, SObjectDef
from salesforce_crm.sobjects.values import to_api
from salesforce_crm.soql.compiler import ParentOutput, Plan


def _attributes(sobject: SObjectDef, record_id: str, api_version: str) -> dict[str, str]:
    return {
        "type": sobject.name,
        "url": f"/services/data/v{api_version}/sobjects/{sobject.name}/{record_id}",
    }


def _fields(
    catalog: Catalog,
    sobject: SObjectDef,
    record_id: str,
    fields: list[tuple[FieldDef, str]],
    row: RowMapping,
    out: dict[str, Any],
) -> None:
    for target, label in fields:
        if target.type == "id":
            out[target.name] = record_id  # encoded once per row: the url has it already
        elif target.type == "reference":
            referred = catalog.get(target.reference_to or "")
            out[target.name] = to_api(target, row[label], referred.key_prefix if referred else None)
        else:
            out[target.name] = to_api(target, row[label])


def record(plan: Plan, catalog: Catalog, row: RowMapping, api_version: str) -> dict[str, Any]:
    sobject = plan.sobject
    record_id = ids.encode(sobject.key_prefix, row[plan.id_label])
    out: dict[str, Any] = {"attributes": _attributes(sobject, record_id, api_version)}
    for output in plan.outputs:
        if isinstance(output, ParentOutput):
            key = output.reference.relationship_name or output.reference.name
            out[key] = _parent(output, catalog, row, api_version)
        else:
            _fields(catalog, sobject, record_id, [output], row, out)
    return out


def _parent(
    output: ParentOutput, catalog: Catalog, row: RowMapping, api_version: str
) -> dict[str, Any] | None:
    parent_key = row[output.id_label]
    if parent_key is None:
        return None
    parent_id = ids.encode(output.sobject.key_prefix, parent_key)
    nested: dict[str, Any] = {"attributes": _attributes(output.sobject, parent_id, api_version)}
    _fields(catalog, output.sobject, parent_id, output.fields, row, nested)
    return nested
