"""sObject collections (``composite/sobjects``): create, update or delete up to 200 records
of any objects in one call, each answered ``{"id", "success", "errors"}``.

Without ``allOrNone`` each record has its own savepoint: a failing one is rolled back alone.
With it the first failure rolls everything back, and the other records answer
ALL_OR_NONE_OPERATION_ROLLED_BACK.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from salesforce_crm.api.errors import SalesforceError, as_salesforce
from salesforce_crm.api.ops import Call
from salesforce_crm.api.services import records
from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.catalog import CATALOG

MAX_RECORDS = 200
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}

#: One record's work: its id when it succeeded.
Work = Callable[[], Awaitable[str]]


def _failure(error: SalesforceError, record_id: str | None = None) -> dict[str, Any]:
    return {
        "id": record_id,
        "success": False,
        "errors": [
            {"statusCode": error.error_code, "message": error.message, "fields": list(error.fields)}
        ],
    }


async def _run(call: Call, works: list[tuple[str | None, Work]], all_or_none: bool) -> list[Any]:
    answers: list[dict[str, Any]] = []
    for given_id, work in works:
        try:
            if all_or_none:
                record_id = await work()
            else:
                async with call.session.begin_nested():
                    record_id = await work()
        except Exception as exc:
            answers.append(_failure(as_salesforce(exc), given_id))
            if all_or_none:
                await call.session.rollback()
                failed = len(answers) - 1
                rolled = {"success": False, "errors": [ROLLED_BACK]}
                return [
                    answers[failed] if i == failed else {"id": works[i][0], **rolled}
                    for i in range(len(works))
                ]
            continue
        answers.append({"id": record_id, "success": True, "errors": []})
    return answers


def _records(body: Any, *, need_id: bool) -> tuple[bool, list[dict[str, Any]]]:
    if not isinstance(body, dict):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "the request must be a JSON object")
    all_or_none = body.get("allOrNone", False)
    items = body.get("records")
    if not isinstance(all_or_none, bool):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean")
    if not isinstance(items, list) or not items:
        raise SalesforceError(400, "INVALID_FIELD", "records must be a non-empty array")
    if len(items) > MAX_RECORDS:
        raise SalesforceError(
            400, "EXCEEDED_ID_LIMIT", f"at most {MAX_RECORDS} records in one request"
        )
    for item in items:
        if not isinstance(item, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "each record must be a JSON object")
        attributes = item.get("attributes")
        if not isinstance(attributes, dict) or not isinstance(attributes.get("type"), str):
            raise SalesforceError(400, "INVALID_TYPE", "each record needs attributes with its type")
        if need_id and not isinstance(item.get("Id"), str):
            raise SalesforceError(400, "MISSING_ARGUMENT", "each record needs its Id")
    return all_or_none, items


async def create(call: Call, body: Any) -> list[Any]:
    all_or_none, items = _records(body, need_id=False)

    def work(item: dict[str, Any]) -> Work:
        async def run() -> str:
            obj = records.sobject(item["attributes"]["type"])
            row_id = await records.create(call.session, obj, item, call.actor)
            return records.record_id(obj, row_id)

        return run

    return await _run(call, [(None, work(i)) for i in items], all_or_none)


async def update(call: Call, body: Any) -> list[Any]:
    all_or_none, items = _records(body, need_id=True)

    def work(item: dict[str, Any]) -> Work:
        async def run() -> str:
            obj = records.sobject(item["attributes"]["type"])
            row_id = records.row_id_of(obj, item["Id"])
            values = {k: v for k, v in item.items() if k != "Id"}
            await records.update_record(call.session, obj, row_id, values, call.actor)
            return records.record_id(obj, row_id)

        return run

    return await _run(call, [(str(i["Id"]), work(i)) for i in items], all_or_none)


async def delete(call: Call, ids_text: str | None, all_or_none: bool) -> list[Any]:
    given = [i.strip() for i in (ids_text or "").split(",") if i.strip()]
    if not given:
        raise SalesforceError(400, "MISSING_ARGUMENT", "ids: the records to delete")
    if len(given) > MAX_RECORDS:
        raise SalesforceError(
            400, "EXCEEDED_ID_LIMIT", f"at most {MAX_RECORDS} records in one request"
        )

    def work(record_id: str) -> Work:
        async def run() -> str:
            decoded = ids.decode(record_id)
            obj = CATALOG.by_prefix(decoded[0]) if decoded else None
            if obj is None:
                raise SalesforceError(400, "MALFORMED_ID", f"malformed id {record_id[:40]!r}")
            row_id = records.row_id_of(obj, record_id)
            await records.delete(call.session, obj, row_id, call.actor)
            return records.record_id(obj, row_id)

        return run

    return await _run(call, [(i, work(i)) for i in given], all_or_none)
