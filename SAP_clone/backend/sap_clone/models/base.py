"""Declarative base and the column helpers every SAP_clone model shares.

Tables live in the PostgreSQL schemas ``core``, ``pm``, ``mm``, ``fi`` and ``pm_workflow``
(``password_reset_tickets`` in the default schema). On SQLite, netapps maps those schema
names away (``schema_translate_map``): every table lives in the one database file under its
own name, which works because table names are unique across SAP's schemas.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from appdb.types import created_at, new_metadata, updated_at

#: Length of the text primary keys (TKT-PM-20240115-0001, AST-SUB-001, ...).
KEY_LENGTH = 50
#: Length of user names / "performed by" columns.
USER_LENGTH = 100


class Base(DeclarativeBase):
    metadata = new_metadata()


#: The shared timestamp columns, under the names SAP's models use.
created_at_column = created_at
updated_at_column = updated_at


def key_column() -> Mapped[str]:
    """A text primary key."""
    return mapped_column(String(KEY_LENGTH), primary_key=True)
