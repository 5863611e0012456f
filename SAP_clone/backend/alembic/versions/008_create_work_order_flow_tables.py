"""Create pm.crm_work_orders, pm.work_order_materials and pm.work_order_flow_history

The revision id is this file's name cut to 32 characters (Alembic's version_num is
VARCHAR(32)), as netapps.revision_ids numbers new revisions.

Revision ID: 008_create_work_order_flow_tables
Revises: 007_create_pm_workflow_tables
Create Date: 2024-01-15 00:07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netapps.ops import fk_target, in_schema

revision: str = "008_create_work_order_flow_tables"
down_revision: str | Sequence[str] | None = "007_create_pm_workflow_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_work_orders",
        sa.Column("work_order_id", sa.String(length=50), nullable=False),
        sa.Column("crm_reference_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("customer_name", sa.String(length=255), nullable=True),
        sa.Column("site_location", sa.String(length=255), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "medium",
                "high",
                "urgent",
                name=op.f("ck_crm_work_orders_priority"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="medium",
            nullable=False,
        ),
        sa.Column(
            "flow_status",
            sa.Enum(
                "received",
                "pending_material_check",
                "materials_available",
                "materials_shortage",
                "purchase_requested",
                "purchase_approved",
                "purchase_rejected",
                "ready_to_proceed",
                "in_progress",
                "completed",
                name=op.f("ck_crm_work_orders_flow_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="received",
            nullable=False,
        ),
        sa.Column("asset_id", sa.String(length=50), nullable=True),
        sa.Column("ticket_id", sa.String(length=50), nullable=True),
        sa.Column("requisition_id", sa.String(length=50), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=True),
        sa.Column("assigned_to", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            [fk_target("pm.assets.asset_id")],
            name=op.f("fk_crm_work_orders_asset_id_assets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requisition_id"],
            [fk_target("mm.requisitions.requisition_id")],
            name=op.f("fk_crm_work_orders_requisition_id_requisitions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            [fk_target("core.tickets.ticket_id")],
            name=op.f("fk_crm_work_orders_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("work_order_id", name=op.f("pk_crm_work_orders")),
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_crm_work_orders_asset_id"),
        "crm_work_orders",
        ["asset_id"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_crm_work_orders_assigned_to"),
        "crm_work_orders",
        ["assigned_to"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_crm_work_orders_crm_reference_id"),
        "crm_work_orders",
        ["crm_reference_id"],
        unique=True,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_crm_work_orders_flow_status"),
        "crm_work_orders",
        ["flow_status"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_crm_work_orders_priority"),
        "crm_work_orders",
        ["priority"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_crm_work_orders_requisition_id"),
        "crm_work_orders",
        ["requisition_id"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_crm_work_orders_ticket_id"),
        "crm_work_orders",
        ["ticket_id"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_table(
        "work_order_materials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.String(length=50), nullable=False),
        sa.Column("material_id", sa.String(length=50), nullable=False),
        sa.Column("quantity_required", sa.Integer(), nullable=False),
        sa.Column("quantity_available", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unit_of_measure", sa.String(length=20), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "quantity_available >= 0",
            name=op.f("ck_work_order_materials_quantity_available_non_negative"),
        ),
        sa.CheckConstraint(
            "quantity_required > 0", name=op.f("ck_work_order_materials_quantity_required_positive")
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            [fk_target("mm.materials.material_id")],
            name=op.f("fk_work_order_materials_material_id_materials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            [fk_target("pm.crm_work_orders.work_order_id")],
            name=op.f("fk_work_order_materials_work_order_id_crm_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_materials")),
        sa.UniqueConstraint(
            "work_order_id",
            "material_id",
            name=op.f("uq_work_order_materials_work_order_id_material_id"),
        ),
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_work_order_materials_material_id"),
        "work_order_materials",
        ["material_id"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_work_order_materials_work_order_id"),
        "work_order_materials",
        ["work_order_id"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_table(
        "work_order_flow_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.String(length=50), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "received",
                "pending_material_check",
                "materials_available",
                "materials_shortage",
                "purchase_requested",
                "purchase_approved",
                "purchase_rejected",
                "ready_to_proceed",
                "in_progress",
                "completed",
                name=op.f("ck_work_order_flow_history_from_status"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "received",
                "pending_material_check",
                "materials_available",
                "materials_shortage",
                "purchase_requested",
                "purchase_approved",
                "purchase_rejected",
                "ready_to_proceed",
                "in_progress",
                "completed",
                name=op.f("ck_work_order_flow_history_to_status"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            [fk_target("pm.crm_work_orders.work_order_id")],
            name=op.f("fk_work_order_flow_history_work_order_id_crm_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_flow_history")),
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_work_order_flow_history_changed_at"),
        "work_order_flow_history",
        ["changed_at"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_work_order_flow_history_work_order_id"),
        "work_order_flow_history",
        ["work_order_id"],
        unique=False,
        schema=in_schema("pm"),
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_work_order_flow_history_work_order_id"),
        table_name="work_order_flow_history",
        schema=in_schema("pm"),
    )
    op.drop_index(
        op.f("ix_work_order_flow_history_changed_at"),
        table_name="work_order_flow_history",
        schema=in_schema("pm"),
    )
    op.drop_table("work_order_flow_history", schema=in_schema("pm"))
    op.drop_index(
        op.f("ix_work_order_materials_work_order_id"),
        table_name="work_order_materials",
        schema=in_schema("pm"),
    )
    op.drop_index(
        op.f("ix_work_order_materials_material_id"),
        table_name="work_order_materials",
        schema=in_schema("pm"),
    )
    op.drop_table("work_order_materials", schema=in_schema("pm"))
    op.drop_index(
        op.f("ix_crm_work_orders_ticket_id"), table_name="crm_work_orders", schema=in_schema("pm")
    )
    op.drop_index(
        op.f("ix_crm_work_orders_requisition_id"),
        table_name="crm_work_orders",
        schema=in_schema("pm"),
    )
    op.drop_index(
        op.f("ix_crm_work_orders_priority"), table_name="crm_work_orders", schema=in_schema("pm")
    )
    op.drop_index(
        op.f("ix_crm_work_orders_flow_status"), table_name="crm_work_orders", schema=in_schema("pm")
    )
    op.drop_index(
        op.f("ix_crm_work_orders_crm_reference_id"),
        table_name="crm_work_orders",
        schema=in_schema("pm"),
    )
    op.drop_index(
        op.f("ix_crm_work_orders_assigned_to"), table_name="crm_work_orders", schema=in_schema("pm")
    )
    op.drop_index(
        op.f("ix_crm_work_orders_asset_id"), table_name="crm_work_orders", schema=in_schema("pm")
    )
    op.drop_table("crm_work_orders", schema=in_schema("pm"))
