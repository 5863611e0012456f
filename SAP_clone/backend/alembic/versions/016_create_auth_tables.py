"""Create core.refresh_tokens and core.login_failures

refresh_tokens: every refresh token handed out (its id, family, user, expiry, when it was
used or revoked), so that a refresh rotates it, a token used twice revokes its family, and
disabling a user or changing a password revokes theirs. login_failures: failed sign-ins per
address and per name, so that every replica of the service counts the same. New tables:
nothing else is locked.

Revision ID: 016_create_auth_tables
Revises: 015_work_order_correlation_ids
Create Date: 2026-12-08 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netapps.ops import in_schema

revision: str = "016_create_auth_tables"
down_revision: str | Sequence[str] | None = "015_work_order_correlation_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_refresh_tokens_family_id"),
        "refresh_tokens",
        ["family_id"],
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], schema=in_schema("core")
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("limit_key", sa.String(length=300), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        schema=in_schema("core"),
    )
    op.create_index(
        "ix_login_failures_limit_key_failed_at",
        "login_failures",
        ["limit_key", "failed_at"],
        schema=in_schema("core"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_login_failures_limit_key_failed_at",
        table_name="login_failures",
        schema=in_schema("core"),
    )
    op.drop_table("login_failures", schema=in_schema("core"))
    op.drop_index(
        op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens", schema=in_schema("core")
    )
    op.drop_index(
        op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens", schema=in_schema("core")
    )
    op.drop_table("refresh_tokens", schema=in_schema("core"))
