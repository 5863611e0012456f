"""Index core.tickets for listing newest first

The services list tickets by created_at (then ticket_id), for all modules or for one; without
these indexes every page sorts the whole table.

Revision ID: 011_index_tickets_by_created_at
Revises: 010_create_users
Create Date: 2026-11-26 00:01:00
"""

from collections.abc import Sequence

from alembic import op

from netapps.ops import in_schema

revision: str = "011_index_tickets_by_created_at"
down_revision: str | Sequence[str] | None = "010_create_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_tickets_created_at_ticket_id"),
        "tickets",
        ["created_at", "ticket_id"],
        unique=False,
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_tickets_module_created_at_ticket_id"),
        "tickets",
        ["module", "created_at", "ticket_id"],
        unique=False,
        schema=in_schema("core"),
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_tickets_module_created_at_ticket_id"),
        table_name="tickets",
        schema=in_schema("core"),
    )
    op.drop_index(
        op.f("ix_tickets_created_at_ticket_id"), table_name="tickets", schema=in_schema("core")
    )
