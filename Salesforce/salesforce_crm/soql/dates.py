"""SOQL's relative date literals (``TODAY``, ``LAST_N_DAYS:30`` …) as ranges of days, in UTC.

Each literal is a half-open range ``[start, end)`` of dates; the compiler compares a date
field with the dates and a date-time field with midnight UTC of them.
"""

from __future__ import annotations

import datetime as dt

from salesforce_crm.soql.ast import DateLiteral
from salesforce_crm.soql.errors import SoqlError

_DAY = dt.timedelta(days=1)


def _month_start(day: dt.date, months_ahead: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months_ahead
    return dt.date(index // 12, index % 12 + 1, 1)


def date_range(literal: DateLiteral, today: dt.date) -> tuple[dt.date, dt.date]:
    """``[start, end)`` of ``literal`` on day ``today``. Raises :class:`SoqlError` when the range
    falls outside the calendar (``LAST_N_DAYS:999999``)."""
    try:
        return _range(literal, today)
    except (OverflowError, ValueError):
        raise SoqlError(
            "MALFORMED_QUERY", f"{literal.name}:{literal.n} reaches outside the calendar"
        ) from None


def _range(literal: DateLiteral, today: dt.date) -> tuple[dt.date, dt.date]:
    n = literal.n or 0
    match literal.name:
        case "TODAY":
            return today, today + _DAY
        case "YESTERDAY":
            return today - _DAY, today
        case "TOMORROW":
            return today + _DAY, today + 2 * _DAY
        case "LAST_N_DAYS":  # today and the n days before it
            return today - n * _DAY, today + _DAY
        case "NEXT_N_DAYS":  # the n days after today, from tomorrow
            return today + _DAY, today + (n + 1) * _DAY
        case "THIS_MONTH":
            return _month_start(today, 0), _month_start(today, 1)
        case "LAST_MONTH":
            return _month_start(today, -1), _month_start(today, 0)
        case "NEXT_MONTH":
            return _month_start(today, 1), _month_start(today, 2)
        case "LAST_N_MONTHS":  # the n whole months before this one
            return _month_start(today, -n), _month_start(today, 0)
        case "NEXT_N_MONTHS":  # the n whole months after this one
            return _month_start(today, 1), _month_start(today, n + 1)
        case "THIS_YEAR":
            return dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
        case "LAST_YEAR":
            return dt.date(today.year - 1, 1, 1), dt.date(today.year, 1, 1)
        case "NEXT_YEAR":
            return dt.date(today.year + 1, 1, 1), dt.date(today.year + 2, 1, 1)
    raise SoqlError("MALFORMED_QUERY", f"date literal {literal.name} is not supported here")
