"""Create core.tickets and core.audit_entries

Revision ID: 002_create_tickets_table
Revises: 001_create_schemas
Create Date: 2024-01-15 00:01:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netapps.ops import fk_target, in_schema

revision: str = "002_create_tickets_table"
down_revision: str | Sequence[str] | None = "001_create_schemas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.String(length=50), nullable=False),
        sa.Column(
            "ticket_type",
            sa.Enum(
                "Incident",
                "Maintenance",
                "Procurement",
                "Finance_Approval",
                name=op.f("ck_tickets_ticket_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "module",
            sa.Enum(
                "PM",
                "MM",
                "FI",
                name=op.f("ck_tickets_module"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "P1",
                "P2",
                "P3",
                "P4",
                name=op.f("ck_tickets_priority"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="P3",
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "Open",
                "Assigned",
                "In_Progress",
                "Closed",
                name=op.f("ck_tickets_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="Open",
            nullable=False,
        ),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sla_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_to", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_tickets")),
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_tickets_assigned_to"),
        "tickets",
        ["assigned_to"],
        unique=False,
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_tickets_correlation_id"),
        "tickets",
        ["correlation_id"],
        unique=False,
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_tickets_module"), "tickets", ["module"], unique=False, schema=in_schema("core")
    )
    op.create_index(
        op.f("ix_tickets_priority"), "tickets", ["priority"], unique=False, schema=in_schema("core")
    )
    op.create_index(
        op.f("ix_tickets_sla_deadline"),
        "tickets",
        ["sla_deadline"],
        unique=False,
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_tickets_status"), "tickets", ["status"], unique=False, schema=in_schema("core")
    )
    op.create_index(
        op.f("ix_tickets_ticket_type"),
        "tickets",
        ["ticket_type"],
        unique=False,
        schema=in_schema("core"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=50), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("performed_by", sa.String(length=100), nullable=False),
        sa.Column(
            "performed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            [fk_target("core.tickets.ticket_id")],
            name=op.f("fk_audit_entries_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_audit_entries_performed_at"),
        "audit_entries",
        ["performed_at"],
        unique=False,
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_audit_entries_ticket_id"),
        "audit_entries",
        ["ticket_id"],
        unique=False,
        schema=in_schema("core"),
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_audit_entries_ticket_id"), table_name="audit_entries", schema=in_schema("core")
    )
    op.drop_index(
        op.f("ix_audit_entries_performed_at"), table_name="audit_entries", schema=in_schema("core")
    )
    op.drop_table("audit_entries", schema=in_schema("core"))
    op.drop_index(op.f("ix_tickets_ticket_type"), table_name="tickets", schema=in_schema("core"))
    op.drop_index(op.f("ix_tickets_status"), table_name="tickets", schema=in_schema("core"))
    op.drop_index(op.f("ix_tickets_sla_deadline"), table_name="tickets", schema=in_schema("core"))
    op.drop_index(op.f("ix_tickets_priority"), table_name="tickets", schema=in_schema("core"))
    op.drop_index(op.f("ix_tickets_module"), table_name="tickets", schema=in_schema("core"))
    op.drop_index(op.f("ix_tickets_correlation_id"), table_name="tickets", schema=in_schema("core"))
    op.drop_index(op.f("ix_tickets_assigned_to"), table_name="tickets", schema=in_schema("core"))
    op.drop_table("tickets", schema=in_schema("core"))
