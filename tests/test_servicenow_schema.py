"""ServiceNow's migrations against docs/SCHEMAS.md (and work_notes, 002), on SQLite and
PostgreSQL."""

from __future__ import annotations

from schema_checks import NOT_NULL, Count, Delete, Insert, Refused, Row, SchemaChecks, Spec
from servicenow.models import Base

# docs/SCHEMAS.md, "serviceNow": every table and the columns it must have.
TABLES: dict[str, set[str]] = {
    "outbox_messages": {
        "id", "message_id", "topic", "destination", "correlation_id", "payload", "status",
        "attempts", "next_attempt_at", "last_error", "created_at", "delivered_at",
    },
    "inbox_messages": {
        "message_id", "topic", "source", "correlation_id", "signature", "received_at",
    },
    "refresh_tokens": {
        "token_id", "family_id", "user_id", "issued_at", "expires_at", "used_at", "revoked_at",
    },
    "login_failures": {"id", "limit_key", "failed_at"},
    "idempotency_keys": {
        "id", "owner", "idempotency_key", "ticket_number", "request_digest", "created_at",
    },
    "users": {"id", "email", "full_name", "role", "hashed_password", "is_active", "created_at"},
    "incidents": {
        "id", "number", "title", "description", "priority", "status", "reporter_id",
        "assigned_to_id", "created_at", "updated_at",
    },
    "service_catalog_items": {"id", "name", "description", "category", "is_active", "created_at"},
    "knowledge_articles": {
        "id", "title", "content", "summary", "category", "tags", "author_id", "views",
        "helpful_votes", "created_at", "updated_at",
    },
    "tickets": {
        "id", "ticket_number", "title", "description", "ticket_type", "status", "priority",
        "category", "subcategory", "requester_id", "assigned_to_id", "assignment_group_id",
        "contact_number", "preferred_contact", "urgency", "business_justification",
        "estimated_cost", "due_date", "resolution_notes", "external_sys_id", "external_number",
        "correlation_id", "created_at", "updated_at",
    },
    "approvals": {
        "id", "ticket_id", "approver_id", "status", "comments", "approved_at", "created_at",
    },
    "assignment_groups": {
        "id", "name", "description", "email", "manager_id", "is_active", "created_at", "updated_at",
    },
    "assignment_group_members": {
        "id", "group_id", "user_id", "is_active", "assignment_count", "last_assigned_at",
        "created_at",
    },
    "category_assignment_mappings": {
        "id", "category", "subcategory", "group_id", "priority_override", "created_at",
    },
    "sla_definitions": {
        "id", "name", "description", "priority", "category", "response_time_minutes",
        "resolution_time_hours", "business_hours_only", "warning_threshold_percent", "is_active",
        "created_at", "updated_at",
    },
    "ticket_slas": {
        "id", "ticket_id", "sla_definition_id", "status", "response_due_at", "response_met_at",
        "response_breached", "resolution_due_at", "resolution_met_at", "resolution_breached",
        "pause_start_at", "total_pause_minutes", "warning_sent", "breach_notified", "created_at",
        "updated_at",
    },
    "notifications": {
        "id", "notification_type", "status", "recipient_id", "recipient_email",
        "recipient_group_id", "subject", "message", "ticket_id", "sla_id", "webhook_url",
        "webhook_payload", "webhook_response", "sent_at", "error_message", "retry_count",
        "created_at", "updated_at",
    },
    "work_notes": {"id", "ticket_id", "author_id", "author_name", "note", "created_at"},
}  # fmt: skip

# docs/SCHEMAS.md's unique constraints.
# "{name}" stands for the id of the seed row saved under that name.
UNIQUE_ROWS: list[tuple[str, Row]] = [
    ("users", {"email": "dup@example.com", "hashed_password": "h"}),
    ("incidents", {"number": "INC0000001", "title": "t", "reporter_id": "{user}"}),
    ("tickets", {"ticket_number": "TKT0000001", "title": "t", "requester_id": "{user}"}),
    ("assignment_groups", {"name": "Service Desk"}),
    ("assignment_group_members", {"group_id": "{group}", "user_id": "{user}"}),
    (
        "category_assignment_mappings",
        {"category": "hw", "subcategory": "laptop", "group_id": "{group}"},
    ),
]

