"""Create fi.cost_centers, fi.cost_entries and fi.approvals

Also the foreign key mm.requisitions.cost_center_id -> fi.cost_centers (RESTRICT), which 004
could not create before fi.cost_centers existed.

Revision ID: 005_create_fi_tables
Revises: 004_create_mm_tables
Create Date: 2024-01-15 00:04:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netapps.ops import fk_target, in_schema

revision: str = "005_create_fi_tables"
down_revision: str | Sequence[str] | None = "004_create_mm_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cost_centers",
        sa.Column("cost_center_id", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column(
            "budget_amount", sa.Numeric(precision=15, scale=2), server_default="0", nullable=False
        ),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("responsible_manager", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "budget_amount >= 0", name=op.f("ck_cost_centers_budget_amount_non_negative")
        ),
        sa.PrimaryKeyConstraint("cost_center_id", name=op.f("pk_cost_centers")),
        schema=in_schema("fi"),
    )
    op.create_index(
        op.f("ix_cost_centers_fiscal_year"),
        "cost_centers",
        ["fiscal_year"],
        unique=False,
        schema=in_schema("fi"),
    )
    op.create_table(
        "cost_entries",
        sa.Column("entry_id", sa.String(length=50), nullable=False),
        sa.Column("cost_center_id", sa.String(length=50), nullable=False),
        sa.Column("ticket_id", sa.String(length=50), nullable=True),
        sa.Column("amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column(
            "cost_type",
            sa.Enum(
                "CAPEX",
                "OPEX",
                name=op.f("ck_cost_entries_cost_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["cost_center_id"],
            [fk_target("fi.cost_centers.cost_center_id")],
            name=op.f("fk_cost_entries_cost_center_id_cost_centers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            [fk_target("core.tickets.ticket_id")],
            name=op.f("fk_cost_entries_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_cost_entries")),
        schema=in_schema("fi"),
    )
    op.create_index(
        op.f("ix_cost_entries_cost_center_id"),
        "cost_entries",
        ["cost_center_id"],
        unique=False,
        schema=in_schema("fi"),
    )
    op.create_index(
        op.f("ix_cost_entries_cost_type"),
        "cost_entries",
        ["cost_type"],
        unique=False,
        schema=in_schema("fi"),
    )
    op.create_index(
        op.f("ix_cost_entries_entry_date"),
        "cost_entries",
        ["entry_date"],
        unique=False,
        schema=in_schema("fi"),
    )
    op.create_index(
        op.f("ix_cost_entries_ticket_id"),
        "cost_entries",
        ["ticket_id"],
        unique=False,
        schema=in_schema("fi"),
    )
    op.create_table(
        "approvals",
        sa.Column("approval_id", sa.String(length=50), nullable=False),
        sa.Column("cost_center_id", sa.String(length=50), nullable=False),
        sa.Column("ticket_id", sa.String(length=50), nullable=True),
        sa.Column("amount", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name=op.f("ck_approvals_decision"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_approvals_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["cost_center_id"],
            [fk_target("fi.cost_centers.cost_center_id")],
            name=op.f("fk_approvals_cost_center_id_cost_centers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            [fk_target("core.tickets.ticket_id")],
            name=op.f("fk_approvals_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("approval_id", name=op.f("pk_approvals")),
        schema=in_schema("fi"),
    )
    op.create_index(
        op.f("ix_approvals_cost_center_id"),
        "approvals",
        ["cost_center_id"],
        unique=False,
        schema=in_schema("fi"),
    )
    op.create_index(
        op.f("ix_approvals_decision"),
        "approvals",
        ["decision"],
        unique=False,
        schema=in_schema("fi"),
    )
    op.create_index(
        op.f("ix_approvals_ticket_id"),
        "approvals",
        ["ticket_id"],
        unique=False,
        schema=in_schema("fi"),
    )
    with op.batch_alter_table("requisitions", schema=in_schema("mm")) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_requisitions_cost_center_id_cost_centers"),
            "cost_centers",
            ["cost_center_id"],
            ["cost_center_id"],
            referent_schema=in_schema("fi"),
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("requisitions", schema=in_schema("mm")) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_requisitions_cost_center_id_cost_centers"), type_="foreignkey"
        )
    op.drop_index(op.f("ix_approvals_ticket_id"), table_name="approvals", schema=in_schema("fi"))
    op.drop_index(op.f("ix_approvals_decision"), table_name="approvals", schema=in_schema("fi"))
    op.drop_index(
        op.f("ix_approvals_cost_center_id"), table_name="approvals", schema=in_schema("fi")
    )
    op.drop_table("approvals", schema=in_schema("fi"))
    op.drop_index(
        op.f("ix_cost_entries_ticket_id"), table_name="cost_entries", schema=in_schema("fi")
    )
    op.drop_index(
        op.f("ix_cost_entries_entry_date"), table_name="cost_entries", schema=in_schema("fi")
    )
    op.drop_index(
        op.f("ix_cost_entries_cost_type"), table_name="cost_entries", schema=in_schema("fi")
    )
    op.drop_index(
        op.f("ix_cost_entries_cost_center_id"), table_name="cost_entries", schema=in_schema("fi")
    )
    op.drop_table("cost_entries", schema=in_schema("fi"))
    op.drop_index(
        op.f("ix_cost_centers_fiscal_year"), table_name="cost_centers", schema=in_schema("fi")
    )
    op.drop_table("cost_centers", schema=in_schema("fi"))
