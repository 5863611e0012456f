"""Index core.tickets for listing newest first

The services list tickets by created_at (then ticket_id), for all modules or for one; without
these indexes every page sorts the whole table. core.tickets already holds data where this
runs, so the indexes are built CONCURRENTLY, outside a transaction: writes to the table go on
meanwhile. IF NOT EXISTS makes a rerun after an interrupted build safe (netapps drops an
INVALID index such a build leaves behind before the rerun).

Revision ID: 011_index_tickets_by_created_at
Revises: 010_create_users
Create Date: 2026-11-26 00:01:00
"""

from collections.abc import Sequence

from alembic import op

from appdb.ops import in_schema

revision: str = "011_index_tickets_by_created_at"
down_revision: str | Sequence[str] | None = "010_create_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_tickets_created_at_ticket_id": ["created_at", "ticket_id"],
    "ix_tickets_module_created_at_ticket_id": ["module", "created_at", "ticket_id"],
}


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, columns in INDEXES.items():
            op.create_index(
                name,
                "tickets",
                columns,
                unique=False,
                schema=in_schema("core"),
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name in reversed(INDEXES):
            op.drop_index(
                name,
                table_name="tickets",
                schema=in_schema("core"),
                postgresql_concurrently=True,
                if_exists=True,
            )
