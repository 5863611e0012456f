"""Response schemas and list parameters shared by the services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, create_model
from sqlalchemy.orm import DeclarativeBase

#: Columns never sent to a client, whatever table they are in.
SECRET_COLUMNS = frozenset({"password_hash", "hashed_password", "key_hash", "temp_password"})

MAX_PAGE = 500
#: The largest id or offset a request may name: the tables' integer columns are 32-bit, and a
#: number past what the database's parameter types hold is refused (422) before any query,
#: never a driver's overflow error (500).
MAX_INTEGER = 2**31 - 1
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_INTEGER, description="Rows to skip")]
#: A row's integer id in a path.
RowId = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="The row's id")]


class ORMModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def read_schema(model: type[DeclarativeBase], name: str) -> type[BaseModel]:
    """A response schema with a table's columns (secret ones left out), for read routes over
    tables whose rows are shown as they are stored."""
    fields: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.name in SECRET_COLUMNS:
            continue
        try:
            python_type: Any = column.type.python_type
        except NotImplementedError:
            python_type = Any
        fields[column.name] = (python_type | None, None)
    return create_model(name, __base__=ORMModel, **fields)
