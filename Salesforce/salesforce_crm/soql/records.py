"""Rows to records as Salesforce's REST API writes them: ``attributes`` first, then the
selected fields in the order of the SELECT, a parent's fields nested under its relationship
name (``"Account": {"attributes": ..., "Name": "Acme"}``, or null when the reference is empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.schema import Catalog, FieldDef, SObjectDef
from salesforce_crm.sobjects.values import to_api
from salesforce_crm.soql.compiler import ParentOutput, Plan


def _attributes(sobject: SObjectDef, record_id: str, api_version: str) -> dict[str, str]:
    return {
        "type": sobject.name,
        "url": f"/services/data/v{api_version}/sobjects/{sobject.name}/{record_id}",
    }


class Records:
    """Turns rows of ``plan.rows()`` into records; what is known per query (positions, key
    prefixes of referenced objects) is worked out once, not per row."""

    def __init__(self, plan: Plan, catalog: Catalog, api_version: str):
        self.plan = plan
        self.api_version = api_version
        self.id_position = plan.position(plan.id_label)
        self.outputs: list[tuple[FieldDef, int, str | None] | tuple[ParentOutput, int, list[Any]]]
        self.outputs = []
        for output in plan.outputs:
            if isinstance(output, ParentOutput):
                fields = [self._field(catalog, f, label) for f, label in output.fields]
                self.outputs.append((output, plan.position(output.id_label), fields))
            else:
                self.outputs.append(self._field(catalog, *output))

    def _field(
        self, catalog: Catalog, target: FieldDef, label: str
    ) -> tuple[FieldDef, int, str | None]:
        prefix = None
        if target.type == "reference":
            referred = catalog.get(target.reference_to or "")
            prefix = referred.key_prefix if referred else None
        return target, self.plan.position(label), prefix

    def __call__(self, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
        return [self.record(row) for row in rows]

    def record(self, row: Row[Any]) -> dict[str, Any]:
        sobject = self.plan.sobject
        record_id = ids.encode(sobject.key_prefix, row[self.id_position])
        out: dict[str, Any] = {"attributes": _attributes(sobject, record_id, self.api_version)}
        for output in self.outputs:
            if isinstance(output[0], ParentOutput):
                parent, position, fields = output
                key = parent.reference.relationship_name or parent.reference.name
                out[key] = self._parent(parent, row, row[position], fields)
            else:
                _put(out, output, row, record_id)
        return out

    def _parent(
        self, parent: ParentOutput, row: Row[Any], parent_key: Any, fields: list[Any]
    ) -> dict[str, Any] | None:
        if parent_key is None:
            return None
        parent_id = ids.encode(parent.sobject.key_prefix, parent_key)
        nested: dict[str, Any] = {
            "attributes": _attributes(parent.sobject, parent_id, self.api_version)
        }
        for field in fields:
            _put(nested, field, row, parent_id)
        return nested


def _put(
    out: dict[str, Any], field: tuple[FieldDef, int, str | None], row: Row[Any], record_id: str
) -> None:
    target, position, prefix = field
    if target.type == "id":
        out[target.name] = record_id  # encoded once per row: the url has it already
    else:
        out[target.name] = to_api(target, row[position], prefix)
