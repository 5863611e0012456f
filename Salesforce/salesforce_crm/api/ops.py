"""The REST API's record operations, shared by the routes and by composite's subrequests.

Each takes the session, the acting user and the API version, calls the service functions,
and returns what Salesforce answers (status and body); errors are raised and mapped once
(:mod:`salesforce_crm.api.errors`). Nothing commits here: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from salesforce_crm.api.errors import SalesforceError
from salesforce_crm.api.services import records
from salesforce_crm.api.services.actors import Actor
from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.schema import FieldDef, SObjectDef


@dataclass(frozen=True)
class Call:
    session: AsyncSession
    actor: Actor
    version: str


@dataclass(frozen=True)
class Result:
    status: int
    body: Any = None
    headers: dict[str, str] | None = None


def record_url(version: str, obj: SObjectDef, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{obj.name}/{record_id}"


def shaped(
    version: str, obj: SObjectDef, values: dict[str, Any], fields: list[FieldDef] | None = None
) -> dict[str, Any]:
    """A record as GET answers it: ``attributes`` then the fields."""
    chosen = fields if fields is not None else list(obj.fields)
    return {
        "attributes": {"type": obj.name, "url": record_url(version, obj, values["Id"])},
        **{f.name: values[f.name] for f in chosen},
    }


def _fields_of(obj: SObjectDef, text: str | None) -> list[FieldDef] | None:
    if text is None:
        return None
    chosen = []
    for name in (n.strip() for n in text.split(",")):
        if not name:
            continue
        field = obj.field(name)
        if field is None:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"No such column '{name[:80]}' on entity '{obj.name}'",
                (name[:80],),
            )
        chosen.append(field)
    return chosen


async def create(call: Call, object_name: str, body: Any) -> Result:
    obj = records.sobject(object_name)
    row_id = await records.create(call.session, obj, body, call.actor)
    return Result(201, {"id": records.record_id(obj, row_id), "success": True, "errors": []})


async def get(call: Call, object_name: str, record_id: str, fields: str | None = None) -> Result:
    obj = records.sobject(object_name)
    row_id = records.row_id_of(obj, record_id)
    values = await records.read(call.session, obj, row_id)
    return Result(200, shaped(call.version, obj, values, _fields_of(obj, fields)))


async def update(call: Call, object_name: str, record_id: str, body: Any) -> Result:
    obj = records.sobject(object_name)
    row_id = records.row_id_of(obj, record_id)
    # A record read back and sent again carries its own Id: that one is no change.
    given = body.get("Id") if isinstance(body, dict) else None
    if isinstance(given, str) and ids.decode(given) == (obj.key_prefix, row_id):
        body = {k: v for k, v in body.items() if k != "Id"}
    await records.update_record(call.session, obj, row_id, body, call.actor)
    return Result(204)


async def delete(call: Call, object_name: str, record_id: str) -> Result:
    obj = records.sobject(object_name)
    row_id = records.row_id_of(obj, record_id)
    await records.delete(call.session, obj, row_id, call.actor)
    return Result(204)


async def upsert(call: Call, object_name: str, field: str, value: str, body: Any) -> Result:
    """201 with the id when created, 204 when updated, 300 with the records' URLs when
    several match."""
    obj = records.sobject(object_name)
    if field.lower() == "id":
        return await update(call, object_name, value, body)
    try:
        result = await records.upsert(call.session, obj, field, value, body, call.actor)
    except records.MultipleMatches as several:
        urls = [record_url(call.version, obj, records.record_id(obj, r)) for r in several.row_ids]
        return Result(300, urls)
    if result.created:
        record_id = records.record_id(obj, result.row_id)
        return Result(201, {"id": record_id, "success": True, "errors": [], "created": True})
    return Result(204)


async def get_by_external_id(
    call: Call, object_name: str, field_name: str, value: str, fields: str | None = None
) -> Result:
    obj = records.sobject(object_name)
    field = records.external_id_field(obj, field_name)
    matches = await records.find_by_external_id(call.session, obj, field, value)
    if not matches:
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
    if len(matches) > 1:
        urls = [record_url(call.version, obj, records.record_id(obj, r)) for r in matches]
        return Result(300, urls)
    values = await records.read(call.session, obj, matches[0])
    return Result(200, shaped(call.version, obj, values, _fields_of(obj, fields)))
