"""Domain errors: what a service function raises when a rule says no.

Service functions know nothing of HTTP. They raise one of these; one place maps each kind to
an answer: :mod:`servicekit.errors` to RFC 9457 problem details, a vendor-shaped API (the
Salesforce REST API, say) to its vendor's error body.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the request: ``detail`` says what is wrong, in words for the caller."""

    #: A stable machine-readable kind (``not_found``, ``conflict`` …), for vendor mappings.
    kind = "invalid"

    def __init__(self, detail: str, *, fields: tuple[str, ...] = (), **extensions: Any):
        super().__init__(detail)
        self.detail = detail
        #: The input fields the error is about, when it is about some.
        self.fields = fields
        self.extensions = extensions


class NotFound(DomainError):
    """The thing named does not exist (or the caller may not know that it does)."""

    kind = "not_found"


class Conflict(DomainError):
    """The request is well formed but the current state forbids it (a state machine's
    transition, a duplicate, stock that is short)."""

    kind = "conflict"


class Invalid(DomainError):
    """The input breaks a rule the schema alone cannot say (a value out of a set, a
    required field missing for this kind of record)."""

    kind = "invalid"


class Forbidden(DomainError):
    """The caller's role or ownership does not allow this."""

    kind = "forbidden"


class Unavailable(DomainError):
    """Something this request needs is not there now (messaging unconfigured, a database
    down): try again later."""

    kind = "unavailable"


#: The HTTP status of each kind, for every API that speaks HTTP.
STATUS_OF_KIND = {
    "not_found": 404,
    "conflict": 409,
    "invalid": 422,
    "forbidden": 403,
    "unavailable": 503,
}


def status_of(error: DomainError) -> int:
    return STATUS_OF_KIND.get(error.kind, 400)
