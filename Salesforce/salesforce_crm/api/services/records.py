"""Every write of a record: create, update, delete (to the recycle bin), upsert.

The REST routes, composite, the admin routes and the flows all write through here. Each
function validates the values against the catalog (unknown fields, read-only fields, types,
lengths, picklists, required fields, references that must exist and be of the right object,
unique values), sets the server's fields (audit, auto-numbers, timestamps), and runs the
object's triggers in the caller's transaction. Nothing commits here: the caller commits, so
a failure anywhere leaves nothing half-applied. Errors are ``servicekit.domain`` errors
whose ``error_code`` extension is Salesforce's name for what is wrong.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from salesforce_crm.api.services.actors import Actor
from salesforce_crm.api.services.triggers import TRIGGERS, Event, TriggerContext
from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.catalog import CASCADE_DELETES, CATALOG, EXTRAS
from salesforce_crm.sobjects.schema import Catalog, FieldDef, SObjectDef
from salesforce_crm.sobjects.values import INT_MAX, from_api, to_api
from servicekit.domain import DomainError, Forbidden, Invalid, NotFound


class MultipleMatches(DomainError):
    """An upsert's external id matches several records: Salesforce answers 300 with them."""

    kind = "conflict"

    def __init__(self, object_name: str, row_ids: list[int], detail: str):
        super().__init__(detail, error_code="MULTIPLE_CHOICES", status=300)
        self.object_name = object_name
        self.row_ids = row_ids


@dataclass(frozen=True)
class UpsertResult:
    row_id: int
    created: bool


def _error(kind: type[DomainError], code: str, message: str, *fields: str) -> DomainError:
    return kind(message, fields=tuple(fields), error_code=code)


def sobject(name: str, catalog: Catalog = CATALOG) -> SObjectDef:
    """The object called ``name`` (any case); NOT_FOUND as Salesforce answers an unknown type."""
    found = catalog.get(name)
    if found is None:
        raise _error(NotFound, "NOT_FOUND", "The requested resource does not exist")
    return found


def row_id_of(obj: SObjectDef, value: str) -> int:
    """The row id of a record id of ``obj`` given in a path: MALFORMED_ID when it is not an
    id at all, NOT_FOUND when it is another object's or beyond any row."""
    decoded = ids.decode(value) if isinstance(value, str) else None
    if decoded is None:
        raise _error(Invalid, "MALFORMED_ID", f"malformed id {value[:40]!r}")
    prefix, row_id = decoded
    if prefix != obj.key_prefix or row_id > INT_MAX:
        raise _error(NotFound, "NOT_FOUND", "The requested resource does not exist")
    return row_id


def record_id(obj: SObjectDef, row_id: int) -> str:
    return ids.encode(obj.key_prefix, row_id)


def _prefix_of(field: FieldDef, obj: SObjectDef) -> str | None:
    if field.type == "id":
        return obj.key_prefix
    if field.type == "reference" and field.reference_to:
        referred = CATALOG.get(field.reference_to)
        return referred.key_prefix if referred else None
    return None


def api_value(obj: SObjectDef, field: FieldDef, stored: Any) -> Any:
    return to_api(field, stored, _prefix_of(field, obj))


def api_values(obj: SObjectDef, row: RowMapping) -> dict[str, Any]:
    """The record as the API shows it: API names to API values (no attributes)."""
    return {f.name: api_value(obj, f, row[f.column]) for f in obj.fields}


def _live(obj: SObjectDef, table: Table) -> Any:
    if obj.deleted_column is None:
        return None
    return table.c[obj.deleted_column].is_(False)


async def fetch(
    session: AsyncSession, obj: SObjectDef, row_id: int, *, include_deleted: bool = False
) -> RowMapping | None:
    table = obj.table
    query = select(table).where(table.c.id == row_id)
    live = _live(obj, table)
    if live is not None and not include_deleted:
        query = query.where(live)
    return (await session.execute(query)).mappings().first()


