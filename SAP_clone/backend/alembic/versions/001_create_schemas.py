"""Create the PostgreSQL schemas core, pm, mm and fi (nothing to do on SQLite)

Revision ID: 001_create_schemas
Revises:
Create Date: 2024-01-15 00:00:00
"""

from collections.abc import Sequence

from netapps.ops import create_schema, drop_schema

revision: str = "001_create_schemas"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMAS = ("core", "pm", "mm", "fi")


def upgrade() -> None:
    for name in SCHEMAS:
        create_schema(name)


def downgrade() -> None:
    for name in reversed(SCHEMAS):
        drop_schema(name)
