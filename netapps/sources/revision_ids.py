"""Numbered revision ids (``010_add_invoice_table``) for every new Alembic revision.

The guide's revisions are named ``001_create_schemas`` … and users type those names, so new
ones follow suit whoever creates them (``netapps revision`` or ``alembic revision``). An id
given explicitly with ``--rev-id`` is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# netapps creates Alembic's version table with VARCHAR(64) (Alembic's default is 32).
MAX_ID_LENGTH = 64
_GENERATED = re.compile(r"^[0-9a-f]{12}$")
_NUMBERED = re.compile(r"^(\d+)_")


def slugify(message: str | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", (message or "revision").lower()).strip("_")
    return slug or "revision"


def next_revision_id(existing: Iterable[str], message: str | None) -> str:
    numbers = [int(m.group(1)) for rev in existing if (m := _NUMBERED.match(rev))]
    prefix = f"{max(numbers, default=0) + 1:03d}_"
    return (prefix + slugify(message))[:MAX_ID_LENGTH].rstrip("_")


def is_generated(rev_id: str | None) -> bool:
    """True for the random ids Alembic makes up when no --rev-id is given."""
    return rev_id is None or bool(_GENERATED.match(rev_id))