async def read(session: AsyncSession, obj: SObjectDef, row_id: int) -> dict[str, Any]:
    """The live record ``row_id`` in API form; NOT_FOUND when missing or deleted."""
    row = await fetch(session, obj, row_id)
    if row is None:
        raise _error(NotFound, "NOT_FOUND", "The requested resource does not exist")
    return api_values(obj, row)


def _check_access(obj: SObjectDef, actor: Actor, action: str) -> None:
    if obj.name == "User" and not actor.is_admin:
        raise _error(
            Forbidden,
            "INSUFFICIENT_ACCESS",
            f"insufficient access rights: only a System Administrator may {action} users",
        )
    allowed = {"create": obj.createable, "update": obj.updateable, "delete": obj.deletable}
    if not allowed.get(action, True):
        raise DomainError(
            f"{obj.name} records cannot be {action}d through the API",
            error_code="METHOD_NOT_ALLOWED",
            status=405,
        )


def _check_precision(field: FieldDef, value: Any) -> Any:
    if isinstance(value, decimal.Decimal) and field.precision and field.scale:
        limit = decimal.Decimal(10) ** (field.precision - field.scale)
        quantum = decimal.Decimal(1).scaleb(-field.scale)
        rounded = value.quantize(quantum, rounding=decimal.ROUND_HALF_UP)
        if abs(rounded) >= limit:
            raise _error(
                Invalid,
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{field.name}: number outside the valid range",
                field.name,
            )
        return rounded
    return value


async def _resolve_reference(session: AsyncSession, field: FieldDef, value: str) -> int:
    """The row id a reference field's id points to, checked: MALFORMED_ID when not an id,
    INVALID_CROSS_REFERENCE_KEY when it is not a live record of the referred object."""
    decoded = ids.decode(value)
    if decoded is None:
        raise _error(
            Invalid,
            "MALFORMED_ID",
            f"{field.label or field.name}: id value of incorrect type: {value[:40]}",
            field.name,
        )
    prefix, row_id = decoded
    referred = CATALOG.get(field.reference_to or "")
    invalid = _error(
        Invalid,
        "INVALID_CROSS_REFERENCE_KEY",
        f"invalid cross reference id: {field.name} does not refer to a {field.reference_to} record",
        field.name,
    )
    if referred is None or prefix != referred.key_prefix or row_id > INT_MAX:
        raise invalid
    if await fetch(session, referred, row_id) is None:
        raise invalid
    return row_id


async def _stored_values(
    session: AsyncSession, obj: SObjectDef, body: Mapping[str, Any], *, creating: bool
) -> dict[FieldDef, Any]:
    """The body's fields, validated, as stored values (references resolved to row ids)."""
    if not isinstance(body, Mapping):
        raise _error(Invalid, "JSON_PARSER_ERROR", "the record must be a JSON object")
    values: dict[FieldDef, Any] = {}
    for name, given in body.items():
        if name == "attributes":
            continue
        field = obj.field(name) if isinstance(name, str) else None
        if field is None:
            raise _error(
                Invalid,
                "INVALID_FIELD",
                f"No such column '{str(name)[:80]}' on sobject of type {obj.name}",
                str(name)[:80],
            )
        if not (field.createable if creating else field.updateable):
            verb = "create" if creating else "update"
            raise _error(
                Invalid,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to {verb} fields: {field.name}. Please check the security settings "
                "of this field and verify that it is read/write for your profile",
                field.name,
            )
        if given is None and field.type == "boolean":
            given = False
        if given is None and not field.nillable and not field.defaulted_on_create:
            raise _error(
                Invalid,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{field.name}]",
                field.name,
            )
        stored = from_api(field, given)
        if field.type == "reference" and stored is not None:
            stored = await _resolve_reference(session, field, stored)
        values[field] = _check_precision(field, stored)
    if creating:
        missing = [
            f.name
            for f in obj.fields
            if f.createable
            and not f.nillable
            and not f.defaulted_on_create
            and f.type != "boolean"
            and values.get(f) is None
        ]
        if missing:
            raise _error(
                Invalid,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                *missing,
            )
    # A defaulted field sent as null takes its default rather than breaking NOT NULL.
    return {f: v for f, v in values.items() if v is not None or f.nillable}


