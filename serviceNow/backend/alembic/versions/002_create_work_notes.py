"""Create work_notes

Agents' and services' notes on a ticket (deleted with it).

Revision ID: 002_create_work_notes
Revises: 001_initial_migration
Create Date: 2026-11-26 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "002_create_work_notes"
down_revision: str | Sequence[str] | None = "001_initial_migration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_work_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_work_notes_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_notes")),
    )
    with op.batch_alter_table("work_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_notes_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_notes_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_notes_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_work_notes_author_id"))

    op.drop_table("work_notes")
