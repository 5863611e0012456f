"""Create core.users and core.user_roles

Logins of SAP_clone: an argon2 hash of the password (never the password), a status, the
must-change-password flag and the last login; one row per role in core.user_roles.

Revision ID: 010_create_users
Revises: 009_add_password_reset_tickets
Create Date: 2026-11-26 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netapps.ops import fk_target, in_schema

revision: str = "010_create_users"
down_revision: str | Sequence[str] | None = "009_add_password_reset_tickets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "pending_approval",
                "disabled",
                name=op.f("ck_users_status"),
                native_enum=False,
                create_constraint=True,
            ),
            server_default=sa.text("'active'"),
            nullable=False,
        ),
        sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        schema=in_schema("core"),
    )
    op.create_index(
        op.f("ix_users_status"), "users", ["status"], unique=False, schema=in_schema("core")
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "Admin",
                "Maintenance_Engineer",
                "Store_Manager",
                "Finance_Officer",
                name=op.f("ck_user_roles_role"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            [fk_target("core.users.id")],
            name=op.f("fk_user_roles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
        schema=in_schema("core"),
    )


def downgrade() -> None:
    op.drop_table("user_roles", schema=in_schema("core"))
    op.drop_index(op.f("ix_users_status"), table_name="users", schema=in_schema("core"))
    op.drop_table("users", schema=in_schema("core"))