async def _check_unique(
    session: AsyncSession, obj: SObjectDef, values: dict[FieldDef, Any], row_id: int | None
) -> None:
    table = obj.table
    for field, value in values.items():
        if not field.unique or value is None:
            continue
        query = select(table.c.id).where(table.c[field.column] == value)
        if row_id is not None:
            query = query.where(table.c.id != row_id)
        other = (await session.execute(query.limit(1))).scalar()
        if other is not None:
            raise _error(
                Invalid,
                "DUPLICATE_VALUE",
                f"duplicate value found: {field.name} duplicates value on record with id: "
                f"{record_id(obj, other)}",
                field.name,
            )


def _columns(values: dict[FieldDef, Any]) -> dict[str, Any]:
    return {f.column: v for f, v in values.items()}


def _case_closed(obj: SObjectDef, columns: dict[str, Any], old: RowMapping | None) -> None:
    """Salesforce sets a Case's ClosedDate when it is closed, and clears it on reopening."""
    if obj.name != "Case" or "status" not in columns:
        return
    was_closed = old is not None and old["status"] == "Closed"
    if columns["status"] == "Closed" and not was_closed:
        columns["closed_at"] = dt.datetime.now(dt.UTC)
    elif columns["status"] != "Closed" and was_closed:
        columns["closed_at"] = None


async def _run(
    session: AsyncSession,
    obj: SObjectDef,
    event: Event,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    actor: Actor,
) -> None:
    await TRIGGERS.run(TriggerContext(session, obj.name, event, old, new, actor))


async def create(
    session: AsyncSession, obj: SObjectDef, body: Mapping[str, Any], actor: Actor
) -> int:
    """Inserts a record; its row id."""
    _check_access(obj, actor, "create")
    values = await _stored_values(session, obj, body, creating=True)
    if TRIGGERS.of(obj.name, "before_insert"):
        proposed = {f.name: api_value(obj, f, v) for f, v in values.items()}
        context = TriggerContext(session, obj.name, "before_insert", None, dict(proposed), actor)
        await TRIGGERS.run(context)
        if context.new != proposed and context.new is not None:
            values = await _stored_values(session, obj, context.new, creating=True)
    await _check_unique(session, obj, values, None)
    now = dt.datetime.now(dt.UTC)
    columns = _columns(values)
    _case_closed(obj, columns, None)
    columns.update(
        created_at=now,
        updated_at=now,
        created_by_id=actor.user_id,
        last_modified_by_id=actor.user_id,
    )
    auto = EXTRAS[obj.name].auto_number
    if auto is not None:
        columns[auto[0]] = f"tmp-{uuid.uuid4().hex[:26]}"  # unique until the id is known
    table = obj.table
    row_id = int(
        (await session.execute(insert(table).values(columns).returning(table.c.id))).scalar_one()
    )
    if auto is not None:
        await session.execute(
            sql_update(table).where(table.c.id == row_id).values({auto[0]: auto[1].format(row_id)})
        )
    if TRIGGERS.of(obj.name, "after_insert"):
        await _run(session, obj, "after_insert", None, await read(session, obj, row_id), actor)
    return row_id


async def update_record(
    session: AsyncSession,
    obj: SObjectDef,
    row_id: int,
    body: Mapping[str, Any],
    actor: Actor,
) -> None:
    """Changes the fields in ``body`` of the live record ``row_id``."""
    _check_access(obj, actor, "update")
    old_row = await fetch(session, obj, row_id)
    if old_row is None:
        raise _error(NotFound, "NOT_FOUND", "The requested resource does not exist")
    values = await _stored_values(session, obj, body, creating=False)
    await _check_unique(session, obj, values, row_id)
    columns = _columns(values)
    _case_closed(obj, columns, old_row)
    columns.update(updated_at=dt.datetime.now(dt.UTC), last_modified_by_id=actor.user_id)
    table = obj.table
    await session.execute(sql_update(table).where(table.c.id == row_id).values(columns))
    if TRIGGERS.of(obj.name, "after_update"):
        old = api_values(obj, old_row)
        await _run(session, obj, "after_update", old, await read(session, obj, row_id), actor)


