"""``/services/data``: the versions, the resources of a version, describe, and the sObject
record routes (create, get, update, delete, upsert and get by external id)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from salesforce_crm.api import describe as described
from salesforce_crm.api import ops
from salesforce_crm.api.context import API_VERSIONS, Body, Caller, Version
from salesforce_crm.api.routers.answers import answer
from salesforce_crm.api.services import accounts, records
from salesforce_crm.sobjects.catalog import EXTRAS
from servicekit.db import ReadSession, WriteSession
from servicekit.messaging.outbox import wake_relays

router = APIRouter(tags=["salesforce REST API"])
DATA = "/services/data"
V = DATA + "/v{version}"


def _both(path: str) -> list[str]:
    """A path with and without its trailing slash: clients use both, and a redirect would
    lose the Authorization header."""
    return [path, path + "/"]


async def _commit(session: Any) -> None:
    await session.commit()
    wake_relays()  # a trigger may have written outbox rows


@router.get(DATA, include_in_schema=False)
@router.get(DATA + "/", summary="The API versions (no sign-in needed, as in Salesforce)")
async def versions() -> list[dict[str, str]]:
    return [{"label": f"Version {v}", "url": f"{DATA}/v{v}", "version": v} for v in API_VERSIONS]


@router.get(V, include_in_schema=False)
@router.get(V + "/", summary="The resources of a version")
async def resources(version: Version, caller: Caller) -> dict[str, str]:
    base = f"{DATA}/v{version}"
    return {
        "sobjects": f"{base}/sobjects",
        "query": f"{base}/query",
        "queryAll": f"{base}/queryAll",
        "composite": f"{base}/composite",
    }


@router.get(V + "/sobjects", include_in_schema=False)
@router.get(V + "/sobjects/", summary="describe global: every sObject")
async def describe_global(version: Version, caller: Caller) -> dict[str, Any]:
    return described.describe_global(version)


@router.get(V + "/sobjects/{object_name}/describe", include_in_schema=False)
@router.get(V + "/sobjects/{object_name}/describe/", summary="describe one sObject")
async def describe(object_name: str, version: Version, caller: Caller) -> dict[str, Any]:
    return described.describe(records.sobject(object_name), version)


@router.get(V + "/sobjects/{object_name}", include_in_schema=False)
@router.get(V + "/sobjects/{object_name}/", summary="An sObject's basic information")
async def basic_info(
    object_name: str, version: Version, caller: Caller, session: ReadSession
) -> dict[str, Any]:
    obj = records.sobject(object_name)
    table = obj.table
    name_field = obj.field(EXTRAS[obj.name].name_field)
    assert name_field is not None
    query = select(table).order_by(table.c.updated_at.desc(), table.c.id.desc()).limit(5)
    if obj.deleted_column:
        query = query.where(table.c[obj.deleted_column].is_(False))
    rows = (await session.execute(query)).mappings().all()
    recent = [
        ops.shaped(version, obj, records.api_values(obj, row), [obj.fields[0], name_field])
        for row in rows
    ]
    return {"objectDescribe": described.object_summary(obj, version), "recentItems": recent}


@router.post(V + "/sobjects/{object_name}", status_code=201, include_in_schema=False)
@router.post(V + "/sobjects/{object_name}/", status_code=201, summary="Create a record")
async def create(
    object_name: str, version: Version, caller: Caller, body: Body, session: WriteSession
) -> Response:
    result = await ops.create(ops.Call(session, caller, version), object_name, body)
    await _commit(session)
    return answer(result)


@router.get(V + "/sobjects/{object_name}/{record_id}", summary="A record (?fields=A,B)")
async def get(
    object_name: str,
    record_id: str,
    version: Version,
    caller: Caller,
    session: ReadSession,
    fields: str | None = None,
) -> Response:
    return answer(await ops.get(ops.Call(session, caller, version), object_name, record_id, fields))


@router.patch(V + "/sobjects/{object_name}/{record_id}", status_code=204, summary="Update")
async def update(
    object_name: str,
    record_id: str,
    version: Version,
    caller: Caller,
    body: Body,
    session: WriteSession,
) -> Response:
    result = await ops.update(ops.Call(session, caller, version), object_name, record_id, body)
    await _commit(session)
    return answer(result)


@router.delete(V + "/sobjects/{object_name}/{record_id}", status_code=204, summary="Delete")
async def delete(
    object_name: str, record_id: str, version: Version, caller: Caller, session: WriteSession
) -> Response:
    result = await ops.delete(ops.Call(session, caller, version), object_name, record_id)
    await _commit(session)
    return answer(result)


@router.post(
    V + "/sobjects/User/{record_id}/password", status_code=204, summary="Set a user's password"
)
async def set_password(
    record_id: str, version: Version, caller: Caller, body: Body, session: WriteSession
) -> Response:
    user = records.sobject("User")
    row_id = records.row_id_of(user, record_id)
    password = body.get("NewPassword") if isinstance(body, dict) else None
    await accounts.set_password(session, row_id, password, caller)
    await _commit(session)
    return Response(status_code=204)


@router.get(V + "/sobjects/{object_name}/{field}/{value}", summary="A record by an external id")
async def get_by_external_id(
    object_name: str,
    field: str,
    value: str,
    version: Version,
    caller: Caller,
    session: ReadSession,
    fields: str | None = None,
) -> Response:
    call = ops.Call(session, caller, version)
    return answer(await ops.get_by_external_id(call, object_name, field, value, fields))


@router.patch(
    V + "/sobjects/{object_name}/{field}/{value}",
    summary="Upsert by an external id: 201 created, 204 updated, 300 several match",
)
async def upsert(
    object_name: str,
    field: str,
    value: str,
    version: Version,
    caller: Caller,
    body: Body,
    session: WriteSession,
) -> Response:
    result = await ops.upsert(ops.Call(session, caller, version), object_name, field, value, body)
    await _commit(session)
    return answer(result)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
