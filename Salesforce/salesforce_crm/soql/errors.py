"""The one error the SOQL engine raises, carrying Salesforce's error code and message."""

from __future__ import annotations

#: How much of a long line an error message shows on each side of the position it points at.
_WINDOW = 60


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` as Salesforce names it
    (``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE``, ``INVALID_QUERY_FILTER_OPERATOR``,
    ``INVALID_QUERY_LOCATOR``, ``NUMBER_OUTSIDE_VALID_RANGE``) and its ``message``."""

    def __init__(self, error_code: str, message: str):
        super().__init__(message)
        self.error_code = error_code
        self.message = message

    def __str__(self) -> str:
        return f"{self.error_code}: {self.message}"


def located(soql: str, line: int, column: int, text: str) -> str:
    """Salesforce's form of a message about one place in the query: the line, a caret under
    the column and ``ERROR at Row:r:Column:c``. A long line is cut to a window around the
    column, so that a 100,000-character query does not come back in its error."""
    lines = soql.splitlines() or [""]
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = max(column - 1, 0)
    if len(shown) > 2 * _WINDOW:
        start = max(caret - _WINDOW, 0)
        shown = shown[start : start + 2 * _WINDOW]
        caret -= start
    return f"\n{shown}\n{' ' * caret}^\nERROR at Row:{line}:Column:{column}\n{text}"
