"""Add integration_logs.correlation_id

The X-Correlation-ID of the request behind each log entry: one flow across the apps is found by
it (indexed by 003, built concurrently in a migration of its own).

Revision ID: 002_add_log_correlation_ids
Revises: 001_initial_migration
Create Date: 2026-11-26 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "002_add_log_correlation_ids"
down_revision: str | Sequence[str] | None = "001_initial_migration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: PostgreSQL adds it without rewriting or scanning the table.
    with op.batch_alter_table("integration_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("correlation_id", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("integration_logs", schema=None) as batch_op:
        batch_op.drop_column("correlation_id")
