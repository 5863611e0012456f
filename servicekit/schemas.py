"""Response schemas and list parameters shared by the services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, create_model
from sqlalchemy.orm import DeclarativeBase

#: Columns never sent to a client, whatever table they are in.
SECRET_COLUMNS = frozenset({"password_hash", "hashed_password", "key_hash", "temp_password"})

MAX_PAGE = 500
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, description="Rows to skip")]


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
