"""Add crm_work_orders.correlation_id, unique

The CRM work-order flow's correlation id: one per CRM work order, carried by every message
of its life; SAP's status messages are sent under it. Nullable: an order an administrator
opens by hand belongs to no flow. Adding a nullable column without a default changes only
the catalog. The unique index is built CONCURRENTLY, outside a transaction (the table may
hold data where this runs), with IF NOT EXISTS so that a rerun after an interruption is safe.

Revision ID: 015_work_order_correlation_ids
Revises: 014_allow_cancelled_work_orders
Create Date: 2026-12-08 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "015_work_order_correlation_ids"
down_revision: str | Sequence[str] | None = "014_allow_cancelled_work_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "pm"
TABLE = "crm_work_orders"
UNIQUE = "ux_crm_work_orders_correlation_id"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("correlation_id", sa.String(length=100)), schema=SCHEMA)
    with op.get_context().autocommit_block():
        op.create_index(
            UNIQUE,
            TABLE,
            ["correlation_id"],
            unique=True,
            schema=SCHEMA,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            UNIQUE, table_name=TABLE, schema=SCHEMA, postgresql_concurrently=True, if_exists=True
        )
    # A plain DROP COLUMN (SQLite 3.35+ has it): no table rebuild, which on SQLite would
    # rewrite the table's foreign keys with their PostgreSQL schema names.
    op.drop_column(TABLE, "correlation_id", schema=SCHEMA)
