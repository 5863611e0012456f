"""Create refresh_tokens and login_failures; idempotency_keys.request_digest

refresh_tokens: every refresh token handed out (its id, family, user, expiry, when it was
used or revoked), so that a refresh rotates it, a token used twice revokes its family, and
disabling a user or changing a password revokes theirs. login_failures: failed sign-ins per
address and per name, so that every replica of the service counts the same. New tables:
nothing else is locked.

idempotency_keys.request_digest: the SHA-256 of the request an Idempotency-Key was first
used with, so that the same key sent with another request is refused (422); nullable, the keys
recorded before it have none and are not compared.

Revision ID: 005_create_auth_tables
Revises: 004_index_ticket_correlation_ids
Create Date: 2026-12-08 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "005_create_auth_tables"
down_revision: str | Sequence[str] | None = "004_index_ticket_correlation_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _lock_timeout() -> None:
    """Adding a nullable column is instant, but its lock waits behind any long query on the
    table, and every later query would queue behind it: give up after 5 s instead (retry)."""
    if op.get_context().dialect.name == "postgresql":
        op.execute("SET LOCAL lock_timeout = '5s'")


def upgrade() -> None:
    op.create_table(
        "refresh_tokens",
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("family_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"])
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("limit_key", sa.String(length=300), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_limit_key_failed_at",
        "login_failures",
        ["limit_key", "failed_at"],
    )
    _lock_timeout()
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    _lock_timeout()
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("request_digest")
    op.drop_index("ix_login_failures_limit_key_failed_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
