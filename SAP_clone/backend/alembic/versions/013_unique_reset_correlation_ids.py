"""Make password_reset_tickets.correlation_id unique

The correlation id is SAP's idempotency key for a reset ticket: the same flow delivered twice
must find the ticket it opened, never open a second. password_reset_tickets holds data where
this runs, so the unique index is built CONCURRENTLY, outside a transaction, and only then is
the plain index it replaces dropped (CONCURRENTLY too): lookups by correlation id are served
all along. IF NOT EXISTS / IF EXISTS make a rerun after an interruption safe. A database with
two tickets of one correlation id fails the build (the index is left INVALID and dropped by
netapps before a rerun): resolve the duplicates, then migrate again.

Revision ID: 013_unique_reset_correlation_ids
Revises: 012_create_messaging_tables
Create Date: 2026-11-26 12:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "013_unique_reset_correlation_ids"
down_revision: str | Sequence[str] | None = "012_create_messaging_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "password_reset_tickets"
UNIQUE = "ux_password_reset_tickets_correlation_id"
PLAIN = "ix_password_reset_tickets_correlation_id"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            UNIQUE,
            TABLE,
            ["correlation_id"],
            unique=True,
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index(PLAIN, table_name=TABLE, postgresql_concurrently=True, if_exists=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            PLAIN,
            TABLE,
            ["correlation_id"],
            unique=False,
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index(UNIQUE, table_name=TABLE, postgresql_concurrently=True, if_exists=True)
