"""Old import path of :mod:`appdb.types` (the apps' column types), kept for code written
against it."""

from appdb.types import (
    NAMING_CONVENTION,
    Document,
    Money,
    UTCDateTime,
    choice,
    counter,
    created_at,
    flag,
    json_default,
    new_metadata,
    updated_at,
    utc_now,
)

__all__ = [
    "NAMING_CONVENTION",
    "Document",
    "Money",
    "UTCDateTime",
    "choice",
    "counter",
    "created_at",
    "flag",
    "json_default",
    "new_metadata",
    "updated_at",
    "utc_now",
]