# docs/SCHEMAS.md's closed sets.
BAD_VALUES: list[tuple[str, Row, str, str]] = [
    ("users", {"email": "bad@example.com", "hashed_password": "h"}, "role", "root"),
    ("incidents", {"number": "INC9", "title": "t", "reporter_id": "{user}"}, "priority", "urgent"),
    ("incidents", {"number": "INC8", "title": "t", "reporter_id": "{user}"}, "status", "open"),
    ("tickets", {"ticket_number": "T9", "title": "t", "requester_id": "{user}"}, "status", "open"),
    ("tickets", {"ticket_number": "T8", "title": "t", "requester_id": "{user}"},
     "ticket_type", "bug"),
    ("approvals", {"ticket_id": "{ticket}", "approver_id": "{user}"}, "status", "maybe"),
    ("ticket_slas", {"ticket_id": "{ticket}", "sla_definition_id": "{sla}"}, "status", "late"),
    ("notifications", {"notification_type": "sla_warning", "subject": "s"}, "status", "queued"),
    ("notifications", {"notification_type": "sla_warning", "subject": "s"},
     "notification_type", "sms"),
    ("sla_definitions", {"name": "n", "response_time_minutes": 60, "resolution_time_hours": 8},
     "warning_threshold_percent", "101"),
]  # fmt: skip


# A user, an agent, a group, a ticket with an approval and an SLA, a notification.
SEED: list[tuple[str | None, str, Row]] = [
    ("user", "users", {"email": "seed@example.com", "hashed_password": "h"}),
    ("agent", "users", {"email": "agent@example.com", "hashed_password": "h", "role": "agent"}),
    ("group", "assignment_groups", {"name": "Network"}),
    ("member", "assignment_group_members", {"group_id": "{group}", "user_id": "{agent}"}),
    (
        "ticket",
        "tickets",
        {
            "ticket_number": "TKT0000100",
            "title": "t",
            "requester_id": "{user}",
            "assigned_to_id": "{agent}",
            "assignment_group_id": "{group}",
        },
    ),
    ("approval", "approvals", {"ticket_id": "{ticket}", "approver_id": "{user}"}),
    (
        "sla",
        "sla_definitions",
        {"name": "P1", "response_time_minutes": 15, "resolution_time_hours": 4},
    ),
    ("ticket_sla", "ticket_slas", {"ticket_id": "{ticket}", "sla_definition_id": "{sla}"}),
    (
        "note",
        "work_notes",
        {"ticket_id": "{ticket}", "author_id": "{agent}", "author_name": "agent", "note": "n"},
    ),
    (
        "notification",
        "notifications",
        {
            "notification_type": "sla_warning",
            "subject": "s",
            "ticket_id": "{ticket}",
            "sla_id": "{ticket_sla}",
        },
    ),
]

CASCADES = [
    # RESTRICT: a requester, an SLA definition in use cannot be deleted.
    Refused("users", {"id": "{user}"}),
    Refused("sla_definitions", {"id": "{sla}"}),
    # CASCADE: a ticket takes its approvals and SLAs with it; SET NULL: notifications stay.
    Count("approvals", {"ticket_id": "{ticket}"}, 1),
    Count("ticket_slas", {"ticket_id": "{ticket}"}, 1),
    Count("work_notes", {"ticket_id": "{ticket}"}, 1),
    Count("notifications", {"ticket_id": "{ticket}", "sla_id": "{ticket_sla}"}, 1),
    Delete("tickets", {"id": "{ticket}"}),
    Count("approvals", {"ticket_id": "{ticket}"}, 0),
    Count("work_notes", {"ticket_id": "{ticket}"}, 0),
    Count("ticket_slas", {"ticket_id": "{ticket}"}, 0),
    Count("notifications", {"ticket_id": None, "sla_id": None}, 1),
    # CASCADE: deleting a group or a user deletes their memberships.
    Delete("users", {"id": "{agent}"}),
    Count("assignment_group_members", {"id": "{member}"}, 0),
    Insert("assignment_group_members", {"group_id": "{group}", "user_id": "{user}"}),
    Count("assignment_group_members", {"group_id": "{group}"}, 1),
    Delete("assignment_groups", {"id": "{group}"}),
    Count("assignment_group_members", {"group_id": "{group}"}, 0),
]

DEFAULTS: list[tuple[str, Row, Row]] = [
    ("users", {"id": "{user}"}, {"role": "user", "is_active": True, "created_at": NOT_NULL}),
    (
        "ticket_slas",
        {"id": "{ticket_sla}"},
        {"status": "active", "response_breached": False, "total_pause_minutes": 0},
    ),
    ("tickets", {"id": "{ticket}"}, {"status": "draft", "ticket_type": "incident"}),
]


class TestServiceNowSchema(SchemaChecks):
    spec = Spec(
        "servicenow", Base.metadata, TABLES, UNIQUE_ROWS, BAD_VALUES, SEED, DEFAULTS, CASCADES
    )
