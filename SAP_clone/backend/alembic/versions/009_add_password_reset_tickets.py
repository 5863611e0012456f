"""Add password_reset_tickets (default schema)

temp_password holds a salted hash of the temporary password, never the password itself.

Revision ID: 009_add_password_reset_tickets
Revises: 008_create_work_order_flow_tables
Create Date: 2024-01-15 00:08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "009_add_password_reset_tickets"
down_revision: str | Sequence[str] | None = "008_create_work_order_flow_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "password_reset_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sap_ticket_id", sa.String(length=50), nullable=False),
        sa.Column("servicenow_ticket_id", sa.String(length=50), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("user_email", sa.String(length=255), nullable=True),
        sa.Column("requester_name", sa.String(length=255), nullable=True),
        sa.Column("requester_email", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "completed",
                "failed",
                "cancelled",
                name=op.f("ck_password_reset_tickets_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column("assigned_to", sa.String(length=100), nullable=True),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.Column("callback_url", sa.Text(), nullable=True),
        sa.Column("temp_password", sa.String(length=255), nullable=True),
        sa.Column("comments", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tickets")),
    )
    op.create_index(
        op.f("ix_password_reset_tickets_correlation_id"),
        "password_reset_tickets",
        ["correlation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_password_reset_tickets_sap_ticket_id"),
        "password_reset_tickets",
        ["sap_ticket_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_password_reset_tickets_servicenow_ticket_id"),
        "password_reset_tickets",
        ["servicenow_ticket_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_password_reset_tickets_status"), "password_reset_tickets", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_password_reset_tickets_username"),
        "password_reset_tickets",
        ["username"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_password_reset_tickets_username"), table_name="password_reset_tickets")
    op.drop_index(op.f("ix_password_reset_tickets_status"), table_name="password_reset_tickets")
    op.drop_index(
        op.f("ix_password_reset_tickets_servicenow_ticket_id"), table_name="password_reset_tickets"
    )
    op.drop_index(
        op.f("ix_password_reset_tickets_sap_ticket_id"), table_name="password_reset_tickets"
    )
    op.drop_index(
        op.f("ix_password_reset_tickets_correlation_id"), table_name="password_reset_tickets"
    )
    op.drop_table("password_reset_tickets")
