"""Index integration_logs by correlation_id

Logs are looked up by correlation id (one flow across the apps). integration_logs holds data
where this runs and is written all the time, so the index is built CONCURRENTLY, outside a
transaction, in a migration of its own: IF NOT EXISTS makes a rerun after an interrupted build
safe (netapps drops an INVALID index such a build leaves behind before the rerun).

Revision ID: 003_index_log_correlation_ids
Revises: 002_add_log_correlation_ids
Create Date: 2026-11-26 00:02:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "003_index_log_correlation_ids"
down_revision: str | Sequence[str] | None = "002_add_log_correlation_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_integration_logs_correlation_id",
            "integration_logs",
            ["correlation_id"],
            unique=False,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_integration_logs_correlation_id",
            table_name="integration_logs",
            postgresql_concurrently=True,
            if_exists=True,
        )
