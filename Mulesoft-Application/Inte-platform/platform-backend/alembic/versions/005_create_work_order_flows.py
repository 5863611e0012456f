"""Create work_order_flows

work_order_flows: one row per CRM work order the platform carries from Salesforce into SAP:
its ids in both systems, the newest SAP status applied and the newest written back to
Salesforce (SAP numbers its status changes, so a late delivery never overwrites a newer one),
and its history. A new table: nothing else is locked.

Revision ID: 005_create_work_order_flows
Revises: 004_create_flow_tables
Create Date: 2026-12-08 03:22:43.404205
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "005_create_work_order_flows"
down_revision: str | Sequence[str] | None = "004_create_flow_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_order_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=False),
        sa.Column("salesforce_work_order_id", sa.String(length=18), nullable=False),
        sa.Column("work_order_number", sa.String(length=40), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("sap_work_order_id", sa.String(length=64), nullable=True),
        sa.Column("sap_status", sa.String(length=50), nullable=True),
        sa.Column("salesforce_status", sa.String(length=40), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("sap_sequence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("salesforce_sequence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("history", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_flows")),
        sa.UniqueConstraint("correlation_id", name=op.f("uq_work_order_flows_correlation_id")),
    )
    op.create_index(
        op.f("ix_work_order_flows_salesforce_work_order_id"),
        "work_order_flows",
        ["salesforce_work_order_id"],
    )
    op.create_index(
        op.f("ix_work_order_flows_sap_work_order_id"), "work_order_flows", ["sap_work_order_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_work_order_flows_sap_work_order_id"), table_name="work_order_flows")
    op.drop_index(
        op.f("ix_work_order_flows_salesforce_work_order_id"), table_name="work_order_flows"
    )
    op.drop_table("work_order_flows")
