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


def attributes(sobject: SObjectDef, row_id: int, api_version: str) -> dict[str, str]:
    record_id = ids.encode(sobject.key_prefix, row_id)
    return {
        "type": sobject.name,
        "url": f"/services/data/v{api_version}/sobjects/{sobject.name}/{record_id}",
    }


def _value(catalog: Catalog, sobject: SObjectDef, target: FieldDef, stored: Any) -> Any:
    if target.type == "id":
        return to_api(target, stored, sobject.key_prefix)
    if target.type == "reference":
        referred = catalog.get(target.reference_to or "")
        return to_api(target, stored, referred.key_prefix if referred else None)
    return to_api(target, stored)


def record(plan: Plan, catalog: Catalog, row: RowMapping, api_version: str) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": attributes(plan.sobject, row[plan.id_label], api_version)}
    for output in plan.outputs:
        if isinstance(output, ParentOutput):
            out[output.reference.relationship_name or output.reference.name] = _parent(
                output, catalog, row, api_version
            )
        else:
            target, label = output
            out[target.name] = _value(catalog, plan.sobject, target, row[label])
    return out


def _parent(
    output: ParentOutput, catalog: Catalog, row: RowMapping, api_version: str
) -> dict[str, Any] | None:
    parent_id = row[output.id_label]
    if parent_id is None:
        return None
    nested: dict[str, Any] = {"attributes": attributes(output.sobject, parent_id, api_version)}
    for target, label in output.fields:
        nested[target.name] = _value(catalog, output.sobject, target, row[label])
    return nested