#: The name the flows use: the same function, with :data:`actors.SYSTEM` as the actor.
update = update_record


async def delete(session: AsyncSession, obj: SObjectDef, row_id: int, actor: Actor) -> None:
    """Moves the live record ``row_id`` to the recycle bin (IsDeleted)."""
    _check_access(obj, actor, "delete")
    old_row = await fetch(session, obj, row_id, include_deleted=True)
    if old_row is None:
        raise _error(NotFound, "NOT_FOUND", "The requested resource does not exist")
    if obj.deleted_column is None or old_row[obj.deleted_column]:
        raise DomainError("entity is deleted", error_code="ENTITY_IS_DELETED", status=404)
    table = obj.table
    await session.execute(
        sql_update(table)
        .where(table.c.id == row_id)
        .values(
            {
                obj.deleted_column: True,
                "updated_at": dt.datetime.now(dt.UTC),
                "last_modified_by_id": actor.user_id,
            }
        )
    )
    if TRIGGERS.of(obj.name, "after_delete"):
        await _run(session, obj, "after_delete", api_values(obj, old_row), None, actor)
    for child_name, field_name in CASCADE_DELETES.get(obj.name, ()):
        child = sobject(child_name)
        field = child.field(field_name)
        assert field is not None and child.deleted_column is not None
        query = select(child.table.c.id).where(
            child.table.c[field.column] == row_id, child.table.c[child.deleted_column].is_(False)
        )
        for child_id in (await session.execute(query)).scalars().all():
            await delete(session, child, int(child_id), actor)


def external_id_field(obj: SObjectDef, name: str) -> FieldDef:
    field = obj.field(name)
    if field is None or not field.external_id:
        raise _error(
            NotFound,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name[:80]}",
        )
    return field


async def find_by_external_id(
    session: AsyncSession, obj: SObjectDef, field: FieldDef, value: str
) -> list[int]:
    """Live records whose external id ``field`` is ``value`` (at most a few)."""
    stored = from_api(field, value)
    table = obj.table
    query = select(table.c.id).where(table.c[field.column] == stored).order_by(table.c.id)
    live = _live(obj, table)
    if live is not None:
        query = query.where(live)
    return [int(r) for r in (await session.execute(query.limit(10))).scalars()]


async def upsert(
    session: AsyncSession,
    obj: SObjectDef,
    field_name: str,
    value: str,
    body: Mapping[str, Any],
    actor: Actor,
) -> UpsertResult:
    """Updates the record whose external id ``field_name`` is ``value``, or creates it."""
    field = external_id_field(obj, field_name)
    if not isinstance(body, Mapping):
        raise _error(Invalid, "JSON_PARSER_ERROR", "the record must be a JSON object")
    given = next((v for k, v in body.items() if k.lower() == field.name.lower()), None)
    if given is not None and given != value:
        raise _error(
            Invalid,
            "INVALID_FIELD",
            f"{field.name} is given in the URL; it must not differ in the body",
            field.name,
        )
    matches = await find_by_external_id(session, obj, field, value)
    if len(matches) > 1:
        raise MultipleMatches(
            obj.name, matches, f"more than one record found for {field.name}: {value[:80]}"
        )
    rest = {k: v for k, v in body.items() if k.lower() != field.name.lower()}
    if matches:
        await update_record(session, obj, matches[0], rest, actor)
        return UpsertResult(matches[0], created=False)
    row_id = await create(session, obj, {**rest, field.name: value}, actor)
    return UpsertResult(row_id, created=True)


async def count_live(session: AsyncSession, obj: SObjectDef) -> int:
    table = obj.table
    query = select(func.count()).select_from(table)
    live = _live(obj, table)
    if live is not None:
        query = query.where(live)
    return int((await session.execute(query)).scalar_one())


__all__ = [
    "MultipleMatches",
    "UpsertResult",
    "api_values",
    "create",
    "delete",
    "fetch",
    "read",
    "record_id",
    "row_id_of",
    "sobject",
    "update",
    "update_record",
    "upsert",
]
