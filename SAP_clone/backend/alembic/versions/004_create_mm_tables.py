"""Create mm.materials, mm.stock_transactions and mm.requisitions

mm.requisitions.cost_center_id gets its foreign key in 005, which creates fi.cost_centers.

Revision ID: 004_create_mm_tables
Revises: 003_create_pm_tables
Create Date: 2024-01-15 00:03:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netapps.ops import fk_target, in_schema

revision: str = "004_create_mm_tables"
down_revision: str | Sequence[str] | None = "003_create_pm_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "materials",
        sa.Column("material_id", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unit_of_measure", sa.String(length=20), nullable=False),
        sa.Column("reorder_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("storage_location", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_materials_quantity_non_negative")),
        sa.CheckConstraint(
            "reorder_level >= 0", name=op.f("ck_materials_reorder_level_non_negative")
        ),
        sa.PrimaryKeyConstraint("material_id", name=op.f("pk_materials")),
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_materials_storage_location"),
        "materials",
        ["storage_location"],
        unique=False,
        schema=in_schema("mm"),
    )
    op.create_table(
        "stock_transactions",
        sa.Column("transaction_id", sa.String(length=50), nullable=False),
        sa.Column("material_id", sa.String(length=50), nullable=False),
        sa.Column("quantity_change", sa.Integer(), nullable=False),
        sa.Column(
            "transaction_type",
            sa.Enum(
                "receipt",
                "issue",
                "adjustment",
                name=op.f("ck_stock_transactions_transaction_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "transaction_date",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("performed_by", sa.String(length=100), nullable=False),
        sa.Column("reference_doc", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["material_id"],
            [fk_target("mm.materials.material_id")],
            name=op.f("fk_stock_transactions_material_id_materials"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_stock_transactions")),
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_stock_transactions_material_id"),
        "stock_transactions",
        ["material_id"],
        unique=False,
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_stock_transactions_reference_doc"),
        "stock_transactions",
        ["reference_doc"],
        unique=False,
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_stock_transactions_transaction_date"),
        "stock_transactions",
        ["transaction_date"],
        unique=False,
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_stock_transactions_transaction_type"),
        "stock_transactions",
        ["transaction_type"],
        unique=False,
        schema=in_schema("mm"),
    )
    op.create_table(
        "requisitions",
        sa.Column("requisition_id", sa.String(length=50), nullable=False),
        sa.Column("material_id", sa.String(length=50), nullable=False),
        sa.Column("cost_center_id", sa.String(length=50), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "ordered",
                "received",
                name=op.f("ck_requisitions_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("ticket_id", sa.String(length=50), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_requisitions_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["material_id"],
            [fk_target("mm.materials.material_id")],
            name=op.f("fk_requisitions_material_id_materials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            [fk_target("core.tickets.ticket_id")],
            name=op.f("fk_requisitions_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("requisition_id", name=op.f("pk_requisitions")),
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_requisitions_cost_center_id"),
        "requisitions",
        ["cost_center_id"],
        unique=False,
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_requisitions_material_id"),
        "requisitions",
        ["material_id"],
        unique=False,
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_requisitions_status"),
        "requisitions",
        ["status"],
        unique=False,
        schema=in_schema("mm"),
    )
    op.create_index(
        op.f("ix_requisitions_ticket_id"),
        "requisitions",
        ["ticket_id"],
        unique=False,
        schema=in_schema("mm"),
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_requisitions_ticket_id"), table_name="requisitions", schema=in_schema("mm")
    )
    op.drop_index(op.f("ix_requisitions_status"), table_name="requisitions", schema=in_schema("mm"))
    op.drop_index(
        op.f("ix_requisitions_material_id"), table_name="requisitions", schema=in_schema("mm")
    )
    op.drop_index(
        op.f("ix_requisitions_cost_center_id"), table_name="requisitions", schema=in_schema("mm")
    )
    op.drop_table("requisitions", schema=in_schema("mm"))
    op.drop_index(
        op.f("ix_stock_transactions_transaction_type"),
        table_name="stock_transactions",
        schema=in_schema("mm"),
    )
    op.drop_index(
        op.f("ix_stock_transactions_transaction_date"),
        table_name="stock_transactions",
        schema=in_schema("mm"),
    )
    op.drop_index(
        op.f("ix_stock_transactions_reference_doc"),
        table_name="stock_transactions",
        schema=in_schema("mm"),
    )
    op.drop_index(
        op.f("ix_stock_transactions_material_id"),
        table_name="stock_transactions",
        schema=in_schema("mm"),
    )
    op.drop_table("stock_transactions", schema=in_schema("mm"))
    op.drop_index(
        op.f("ix_materials_storage_location"), table_name="materials", schema=in_schema("mm")
    )
    op.drop_table("materials", schema=in_schema("mm"))
