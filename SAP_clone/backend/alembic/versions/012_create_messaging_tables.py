"""Create the outbox and inbox of the password-reset flow

outbox_messages: the messages this service must deliver to another, written in the same
transaction as the change that causes them and delivered by the relay (retries, backoff, dead
state). inbox_messages: the id of every message applied here, so a redelivery changes nothing.
New tables: nothing else is locked.

Revision ID: 012_create_messaging_tables
Revises: 011_index_tickets_by_created_at
Create Date: 2026-11-26 12:46:03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "012_create_messaging_tables"
down_revision: str | Sequence[str] | None = "011_index_tickets_by_created_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("destination", sa.String(length=50), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivered",
                "dead",
                name=op.f("ck_outbox_messages_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default=sa.text("'pending'"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_messages_message_id")),
    )
    op.create_index(
        op.f("ix_outbox_messages_correlation_id"), "outbox_messages", ["correlation_id"]
    )
    op.create_index(
        "ix_outbox_messages_status_next_attempt_at",
        "outbox_messages",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "inbox_messages",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_inbox_messages")),
    )
    op.create_index(op.f("ix_inbox_messages_correlation_id"), "inbox_messages", ["correlation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbox_messages_correlation_id"), table_name="inbox_messages")
    op.drop_table("inbox_messages")
    op.drop_index("ix_outbox_messages_status_next_attempt_at", table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_correlation_id"), table_name="outbox_messages")
    op.drop_table("outbox_messages")
