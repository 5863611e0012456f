"""describe as Salesforce answers it, built from the catalog."""

from __future__ import annotations

from typing import Any

from salesforce_crm.sobjects.catalog import CATALOG, CHILD_RELATIONSHIPS, EXTRAS
from salesforce_crm.sobjects.schema import FieldDef, SObjectDef

#: Salesforce's batch limit for a collection request (composite/sobjects).
MAX_BATCH_SIZE = 200


def urls(obj: SObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {
        "sobject": base,
        "describe": f"{base}/describe",
        "rowTemplate": f"{base}/{{ID}}",
    }


def object_summary(obj: SObjectDef, version: str) -> dict[str, Any]:
    return {
        "name": obj.name,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "keyPrefix": obj.key_prefix,
        "custom": False,
        "createable": obj.createable,
        "updateable": obj.updateable,
        "deletable": obj.deletable,
        "undeletable": False,
        "queryable": obj.queryable,
        "retrieveable": True,
        "searchable": False,
        "layoutable": False,
        "triggerable": True,
        "replicateable": True,
        "urls": urls(obj, version),
    }


def describe_global(version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": MAX_BATCH_SIZE,
        "sobjects": [object_summary(o, version) for o in CATALOG.objects],
    }


_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


def _default_of(obj: SObjectDef, field: FieldDef) -> str | None:
    """A picklist's default: the column's server default (the SQL's DEFAULT 'New')."""
    if field.type != "picklist":
        return None
    text = getattr(getattr(obj.table.c[field.column].server_default, "arg", None), "text", None)
    return text.strip("'") if isinstance(text, str) else None


def describe_field(obj: SObjectDef, field: FieldDef) -> dict[str, Any]:
    extras = EXTRAS[obj.name]
    default = _default_of(obj, field)
    return {
        "name": field.name,
        "label": field.label or field.name,
        "type": field.type,
        "soapType": _SOAP_TYPES.get(field.type, "xsd:string"),
        "length": field.length
        if field.type not in _SOAP_TYPES or field.type in ("id", "reference")
        else 0,
        "byteLength": field.length * 3,
        "nillable": field.nillable,
        "createable": field.createable,
        "updateable": field.updateable,
        "filterable": field.filterable,
        "sortable": field.sortable,
        "groupable": field.type not in ("textarea", "double", "currency", "percent"),
        "referenceTo": [field.reference_to] if field.reference_to else [],
        "relationshipName": field.relationship_name,
        "externalId": field.external_id,
        "unique": field.unique,
        "idLookup": field.type == "id" or field.external_id,
        "nameField": field.name == extras.name_field,
        "autoNumber": extras.auto_number is not None and field.name == extras.name_field,
        "calculated": False,
        "custom": field.name.endswith("__c"),
        "caseSensitive": False,
        "defaultedOnCreate": field.defaulted_on_create,
        "defaultValue": default,
        "picklistValues": [
            {"value": v, "label": v, "active": True, "defaultValue": v == default, "validFor": None}
            for v in field.picklist_values
        ],
        "restrictedPicklist": bool(field.picklist_values),
        "precision": field.precision,
        "scale": field.scale,
        "digits": field.precision if field.type == "int" else 0,
    }


def child_relationships(obj: SObjectDef) -> list[dict[str, Any]]:
    found = []
    for child in CATALOG.objects:
        for field in child.fields:
            if field.reference_to != obj.name or field.name in ("CreatedById", "LastModifiedById"):
                continue
            found.append(
                {
                    "childSObject": child.name,
                    "field": field.name,
                    "relationshipName": CHILD_RELATIONSHIPS.get((obj.name, child.name, field.name)),
                    "cascadeDelete": False,
                    "deprecatedAndHidden": False,
                    "restrictedDelete": False,
                }
            )
    return found


def describe(obj: SObjectDef, version: str) -> dict[str, Any]:
    return {
        **object_summary(obj, version),
        "fields": [describe_field(obj, f) for f in obj.fields],
        "childRelationships": child_relationships(obj),
        "recordTypeInfos": [],
    }
