"""MM's writes: materials, stock movements, purchase requisitions (Store_Manager, Admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from sap_clone.api.deps import MmUser, ReadSession, WriteSession
from sap_clone.api.fields import KeyPath, KeyQuery
from sap_clone.api.mm_schemas import (
    MaterialCreate,
    MaterialOut,
    MaterialUpdate,
    RequisitionCreate,
    RequisitionOut,
    RequisitionStatus,
    RequisitionStatusChange,
    StockMovement,
    StockTransactionOut,
)
from sap_clone.api.services import requisitions, stock
from servicekit.schemas import Limit, Offset

router = APIRouter(prefix="/api/mm", tags=["mm"])


@router.post("/materials", status_code=status.HTTP_201_CREATED)
async def create_material(
    body: MaterialCreate, principal: MmUser, session: WriteSession
) -> MaterialOut:
    out = MaterialOut.model_validate(await stock.create_material(session, body, principal))
    await session.commit()
    return out


@router.get("/materials/{material_id}")
async def get_material(
    material_id: KeyPath, principal: MmUser, session: ReadSession
) -> MaterialOut:
    return MaterialOut.model_validate(await stock.get_material(session, material_id))


@router.patch("/materials/{material_id}")
async def update_material(
    material_id: KeyPath, body: MaterialUpdate, principal: MmUser, session: WriteSession
) -> MaterialOut:
    material = await stock.update_material(session, material_id, body, principal)
    out = MaterialOut.model_validate(material)
    await session.commit()
    return out


@router.post("/stock-transactions", status_code=status.HTTP_201_CREATED)
async def move_stock(
    body: StockMovement, principal: MmUser, session: WriteSession
) -> StockTransactionOut:
    row = await stock.move_stock(session, body, principal)
    out = StockTransactionOut.model_validate(row)
    await session.commit()
    return out


@router.post("/requisitions", status_code=status.HTTP_201_CREATED)
async def create_requisition(
    body: RequisitionCreate, principal: MmUser, session: WriteSession
) -> RequisitionOut:
    requisition = await requisitions.create_requisition(session, body, principal)
    out = RequisitionOut.model_validate(requisition)
    await session.commit()
    return out


@router.get("/requisitions")
async def list_requisitions(
    principal: MmUser,
    session: ReadSession,
    limit: Limit = 100,
    offset: Offset = 0,
    requisition_status: Annotated[RequisitionStatus | None, Query(alias="status")] = None,
    material_id: KeyQuery = None,
) -> list[RequisitionOut]:
    rows = await requisitions.list_requisitions(
        session, limit, offset, requisition_status, material_id
    )
    return [RequisitionOut.model_validate(r) for r in rows]


@router.get("/requisitions/{requisition_id}")
async def get_requisition(
    requisition_id: KeyPath, principal: MmUser, session: ReadSession
) -> RequisitionOut:
    return RequisitionOut.model_validate(
        await requisitions.get_requisition(session, requisition_id)
    )


@router.patch("/requisitions/{requisition_id}")
async def change_requisition_status(
    requisition_id: KeyPath,
    body: RequisitionStatusChange,
    principal: MmUser,
    session: WriteSession,
) -> RequisitionOut:
    requisition = await requisitions.change_status(session, requisition_id, body, principal)
    out = RequisitionOut.model_validate(requisition)
    await session.commit()
    return out
