"""Input types of SAP's write routes: keys, quantities and text a database can store.

Every bound here keeps a bad value a 422 that names the field instead of a database error:
PostgreSQL's text cannot hold NUL characters, its INTEGER stops at 2**31 - 1, and keys are at
most 50 characters.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field

from sap_clone.models.base import KEY_LENGTH

#: PostgreSQL's INTEGER: no stock, line or requisition quantity goes above it.
MAX_QUANTITY = 2**31 - 1
#: What a key may hold: MAT-CBL-001, WO-20261208-3F9A1C2B7D40, a Salesforce id.
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)
Key = Annotated[str, Field(min_length=1, max_length=KEY_LENGTH, pattern=KEY_PATTERN)]
#: A key in a path: a NUL or an overlong one is a 422; one that names nothing (2**64) a 404.
KeyPath = Annotated[str, Path(min_length=1, max_length=KEY_LENGTH, pattern=KEY_PATTERN)]
KeyQuery = Annotated[str | None, Query(min_length=1, max_length=100, pattern=KEY_PATTERN)]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY, description="A positive whole number")]
Name = Annotated[str, Field(min_length=1, max_length=255), NoNul]
ShortText = Annotated[str, Field(max_length=100), NoNul]
LongText = Annotated[str, Field(max_length=10_000), NoNul]
Comment = Annotated[str, Field(min_length=1, max_length=2_000), NoNul]
Unit = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9%/._-]+$")]
#: Money as Numeric(15, 2) stores it.
Price = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999999.99"), decimal_places=2)]
StockLevel = Annotated[int, Field(ge=0, le=MAX_QUANTITY, description="Zero or more")]
