"""Field values between the database and the API, as Salesforce writes them.

Dates are ``2026-12-08``; date-times ``2026-12-08T03:13:26.000+0000`` (UTC, milliseconds);
numbers are JSON numbers, booleans JSON booleans; ids the 18-character form. A value sent by a
client that does not fit its field raises :class:`ValueProblem` naming the field, which the
REST layer answers as Salesforce does (``JSON_PARSER_ERROR`` / ``INVALID_FIELD``-style errors),
never a 500.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.schema import FieldDef

#: Integers Salesforce stores (int fields are 32-bit; numbers 18 digits).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_MAX_NUMBER = decimal.Decimal(10) ** 18


class ValueProblem(ValueError):
    """A client's value does not fit the field ``field``; ``error_code`` is Salesforce's
    name for what is wrong (JSON_PARSER_ERROR for a value of the wrong kind)."""

    def __init__(self, field: str, message: str, error_code: str = "JSON_PARSER_ERROR"):
        super().__init__(message)
        self.field = field
        self.message = message
        self.error_code = error_code


def format_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> dt.datetime:
    """Salesforce's forms: ``2026-12-08T03:13:26.000+0000``, ``...Z``, ``...+01:00``, with or
    without fractions of a second. Raises ValueError."""
    cleaned = text.strip()
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    elif len(cleaned) >= 5 and cleaned[-5] in "+-" and cleaned[-4:].isdigit():
        cleaned = cleaned[:-2] + ":" + cleaned[-2:]
    parsed = dt.datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        raise ValueError("a date-time needs its offset (Z or +hhmm)")
    return parsed.astimezone(dt.UTC)


def to_api(field: FieldDef, value: Any, key_prefix: str | None = None) -> Any:
    """The JSON value of a stored one. ``key_prefix``: for the ``id`` field, its object's;
    for references, the referred object's (a reference column holds the row id)."""
    if value is None:
        return None
    if field.type in ("id", "reference"):
        if isinstance(value, int) and key_prefix:
            return ids.encode(key_prefix, value)
        return str(value)
    if field.type == "datetime":
        if isinstance(value, str):  # SQLite may hand back text
            value = parse_datetime(value if "+" in value or "Z" in value else value + "+00:00")
        return format_datetime(value)
    if field.type == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if field.type == "boolean":
        return bool(value)
    if field.type == "int":
        return int(value)
    if field.type in ("double", "currency", "percent"):
        return float(value)
    return value


def from_api(field: FieldDef, value: Any) -> Any:
    """The stored value of a client's JSON value, checked against the field's type, length
    and picklist. References and ids are left as strings: the caller resolves them to rows.
    Raises :class:`ValueProblem`."""
    name = field.name
    if value is None:
        return None
    kind = field.type
    if kind in ("string", "textarea", "picklist", "email", "phone", "url", "id", "reference"):
        if not isinstance(value, str):
            raise ValueProblem(name, f"{name}: expected a string, got {_json_kind(value)}")
        if "\x00" in value:
            raise ValueProblem(name, f"{name}: a string may not hold a NUL character")
        if field.length and len(value) > field.length:
            raise ValueProblem(
                name, f"{name}: data value too large (max length={field.length})", "STRING_TOO_LONG"
            )
        if kind == "picklist" and field.picklist_values and value not in field.picklist_values:
            raise ValueProblem(
                name,
                f"{name}: bad value for restricted picklist field: {value}",
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            )
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueProblem(name, f"{name}: expected a boolean, got {_json_kind(value)}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueProblem(name, f"{name}: expected a number, got {_json_kind(value)}")
        if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
            raise ValueProblem(name, f"{name}: expected a whole number")
        if not INT_MIN <= int(value) <= INT_MAX:
            raise ValueProblem(
                name, f"{name}: number outside the valid range", "NUMBER_OUTSIDE_VALID_RANGE"
            )
        return int(value)
    if kind in ("double", "currency", "percent"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueProblem(name, f"{name}: expected a number, got {_json_kind(value)}")
        try:
            number = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            raise ValueProblem(name, f"{name}: not a number: {str(value)[:40]}") from None
        if not number.is_finite() or abs(number) >= _MAX_NUMBER:
            raise ValueProblem(
                name, f"{name}: number outside the valid range", "NUMBER_OUTSIDE_VALID_RANGE"
            )
        return number
    if kind == "date":
        if not isinstance(value, str):
            raise ValueProblem(name, f"{name}: expected a date string (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(value[:10]) if len(value) >= 10 else _bad_date(name)
        except ValueError:
            raise ValueProblem(name, f"{name}: not a valid date: {value[:40]}") from None
    if kind == "datetime":
        if not isinstance(value, str):
            raise ValueProblem(name, f"{name}: expected a date-time string")
        try:
            return parse_datetime(value)
        except ValueError:
            raise ValueProblem(name, f"{name}: not a valid date-time: {value[:40]}") from None
    raise ValueProblem(name, f"{name}: cannot be set")


def _bad_date(name: str) -> dt.date:
    raise ValueProblem(name, f"{name}: expected a date string (YYYY-MM-DD)")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
