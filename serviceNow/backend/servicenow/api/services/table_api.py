"""The Table API's read side: ``/api/now/table/{table}`` with the basics of ``sysparm_query``.

Supported in a query (conditions joined by ``^``, all must hold): ``field=value``,
``field!=value``, ``fieldLIKEtext``, ``fieldSTARTSWITHtext``, ``fieldIN a,b``,
``ORDERBYfield``, ``ORDERBYDESCfield``. Fields are the table's columns; anything else is a
400 that names the part not understood.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from servicekit.auth import Principal
from servicekit.errors import Problem, not_found
from servicenow.models import Incident, Ticket

#: Table API names (ServiceNow's and ours) of the tables it serves.
TABLES: dict[str, type[DeclarativeBase]] = {
    "incident": Incident,
    "incidents": Incident,
    "ticket": Ticket,
    "tickets": Ticket,
}
_CONDITION = re.compile(r"^([a-z_][a-z0-9_]*)(!=|=|LIKE|STARTSWITH|IN)(.*)$", re.DOTALL)


def _columns(model: type[DeclarativeBase]) -> dict[str, Any]:
    return dict(model.__table__.columns)


def apply_query(query: Select[Any], model: type[DeclarativeBase], text: str) -> Select[Any]:
    columns = _columns(model)
    ordered = False
    for part in filter(None, text.split("^")):
        if part.startswith("ORDERBYDESC") or part.startswith("ORDERBY"):
            desc = part.startswith("ORDERBYDESC")
            name = part.removeprefix("ORDERBYDESC" if desc else "ORDERBY")
            if name not in columns:
                raise Problem(400, f"sysparm_query: unknown field '{name}' in '{part}'")
            query = query.order_by(columns[name].desc() if desc else columns[name])
            ordered = True
            continue
        match = _CONDITION.match(part)
        if match is None or match.group(1) not in columns:
            raise Problem(400, f"sysparm_query: cannot read the condition '{part}'")
        column, operator, value = columns[match.group(1)], match.group(2), match.group(3)
        if operator == "=":
            query = query.where(column == value)
        elif operator == "!=":
            query = query.where(column != value)
        elif operator == "LIKE":
            query = query.where(column.contains(value, autoescape=True))
        elif operator == "STARTSWITH":
            query = query.where(column.startswith(value, autoescape=True))
        else:
            query = query.where(column.in_([v for v in value.split(",") if v]))
    if not ordered:
        query = query.order_by(columns["id"])
    return query


async def read_table(
    session: AsyncSession,
    principal: Principal,
    table: str,
    sysparm_query: str,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    model = TABLES.get(table)
    if model is None:
        raise not_found(f"table {table}")
    query = apply_query(select(model.__table__), model, sysparm_query)
    rows = await session.execute(query.limit(limit).offset(offset))
    return [dict(row._mapping) for row in rows]
