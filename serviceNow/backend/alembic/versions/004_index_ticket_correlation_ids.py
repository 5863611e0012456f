"""Index tickets by correlation_id, unique

A ticket is found by the correlation id of the flow it started (the flow's messages carry
nothing else), and one flow has one ticket. tickets holds data where this runs, so the index
is built CONCURRENTLY, outside a transaction, in a migration of its own: IF NOT EXISTS makes a
rerun after an interrupted build safe (netapps drops an INVALID index such a build leaves).

Revision ID: 004_index_ticket_correlation_ids
Revises: 003_add_password_reset_flow
Create Date: 2026-11-26 12:51:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "004_index_ticket_correlation_ids"
down_revision: str | Sequence[str] | None = "003_add_password_reset_flow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_tickets_correlation_id",
            "tickets",
            ["correlation_id"],
            unique=True,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_tickets_correlation_id",
            table_name="tickets",
            postgresql_concurrently=True,
            if_exists=True,
        )
