"""Materials and their stock: created and described by MM, moved only by stock transactions.

An issue is a locked decrement: the material's row is read ``FOR UPDATE`` on PostgreSQL (on
SQLite the write session already holds the database's write lock, BEGIN IMMEDIATE), checked,
decremented and written with its ``stock_transactions`` row in the caller's transaction. Two
issues of the last units therefore queue: the second sees what the first left and is refused
(409, with how much is available). Stock never goes below zero (the table's CHECK says so too).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sap_clone.api.fields import MAX_QUANTITY
from sap_clone.api.mm_schemas import MaterialCreate, MaterialUpdate, StockMovement
from sap_clone.api.roles import ADMIN, STORE_MANAGER
from sap_clone.api.services import audit
from sap_clone.api.services.keys import new_key
from sap_clone.api.services.rules import require_role
from sap_clone.models.mm import Material, StockTransaction
from servicekit.auth import SERVICE_ROLE, Principal
from servicekit.domain import Conflict, Invalid, NotFound

MM_ROLES = (ADMIN, STORE_MANAGER, SERVICE_ROLE)
#: What an update may clear; the other fields of a material always hold a value.
NULLABLE_MATERIAL_FIELDS = frozenset({"storage_location"})


async def get_material(session: AsyncSession, material_id: str) -> Material:
    material = await session.get(Material, material_id)
    if material is None:
        raise NotFound(f"material {material_id} not found")
    return material


async def lock_materials(session: AsyncSession, material_ids: list[str]) -> dict[str, Material]:
    """The materials, locked for update in one order (by id: two transactions locking the
    same materials never wait for each other crosswise); an unknown one is ``Invalid``."""
    return await _materials(session, material_ids, lock=True)


async def find_materials(session: AsyncSession, material_ids: list[str]) -> dict[str, Material]:
    """The materials as they are now, unlocked; an unknown one is ``Invalid``."""
    return await _materials(session, material_ids, lock=False)


async def _materials(
    session: AsyncSession, material_ids: list[str], lock: bool
) -> dict[str, Material]:
    wanted = sorted(set(material_ids))
    query = select(Material).where(Material.material_id.in_(wanted)).order_by(Material.material_id)
    if lock:
        query = query.with_for_update()
    # populate_existing: the values read now (locked), not those an earlier read cached.
    rows = await session.scalars(query.execution_options(populate_existing=True))
    found = {m.material_id: m for m in rows}
    unknown = [m for m in wanted if m not in found]
    if unknown:
        raise Invalid(
            f"unknown material: {', '.join(unknown)}", fields=("material_id",), materials=unknown
        )
    return found


async def create_material(
    session: AsyncSession, body: MaterialCreate, actor: Principal
) -> Material:
    require_role(actor, MM_ROLES, "create materials")
    if await session.get(Material, body.material_id) is not None:
        raise Conflict(f"material {body.material_id} already exists", fields=("material_id",))
    now = dt.datetime.now(dt.UTC)
    material = Material(
        material_id=body.material_id,
        description=body.description,
        quantity=0,
        unit_of_measure=body.unit_of_measure,
        reorder_level=body.reorder_level,
        storage_location=body.storage_location,
        created_at=now,
        updated_at=now,
    )
    session.add(material)
    await session.flush()
    audit.record(actor, "created", "material", material.material_id)
    return material


async def update_material(
    session: AsyncSession, material_id: str, body: MaterialUpdate, actor: Principal
) -> Material:
    require_role(actor, MM_ROLES, "change materials")
    material = await get_material(session, material_id)
    changes: dict[str, object] = {}
    for name in sorted(body.model_fields_set):
        value = getattr(body, name)
        if value is None and name not in NULLABLE_MATERIAL_FIELDS:
            raise Invalid(f"a material's {name} cannot be removed", fields=(name,))
        if getattr(material, name) != value:
            changes[name] = value
    if changes:
        for name, value in changes.items():
            setattr(material, name, value)
        material.updated_at = dt.datetime.now(dt.UTC)
        await session.flush()
        audit.record(actor, "updated", "material", material_id, changes=changes)
    return material


def _transaction(
    material: Material,
    change: int,
    kind: str,
    actor: Principal,
    reference_doc: str | None,
    notes: str | None,
) -> StockTransaction:
    return StockTransaction(
        transaction_id=new_key("STX"),
        material_id=material.material_id,
        quantity_change=change,
        transaction_type=kind,
        transaction_date=dt.datetime.now(dt.UTC),
        performed_by=actor.name,
        reference_doc=reference_doc,
        notes=notes,
    )


def shortage(material: Material, quantity: int) -> Conflict:
    """The 409 of an issue larger than the stock, with how much there is."""
    return Conflict(
        f"material {material.material_id} is short: {quantity} {material.unit_of_measure} "
        f"asked, {material.quantity} available",
        material_id=material.material_id,
        requested=quantity,
        available=material.quantity,
    )


def issue_locked(
    session: AsyncSession,
    material: Material,
    quantity: int,
    actor: Principal,
    reference_doc: str | None = None,
    notes: str | None = None,
) -> StockTransaction:
    """Takes ``quantity`` out of a material the caller has locked (:func:`lock_materials`)."""
    if quantity > material.quantity:
        raise shortage(material, quantity)
    material.quantity -= quantity
    material.updated_at = dt.datetime.now(dt.UTC)
    row = _transaction(material, -quantity, "issue", actor, reference_doc, notes)
    session.add(row)
    return row


async def move_stock(
    session: AsyncSession, body: StockMovement, actor: Principal
) -> StockTransaction:
    """A receipt or an issue of one material, with its transaction row."""
    require_role(actor, MM_ROLES, "move stock")
    material = (await lock_materials(session, [body.material_id]))[body.material_id]
    if body.transaction_type == "issue":
        row = issue_locked(session, material, body.quantity, actor, body.reference_doc, body.notes)
    else:
        row = receive_locked(
            session, material, body.quantity, actor, body.reference_doc, body.notes
        )
    await session.flush()
    audit.record(
        actor,
        body.transaction_type,
        "material",
        material.material_id,
        transaction_id=row.transaction_id,
        quantity_change=row.quantity_change,
        stock=material.quantity,
    )
    return row


def receive_locked(
    session: AsyncSession,
    material: Material,
    quantity: int,
    actor: Principal,
    reference_doc: str | None = None,
    notes: str | None = None,
) -> StockTransaction:
    """Adds ``quantity`` to a material the caller has locked."""
    if material.quantity + quantity > MAX_QUANTITY:
        raise Conflict(
            f"material {material.material_id} cannot hold more than {MAX_QUANTITY} "
            f"{material.unit_of_measure}: {material.quantity} in stock",
            material_id=material.material_id,
            available=material.quantity,
        )
    material.quantity += quantity
    material.updated_at = dt.datetime.now(dt.UTC)
    row = _transaction(material, quantity, "receipt", actor, reference_doc, notes)
    session.add(row)
    return row
