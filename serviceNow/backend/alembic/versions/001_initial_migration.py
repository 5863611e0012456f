"""initial migration

Revision ID: 001_initial_migration
Revises:
Create Date: 2026-11-25 11:05:22.268165
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
        "service_catalog_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_catalog_items")),
    )
    op.create_index(
        op.f("ix_service_catalog_items_category"),
        "service_catalog_items",
        ["category"],
        unique=False,
    )
    op.create_table(
        "sla_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("response_time_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_time_hours", sa.Integer(), nullable=False),
        sa.Column("business_hours_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "warning_threshold_percent", sa.Integer(), server_default=sa.text("80"), nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "resolution_time_hours > 0",
            name=op.f("ck_sla_definitions_resolution_time_hours_positive"),
        ),
        sa.CheckConstraint(
            "response_time_minutes > 0",
            name=op.f("ck_sla_definitions_response_time_minutes_positive"),
        ),
        sa.CheckConstraint(
            "warning_threshold_percent BETWEEN 1 AND 100",
            name=op.f("ck_sla_definitions_warning_threshold_percent"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_definitions")),
    )
    op.create_index(
        op.f("ix_sla_definitions_category"), "sla_definitions", ["category"], unique=False
    )
    op.create_index(
        op.f("ix_sla_definitions_priority"), "sla_definitions", ["priority"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=5), server_default=sa.text("'user'"), nullable=False),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("role IN ('admin', 'agent', 'user')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_role"), "users", ["role"], unique=False)
    op.create_table(
        "assignment_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["users.id"],
            name=op.f("fk_assignment_groups_manager_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_assignment_groups_name")),
    )
    op.create_index(
        op.f("ix_assignment_groups_manager_id"), "assignment_groups", ["manager_id"], unique=False
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "priority", sa.String(length=8), server_default=sa.text("'medium'"), nullable=False
        ),
        sa.Column("status", sa.String(length=11), server_default=sa.text("'new'"), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"],
            ["users.id"],
            name=op.f("fk_incidents_assigned_to_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_incidents_reporter_id_users"),
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_incidents_priority")
        ),
        sa.CheckConstraint(
            "status IN ('new', 'in_progress', 'resolved', 'closed')",
            name=op.f("ck_incidents_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_incidents_number")),
    )
    op.create_index(
        op.f("ix_incidents_assigned_to_id"), "incidents", ["assigned_to_id"], unique=False
    )
    op.create_index(op.f("ix_incidents_priority"), "incidents", ["priority"], unique=False)
    op.create_index(op.f("ix_incidents_reporter_id"), "incidents", ["reporter_id"], unique=False)
    op.create_index(op.f("ix_incidents_status"), "incidents", ["status"], unique=False)
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("views", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("helpful_votes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "helpful_votes >= 0", name=op.f("ck_knowledge_articles_helpful_votes_non_negative")
        ),
        sa.CheckConstraint("views >= 0", name=op.f("ck_knowledge_articles_views_non_negative")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_knowledge_articles_author_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
    )
    op.create_index(
        op.f("ix_knowledge_articles_author_id"), "knowledge_articles", ["author_id"], unique=False
    )
    op.create_index(
        op.f("ix_knowledge_articles_category"), "knowledge_articles", ["category"], unique=False
    )
    op.create_table(
        "assignment_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("assignment_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "assignment_count >= 0",
            name=op.f("ck_assignment_group_members_assignment_count_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["assignment_groups.id"],
            name=op.f("fk_assignment_group_members_group_id_assignment_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assignment_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_group_members")),
        sa.UniqueConstraint(
            "group_id", "user_id", name=op.f("uq_assignment_group_members_group_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_assignment_group_members_user_id"),
        "assignment_group_members",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "category_assignment_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("subcategory", sa.String(length=100), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("priority_override", sa.String(length=20), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["assignment_groups.id"],
            name=op.f("fk_category_assignment_mappings_group_id_assignment_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_assignment_mappings")),
        sa.UniqueConstraint(
            "category",
            "subcategory",
            name=op.f("uq_category_assignment_mappings_category_subcategory"),
        ),
    )
    op.create_index(
        op.f("ix_category_assignment_mappings_group_id"),
        "category_assignment_mappings",
        ["group_id"],
        unique=False,
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_number", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "ticket_type",
            sa.String(length=15),
            server_default=sa.text("'incident'"),
            nullable=False,
        ),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'draft'"), nullable=False
        ),
        sa.Column(
            "priority", sa.String(length=20), server_default=sa.text("'medium'"), nullable=False
        ),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("subcategory", sa.String(length=100), nullable=True),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("assignment_group_id", sa.Integer(), nullable=True),
        sa.Column("contact_number", sa.String(length=50), nullable=True),
        sa.Column("preferred_contact", sa.String(length=50), nullable=True),
        sa.Column("urgency", sa.String(length=20), nullable=True),
        sa.Column("business_justification", sa.Text(), nullable=True),
        sa.Column("estimated_cost", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("due_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_notes", sa.Text(), nullable=True),
        sa.Column("external_sys_id", sa.String(length=64), nullable=True),
        sa.Column("external_number", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "estimated_cost >= 0", name=op.f("ck_tickets_estimated_cost_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"],
            ["users.id"],
            name=op.f("fk_tickets_assigned_to_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignment_group_id"],
            ["assignment_groups.id"],
            name=op.f("fk_tickets_assignment_group_id_assignment_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_tickets_requester_id_users"),
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "ticket_type IN ('incident', 'service_request', 'change_request', 'problem')",
            name=op.f("ck_tickets_ticket_type"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'pending_approval', 'approved', 'rejected', "
            "'in_progress', 'resolved', 'closed', 'cancelled')",
            name=op.f("ck_tickets_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("ticket_number", name=op.f("uq_tickets_ticket_number")),
    )
    op.create_index(op.f("ix_tickets_assigned_to_id"), "tickets", ["assigned_to_id"], unique=False)
    op.create_index(
        op.f("ix_tickets_assignment_group_id"), "tickets", ["assignment_group_id"], unique=False
    )
    op.create_index(op.f("ix_tickets_category"), "tickets", ["category"], unique=False)
    op.create_index(
        op.f("ix_tickets_external_number"), "tickets", ["external_number"], unique=False
    )
    op.create_index(
        op.f("ix_tickets_external_sys_id"), "tickets", ["external_sys_id"], unique=False
    )
    op.create_index(op.f("ix_tickets_priority"), "tickets", ["priority"], unique=False)
    op.create_index(op.f("ix_tickets_requester_id"), "tickets", ["requester_id"], unique=False)
    op.create_index(op.f("ix_tickets_status"), "tickets", ["status"], unique=False)
    op.create_index(op.f("ix_tickets_ticket_type"), "tickets", ["ticket_type"], unique=False)
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=False),
        sa.Column(
            "status", sa.String(length=8), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["approver_id"],
            ["users.id"],
            name=op.f("fk_approvals_approver_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_approvals_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f("ck_approvals_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    op.create_index(op.f("ix_approvals_approver_id"), "approvals", ["approver_id"], unique=False)
    op.create_index(op.f("ix_approvals_status"), "approvals", ["status"], unique=False)
    op.create_index(op.f("ix_approvals_ticket_id"), "approvals", ["ticket_id"], unique=False)
    op.create_table(
        "ticket_slas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("sla_definition_id", sa.Integer(), nullable=False),
        sa.Column(
            "status", sa.String(length=9), server_default=sa.text("'active'"), nullable=False
        ),
        sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_breached", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_breached", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("pause_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_pause_minutes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("warning_sent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("breach_notified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "total_pause_minutes >= 0", name=op.f("ck_ticket_slas_total_pause_minutes_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["sla_definition_id"],
            ["sla_definitions.id"],
            name=op.f("fk_ticket_slas_sla_definition_id_sla_definitions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_slas_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'breached', 'achieved', 'cancelled')",
            name=op.f("ck_ticket_slas_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_slas")),
    )
    op.create_index(
        op.f("ix_ticket_slas_sla_definition_id"), "ticket_slas", ["sla_definition_id"], unique=False
    )
    op.create_index(op.f("ix_ticket_slas_status"), "ticket_slas", ["status"], unique=False)
    op.create_index(op.f("ix_ticket_slas_ticket_id"), "ticket_slas", ["ticket_id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_type", sa.String(length=18), nullable=False),
        sa.Column(
            "status", sa.String(length=9), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("recipient_email", sa.String(length=255), nullable=True),
        sa.Column("recipient_group_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("sla_id", sa.Integer(), nullable=True),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_payload", sa.JSON(), nullable=True),
        sa.Column("webhook_response", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "retry_count >= 0", name=op.f("ck_notifications_retry_count_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_group_id"],
            ["assignment_groups.id"],
            name=op.f("fk_notifications_recipient_group_id_assignment_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_notifications_recipient_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sla_id"],
            ["ticket_slas.id"],
            name=op.f("fk_notifications_sla_id_ticket_slas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_notifications_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "notification_type IN ('sla_warning', 'sla_breach', 'ticket_assigned', "
            "'ticket_updated', 'ticket_resolved', 'approval_required', 'approval_completed')",
            name=op.f("ck_notifications_notification_type"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled')",
            name=op.f("ck_notifications_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        op.f("ix_notifications_notification_type"),
        "notifications",
        ["notification_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notifications_recipient_group_id"),
        "notifications",
        ["recipient_group_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notifications_recipient_id"), "notifications", ["recipient_id"], unique=False
    )
    op.create_index(op.f("ix_notifications_sla_id"), "notifications", ["sla_id"], unique=False)
    op.create_index(op.f("ix_notifications_status"), "notifications", ["status"], unique=False)
    op.create_index(
        op.f("ix_notifications_ticket_id"), "notifications", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notifications_ticket_id"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_status"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_sla_id"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_recipient_id"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_recipient_group_id"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_notification_type"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_ticket_slas_ticket_id"), table_name="ticket_slas")
    op.drop_index(op.f("ix_ticket_slas_status"), table_name="ticket_slas")
    op.drop_index(op.f("ix_ticket_slas_sla_definition_id"), table_name="ticket_slas")
    op.drop_table("ticket_slas")
    op.drop_index(op.f("ix_approvals_ticket_id"), table_name="approvals")
    op.drop_index(op.f("ix_approvals_status"), table_name="approvals")
    op.drop_index(op.f("ix_approvals_approver_id"), table_name="approvals")
    op.drop_table("approvals")
    op.drop_index(op.f("ix_tickets_ticket_type"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_status"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_requester_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_priority"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_external_sys_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_external_number"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_category"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_assignment_group_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_assigned_to_id"), table_name="tickets")
    op.drop_table("tickets")
    op.drop_index(
        op.f("ix_category_assignment_mappings_group_id"), table_name="category_assignment_mappings"
    )
    op.drop_table("category_assignment_mappings")
    op.drop_index(
        op.f("ix_assignment_group_members_user_id"), table_name="assignment_group_members"
    )
    op.drop_table("assignment_group_members")
    op.drop_index(op.f("ix_knowledge_articles_category"), table_name="knowledge_articles")
    op.drop_index(op.f("ix_knowledge_articles_author_id"), table_name="knowledge_articles")
    op.drop_table("knowledge_articles")
    op.drop_index(op.f("ix_incidents_status"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_reporter_id"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_priority"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_assigned_to_id"), table_name="incidents")
    op.drop_table("incidents")
    op.drop_index(op.f("ix_assignment_groups_manager_id"), table_name="assignment_groups")
    op.drop_table("assignment_groups")
    op.drop_index(op.f("ix_users_role"), table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_sla_definitions_priority"), table_name="sla_definitions")
    op.drop_index(op.f("ix_sla_definitions_category"), table_name="sla_definitions")
    op.drop_table("sla_definitions")
    op.drop_index(op.f("ix_service_catalog_items_category"), table_name="service_catalog_items")
    op.drop_table("service_catalog_items")
