"""initial migration

Revision ID: 001_initial_migration
Revises:
Create Date: 2026-11-25 11:05:21.626252
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "001_initial_migration"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column("ip_whitelist", sa.JSON(), nullable=True),
        sa.Column("requires_auth", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("rate_limit > 0", name=op.f("ck_api_endpoints_rate_limit_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_endpoints")),
        sa.UniqueConstraint("path", "method", name=op.f("uq_api_endpoints_path_method")),
    )
    op.create_table(
        "connectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connector_name", sa.String(length=255), nullable=False),
        sa.Column("connector_type", sa.String(length=10), nullable=False),
        sa.Column("connection_config", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("credentials_ref", sa.String(length=255), nullable=True),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'active'"), nullable=False
        ),
        sa.Column("health_check_url", sa.String(length=500), nullable=True),
        sa.Column("last_health_check", sa.DateTime(timezone=True), nullable=True),
        sa.Column("health_status", sa.String(length=50), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "connector_type IN ('sap', 'salesforce', 'servicenow', 'http', 'database')",
            name=op.f("ck_connectors_connector_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
        sa.UniqueConstraint("connector_name", name=op.f("uq_connectors_connector_name")),
    )
    op.create_index(
        op.f("ix_connectors_connector_type"), "connectors", ["connector_type"], unique=False
    )
    op.create_index(op.f("ix_connectors_status"), "connectors", ["status"], unique=False)
    op.create_table(
        "password_reset_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("servicenow_ticket_id", sa.String(length=64), nullable=True),
        sa.Column("sap_ticket_id", sa.String(length=64), nullable=True),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("user_email", sa.String(length=255), nullable=True),
        sa.Column("requester_name", sa.String(length=255), nullable=True),
        sa.Column("requester_email", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("sap_status", sa.String(length=50), nullable=True),
        sa.Column("servicenow_updated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("history", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tickets")),
        sa.UniqueConstraint(
            "correlation_id", name=op.f("uq_password_reset_tickets_correlation_id")
        ),
    )
    op.create_index(
        op.f("ix_password_reset_tickets_sap_ticket_id"),
        "password_reset_tickets",
        ["sap_ticket_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_password_reset_tickets_servicenow_ticket_id"),
        "password_reset_tickets",
        ["servicenow_ticket_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_password_reset_tickets_status"), "password_reset_tickets", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_password_reset_tickets_username"),
        "password_reset_tickets",
        ["username"],
        unique=False,
    )
    op.create_table(
        "salesforce_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("salesforce_id", sa.String(length=18), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.String(length=40), nullable=True),
        sa.Column("origin", sa.String(length=40), nullable=True),
        sa.Column("account_id", sa.String(length=18), nullable=True),
        sa.Column("account_name", sa.String(length=255), nullable=True),
        sa.Column("contact_id", sa.String(length=18), nullable=True),
        sa.Column("contact_name", sa.String(length=255), nullable=True),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        sa.Column("owner_name", sa.String(length=255), nullable=True),
        sa.Column("created_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_modified_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "synced_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("raw_data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesforce_cases")),
        sa.UniqueConstraint("salesforce_id", name=op.f("uq_salesforce_cases_salesforce_id")),
    )
    op.create_index(
        op.f("ix_salesforce_cases_account_id"), "salesforce_cases", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_salesforce_cases_case_number"), "salesforce_cases", ["case_number"], unique=False
    )
    op.create_index(
        op.f("ix_salesforce_cases_status"), "salesforce_cases", ["status"], unique=False
    )
    op.create_table(
        "user_creation_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("sap_username", sa.String(length=255), nullable=False),
        sa.Column("sap_roles", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("servicenow_ticket_number", sa.String(length=64), nullable=True),
        sa.Column("servicenow_ticket_id", sa.String(length=64), nullable=True),
        sa.Column(
            "approval_status",
            sa.String(length=8),
            server_default=sa.text("'pending'"),
            nullable=False,
        ),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("sap_event_id", sa.String(length=128), nullable=True),
        sa.Column("history", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "approval_status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_user_creation_approvals_approval_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_creation_approvals")),
        sa.UniqueConstraint(
            "correlation_id", name=op.f("uq_user_creation_approvals_correlation_id")
        ),
    )
    op.create_index(
        op.f("ix_user_creation_approvals_approval_status"),
        "user_creation_approvals",
        ["approval_status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_user_creation_approvals_sap_event_id"),
        "user_creation_approvals",
        ["sap_event_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_user_creation_approvals_sap_username"),
        "user_creation_approvals",
        ["sap_username"],
        unique=False,
    )
    op.create_index(
        op.f("ix_user_creation_approvals_servicenow_ticket_id"),
        "user_creation_approvals",
        ["servicenow_ticket_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_user_creation_approvals_servicenow_ticket_number"),
        "user_creation_approvals",
        ["servicenow_ticket_number"],
        unique=False,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=9), server_default=sa.text("'viewer'"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("role IN ('admin', 'developer', 'viewer')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=255), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_api_keys_key_prefix"), "api_keys", ["key_prefix"], unique=False)
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"], unique=False)
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("flow_config", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("status", sa.String(length=8), server_default=sa.text("'draft'"), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_integrations_owner_id_users"),
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'deployed', 'stopped', 'error')",
            name=op.f("ck_integrations_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
    )
    op.create_index(op.f("ix_integrations_name"), "integrations", ["name"], unique=False)
    op.create_index(op.f("ix_integrations_owner_id"), "integrations", ["owner_id"], unique=False)
    op.create_index(op.f("ix_integrations_status"), "integrations", ["status"], unique=False)
    op.create_table(
        "integration_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=7), server_default=sa.text("'INFO'"), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "logged_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_integration_logs_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR')", name=op.f("ck_integration_logs_level")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_logs")),
    )
    op.create_index(
        "ix_integration_logs_integration_id_logged_at",
        "integration_logs",
        ["integration_id", "logged_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_integration_logs_integration_id_logged_at", table_name="integration_logs")
    op.drop_table("integration_logs")
    op.drop_index(op.f("ix_integrations_status"), table_name="integrations")
    op.drop_index(op.f("ix_integrations_owner_id"), table_name="integrations")
    op.drop_index(op.f("ix_integrations_name"), table_name="integrations")
    op.drop_table("integrations")
    op.drop_index(op.f("ix_api_keys_user_id"), table_name="api_keys")
    op.drop_index(op.f("ix_api_keys_key_prefix"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_index(
        op.f("ix_user_creation_approvals_servicenow_ticket_number"),
        table_name="user_creation_approvals",
    )
    op.drop_index(
        op.f("ix_user_creation_approvals_servicenow_ticket_id"),
        table_name="user_creation_approvals",
    )
    op.drop_index(
        op.f("ix_user_creation_approvals_sap_username"), table_name="user_creation_approvals"
    )
    op.drop_index(
        op.f("ix_user_creation_approvals_sap_event_id"), table_name="user_creation_approvals"
    )
    op.drop_index(
        op.f("ix_user_creation_approvals_approval_status"), table_name="user_creation_approvals"
    )
    op.drop_table("user_creation_approvals")
    op.drop_index(op.f("ix_salesforce_cases_status"), table_name="salesforce_cases")
    op.drop_index(op.f("ix_salesforce_cases_case_number"), table_name="salesforce_cases")
    op.drop_index(op.f("ix_salesforce_cases_account_id"), table_name="salesforce_cases")
    op.drop_table("salesforce_cases")
    op.drop_index(op.f("ix_password_reset_tickets_username"), table_name="password_reset_tickets")
    op.drop_index(op.f("ix_password_reset_tickets_status"), table_name="password_reset_tickets")
    op.drop_index(
        op.f("ix_password_reset_tickets_servicenow_ticket_id"), table_name="password_reset_tickets"
    )
    op.drop_index(
        op.f("ix_password_reset_tickets_sap_ticket_id"), table_name="password_reset_tickets"
    )
    op.drop_table("password_reset_tickets")
    op.drop_index(op.f("ix_connectors_status"), table_name="connectors")
    op.drop_index(op.f("ix_connectors_connector_type"), table_name="connectors")
    op.drop_table("connectors")
    op.drop_table("api_endpoints")
