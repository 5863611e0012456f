"""Create schema pm_workflow and its tables

Every child table references its maintenance order with ON DELETE CASCADE.

Revision ID: 007_create_pm_workflow_tables
Revises: 006_seed_mock_data
Create Date: 2024-01-15 00:06:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netapps.ops import create_schema, drop_schema, fk_target, in_schema

revision: str = "007_create_pm_workflow_tables"
down_revision: str | Sequence[str] | None = "006_seed_mock_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_schema("pm_workflow")
    op.create_table(
        "workflow_maintenance_orders",
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column(
            "order_type",
            sa.Enum(
                "general",
                "breakdown",
                name=op.f("ck_workflow_maintenance_orders_order_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "created",
                "planned",
                "released",
                "in_progress",
                "confirmed",
                "teco",
                name=op.f("ck_workflow_maintenance_orders_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="created",
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name=op.f("ck_workflow_maintenance_orders_priority"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="normal",
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("equipment_id", sa.String(length=50), nullable=True),
        sa.Column("functional_location", sa.String(length=100), nullable=True),
        sa.Column("planned_start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "planned_costs", sa.Numeric(precision=15, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "actual_costs", sa.Numeric(precision=15, scale=2), server_default="0", nullable=False
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "actual_costs >= 0",
            name=op.f("ck_workflow_maintenance_orders_actual_costs_non_negative"),
        ),
        sa.CheckConstraint(
            "planned_costs >= 0",
            name=op.f("ck_workflow_maintenance_orders_planned_costs_non_negative"),
        ),
        sa.PrimaryKeyConstraint("order_number", name=op.f("pk_workflow_maintenance_orders")),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_maintenance_orders_equipment_id"),
        "workflow_maintenance_orders",
        ["equipment_id"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_maintenance_orders_functional_location"),
        "workflow_maintenance_orders",
        ["functional_location"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_maintenance_orders_order_type"),
        "workflow_maintenance_orders",
        ["order_type"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_maintenance_orders_priority"),
        "workflow_maintenance_orders",
        ["priority"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_maintenance_orders_status"),
        "workflow_maintenance_orders",
        ["status"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_operations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("operation_number", sa.String(length=10), nullable=False),
        sa.Column("work_center", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "planned_hours", sa.Numeric(precision=10, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "actual_hours", sa.Numeric(precision=10, scale=2), server_default="0", nullable=False
        ),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_operations_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_operations")),
        sa.UniqueConstraint(
            "order_number",
            "operation_number",
            name=op.f("uq_workflow_operations_order_number_operation_number"),
        ),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_operations_order_number"),
        "workflow_operations",
        ["order_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_operations_work_center"),
        "workflow_operations",
        ["work_center"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_components",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("material_id", sa.String(length=50), nullable=False),
        sa.Column("quantity_required", sa.Integer(), nullable=False),
        sa.Column("quantity_issued", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unit_of_measure", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "quantity_issued >= 0", name=op.f("ck_workflow_components_quantity_issued_non_negative")
        ),
        sa.CheckConstraint(
            "quantity_required > 0", name=op.f("ck_workflow_components_quantity_required_positive")
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            [fk_target("mm.materials.material_id")],
            name=op.f("fk_workflow_components_material_id_materials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_components_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_components")),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_components_material_id"),
        "workflow_components",
        ["material_id"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_components_order_number"),
        "workflow_components",
        ["order_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_purchase_orders",
        sa.Column("po_number", sa.String(length=20), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column(
            "po_type",
            sa.Enum(
                "material",
                "service",
                "combined",
                name=op.f("ck_workflow_purchase_orders_po_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "created",
                "ordered",
                "partially_delivered",
                "delivered",
                name=op.f("ck_workflow_purchase_orders_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="created",
            nullable=False,
        ),
        sa.Column("vendor", sa.String(length=255), nullable=False),
        sa.Column(
            "total_value", sa.Numeric(precision=15, scale=2), server_default="0", nullable=False
        ),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "total_value >= 0", name=op.f("ck_workflow_purchase_orders_total_value_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_purchase_orders_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("po_number", name=op.f("pk_workflow_purchase_orders")),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_purchase_orders_order_number"),
        "workflow_purchase_orders",
        ["order_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_purchase_orders_po_type"),
        "workflow_purchase_orders",
        ["po_type"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_purchase_orders_status"),
        "workflow_purchase_orders",
        ["status"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_purchase_orders_vendor"),
        "workflow_purchase_orders",
        ["vendor"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_goods_receipts",
        sa.Column("gr_number", sa.String(length=20), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("po_number", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("received_by", sa.String(length=100), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_workflow_goods_receipts_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_goods_receipts_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["po_number"],
            [fk_target("pm_workflow.workflow_purchase_orders.po_number")],
            name=op.f("fk_workflow_goods_receipts_po_number_workflow_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gr_number", name=op.f("pk_workflow_goods_receipts")),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_goods_receipts_order_number"),
        "workflow_goods_receipts",
        ["order_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_goods_receipts_po_number"),
        "workflow_goods_receipts",
        ["po_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_goods_issues",
        sa.Column("gi_number", sa.String(length=20), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_workflow_goods_issues_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["component_id"],
            [fk_target("pm_workflow.workflow_components.id")],
            name=op.f("fk_workflow_goods_issues_component_id_workflow_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_goods_issues_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gi_number", name=op.f("pk_workflow_goods_issues")),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_goods_issues_component_id"),
        "workflow_goods_issues",
        ["component_id"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_goods_issues_order_number"),
        "workflow_goods_issues",
        ["order_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_confirmations",
        sa.Column("confirmation_number", sa.String(length=20), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column(
            "confirmation_type",
            sa.Enum(
                "internal",
                "external",
                name=op.f("ck_workflow_confirmations_confirmation_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "actual_hours", sa.Numeric(precision=10, scale=2), server_default="0", nullable=False
        ),
        sa.Column("final_confirmation", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=False),
        sa.Column(
            "confirmed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            [fk_target("pm_workflow.workflow_operations.id")],
            name=op.f("fk_workflow_confirmations_operation_id_workflow_operations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_confirmations_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("confirmation_number", name=op.f("pk_workflow_confirmations")),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_confirmations_confirmation_type"),
        "workflow_confirmations",
        ["confirmation_type"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_confirmations_operation_id"),
        "workflow_confirmations",
        ["operation_id"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_confirmations_order_number"),
        "workflow_confirmations",
        ["order_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_malfunction_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("damage_code", sa.String(length=20), nullable=True),
        sa.Column("cause_code", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("corrective_action", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=100), nullable=False),
        sa.Column(
            "reported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_malfunction_reports_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_malfunction_reports")),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_malfunction_reports_order_number"),
        "workflow_malfunction_reports",
        ["order_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_document_flow",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column(
            "document_type",
            sa.Enum(
                "order",
                "po",
                "gr",
                "gi",
                "confirmation",
                "service_entry",
                "teco",
                name=op.f("ck_workflow_document_flow_document_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("document_number", sa.String(length=20), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_document_flow_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            [fk_target("pm_workflow.workflow_document_flow.id")],
            name=op.f("fk_workflow_document_flow_predecessor_id_workflow_document_flow"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_document_flow")),
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_document_flow_document_number"),
        "workflow_document_flow",
        ["document_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_document_flow_document_type"),
        "workflow_document_flow",
        ["document_type"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_document_flow_order_number"),
        "workflow_document_flow",
        ["order_number"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_index(
        op.f("ix_workflow_document_flow_predecessor_id"),
        "workflow_document_flow",
        ["predecessor_id"],
        unique=False,
        schema=in_schema("pm_workflow"),
    )
    op.create_table(
        "workflow_cost_summaries",
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column(
            "planned_labor_cost",
            sa.Numeric(precision=15, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "planned_material_cost",
            sa.Numeric(precision=15, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "planned_external_cost",
            sa.Numeric(precision=15, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "actual_labor_cost",
            sa.Numeric(precision=15, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "actual_material_cost",
            sa.Numeric(precision=15, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "actual_external_cost",
            sa.Numeric(precision=15, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), server_default="EUR", nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            [fk_target("pm_workflow.workflow_maintenance_orders.order_number")],
            name=op.f("fk_workflow_cost_summaries_order_number_workflow_maintenance_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_number", name=op.f("pk_workflow_cost_summaries")),
        schema=in_schema("pm_workflow"),
    )


def downgrade() -> None:
    op.drop_table("workflow_cost_summaries", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_document_flow_predecessor_id"),
        table_name="workflow_document_flow",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_document_flow_order_number"),
        table_name="workflow_document_flow",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_document_flow_document_type"),
        table_name="workflow_document_flow",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_document_flow_document_number"),
        table_name="workflow_document_flow",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_document_flow", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_malfunction_reports_order_number"),
        table_name="workflow_malfunction_reports",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_malfunction_reports", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_confirmations_order_number"),
        table_name="workflow_confirmations",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_confirmations_operation_id"),
        table_name="workflow_confirmations",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_confirmations_confirmation_type"),
        table_name="workflow_confirmations",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_confirmations", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_goods_issues_order_number"),
        table_name="workflow_goods_issues",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_goods_issues_component_id"),
        table_name="workflow_goods_issues",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_goods_issues", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_goods_receipts_po_number"),
        table_name="workflow_goods_receipts",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_goods_receipts_order_number"),
        table_name="workflow_goods_receipts",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_goods_receipts", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_purchase_orders_vendor"),
        table_name="workflow_purchase_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_purchase_orders_status"),
        table_name="workflow_purchase_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_purchase_orders_po_type"),
        table_name="workflow_purchase_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_purchase_orders_order_number"),
        table_name="workflow_purchase_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_purchase_orders", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_components_order_number"),
        table_name="workflow_components",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_components_material_id"),
        table_name="workflow_components",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_components", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_operations_work_center"),
        table_name="workflow_operations",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_operations_order_number"),
        table_name="workflow_operations",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_operations", schema=in_schema("pm_workflow"))
    op.drop_index(
        op.f("ix_workflow_maintenance_orders_status"),
        table_name="workflow_maintenance_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_maintenance_orders_priority"),
        table_name="workflow_maintenance_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_maintenance_orders_order_type"),
        table_name="workflow_maintenance_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_maintenance_orders_functional_location"),
        table_name="workflow_maintenance_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_index(
        op.f("ix_workflow_maintenance_orders_equipment_id"),
        table_name="workflow_maintenance_orders",
        schema=in_schema("pm_workflow"),
    )
    op.drop_table("workflow_maintenance_orders", schema=in_schema("pm_workflow"))
    drop_schema("pm_workflow")
