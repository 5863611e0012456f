"""Read routes over the PM, MM and FI tables, each open to its module's role and Admin.

Requisitions, approvals and work orders have routers of their own (with filters and writes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase

from sap_clone.api.deps import FI_RULE, MM_RULE, PM_RULE, ReadSession
from sap_clone.models import (
    Asset,
    CostCenter,
    CostEntry,
    Incident,
    MaintenanceOrder,
    Material,
    StockTransaction,
)
from servicekit.schemas import Limit, Offset, read_schema


def _read_routes(
    router: APIRouter, path: str, model: type[DeclarativeBase], schema_name: str
) -> None:
    schema = read_schema(model, schema_name)
    key = next(iter(model.__table__.primary_key.columns))  # type: ignore[attr-defined]
    # A schema built at run time: mypy cannot see it as a type.
    page: Any = list[schema]  # type: ignore[valid-type]

    async def list_rows(session: ReadSession, limit: Limit = 100, offset: Offset = 0) -> Any:
        rows = await session.scalars(select(model).order_by(key).limit(limit).offset(offset))
        return [schema.model_validate(r) for r in rows]

    router.add_api_route(
        path,
        list_rows,
        methods=["GET"],
        response_model=page,
        summary=f"List {path[1:]}",
    )


def _module_router(
    prefix: str, rule: Callable[..., Any], tables: list[tuple[str, Any, str]]
) -> APIRouter:
    router = APIRouter(
        prefix=prefix, tags=[prefix.rsplit("/", 1)[-1]], dependencies=[Depends(rule)]
    )
    for path, model, name in tables:
        _read_routes(router, path, model, name)
    return router


pm_router = _module_router(
    "/api/pm",
    PM_RULE,
    [
        ("/assets", Asset, "AssetOut"),
        ("/maintenance-orders", MaintenanceOrder, "MaintenanceOrderOut"),
        ("/incidents", Incident, "IncidentOut"),
    ],
)
mm_router = _module_router(
    "/api/mm",
    MM_RULE,
    [
        ("/materials", Material, "MaterialOut"),
        ("/stock-transactions", StockTransaction, "StockTransactionOut"),
    ],
)
fi_router = _module_router(
    "/api/fi",
    FI_RULE,
    [
        ("/cost-centers", CostCenter, "CostCenterOut"),
        ("/cost-entries", CostEntry, "CostEntryOut"),
    ],
)
