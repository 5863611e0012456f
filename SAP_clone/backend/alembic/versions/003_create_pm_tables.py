"""Create pm.assets, pm.maintenance_orders and pm.incidents

Revision ID: 003_create_pm_tables
Revises: 002_create_tickets_table
Create Date: 2024-01-15 00:02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netapps.ops import fk_target, in_schema

revision: str = "003_create_pm_tables"
down_revision: str | Sequence[str] | None = "002_create_tickets_table"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("asset_id", sa.String(length=50), nullable=False),
        sa.Column(
            "asset_type",
            sa.Enum(
                "substation",
                "transformer",
                "feeder",
                name=op.f("ck_assets_asset_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("location", sa.String(length=255), nullable=False),
        sa.Column("installation_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "operational",
                "under_maintenance",
                "out_of_service",
                "decommissioned",
                name=op.f("ck_assets_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="operational",
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_assets")),
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_assets_asset_type"), "assets", ["asset_type"], unique=False, schema=in_schema("pm")
    )
    op.create_index(
        op.f("ix_assets_status"), "assets", ["status"], unique=False, schema=in_schema("pm")
    )
    op.create_table(
        "maintenance_orders",
        sa.Column("order_id", sa.String(length=50), nullable=False),
        sa.Column("asset_id", sa.String(length=50), nullable=False),
        sa.Column("ticket_id", sa.String(length=50), nullable=True),
        sa.Column(
            "order_type",
            sa.Enum(
                "preventive",
                "corrective",
                "emergency",
                name=op.f("ck_maintenance_orders_order_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "completed",
                "cancelled",
                name=op.f("ck_maintenance_orders_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default="planned",
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=True),
        sa.Column("completed_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            [fk_target("pm.assets.asset_id")],
            name=op.f("fk_maintenance_orders_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            [fk_target("core.tickets.ticket_id")],
            name=op.f("fk_maintenance_orders_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_maintenance_orders")),
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_maintenance_orders_asset_id"),
        "maintenance_orders",
        ["asset_id"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_maintenance_orders_order_type"),
        "maintenance_orders",
        ["order_type"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_maintenance_orders_scheduled_date"),
        "maintenance_orders",
        ["scheduled_date"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_maintenance_orders_status"),
        "maintenance_orders",
        ["status"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_maintenance_orders_ticket_id"),
        "maintenance_orders",
        ["ticket_id"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.String(length=50), nullable=False),
        sa.Column("asset_id", sa.String(length=50), nullable=False),
        sa.Column("ticket_id", sa.String(length=50), nullable=True),
        sa.Column(
            "fault_type",
            sa.Enum(
                "fault",
                "outage",
                "degradation",
                name=op.f("ck_incidents_fault_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=100), nullable=False),
        sa.Column(
            "reported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            [fk_target("pm.assets.asset_id")],
            name=op.f("fk_incidents_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            [fk_target("core.tickets.ticket_id")],
            name=op.f("fk_incidents_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incidents")),
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_incidents_asset_id"),
        "incidents",
        ["asset_id"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_incidents_fault_type"),
        "incidents",
        ["fault_type"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_incidents_reported_at"),
        "incidents",
        ["reported_at"],
        unique=False,
        schema=in_schema("pm"),
    )
    op.create_index(
        op.f("ix_incidents_ticket_id"),
        "incidents",
        ["ticket_id"],
        unique=False,
        schema=in_schema("pm"),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incidents_ticket_id"), table_name="incidents", schema=in_schema("pm"))
    op.drop_index(op.f("ix_incidents_reported_at"), table_name="incidents", schema=in_schema("pm"))
    op.drop_index(op.f("ix_incidents_fault_type"), table_name="incidents", schema=in_schema("pm"))
    op.drop_index(op.f("ix_incidents_asset_id"), table_name="incidents", schema=in_schema("pm"))
    op.drop_table("incidents", schema=in_schema("pm"))
    op.drop_index(
        op.f("ix_maintenance_orders_ticket_id"),
        table_name="maintenance_orders",
        schema=in_schema("pm"),
    )
    op.drop_index(
        op.f("ix_maintenance_orders_status"),
        table_name="maintenance_orders",
        schema=in_schema("pm"),
    )
    op.drop_index(
        op.f("ix_maintenance_orders_scheduled_date"),
        table_name="maintenance_orders",
        schema=in_schema("pm"),
    )
    op.drop_index(
        op.f("ix_maintenance_orders_order_type"),
        table_name="maintenance_orders",
        schema=in_schema("pm"),
    )
    op.drop_index(
        op.f("ix_maintenance_orders_asset_id"),
        table_name="maintenance_orders",
        schema=in_schema("pm"),
    )
    op.drop_table("maintenance_orders", schema=in_schema("pm"))
    op.drop_index(op.f("ix_assets_status"), table_name="assets", schema=in_schema("pm"))
    op.drop_index(op.f("ix_assets_asset_type"), table_name="assets", schema=in_schema("pm"))
    op.drop_table("assets", schema=in_schema("pm"))
