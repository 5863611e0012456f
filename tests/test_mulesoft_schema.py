"""Mulesoft's migrations against docs/SCHEMAS.md (and integration_logs.correlation_id, 002), on
SQLite and PostgreSQL."""

from __future__ import annotations

from integration_platform.models import Base
from schema_checks import NOT_NULL, Count, Delete, Insert, Refused, Row, SchemaChecks, Spec

# docs/SCHEMAS.md, "Mulesoft-Application": every table and the columns it must have.
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
    "flow_runs": {
        "id", "correlation_id", "flow", "status", "step", "attempts", "next_attempt_at",
        "last_error", "created_at", "updated_at",
    },
    "users": {"id", "email", "hashed_password", "full_name", "role", "is_active", "created_at"},
    "integrations": {
        "id", "name", "description", "flow_config", "status", "owner_id", "created_at",
        "updated_at",
    },
    "integration_logs": {"id", "integration_id", "level", "message", "correlation_id", "logged_at"},
    "api_endpoints": {
        "id", "name", "path", "method", "rate_limit", "ip_whitelist", "requires_auth", "is_active",
        "created_at",
    },
    "api_keys": {
        "id", "key_hash", "key_prefix", "name", "user_id", "is_active", "created_at",
        "last_used_at",
    },
    "connectors": {
        "id", "connector_name", "connector_type", "connection_config", "credentials_ref", "status",
        "health_check_url", "last_health_check", "health_status", "created_at", "updated_at",
    },
    "salesforce_cases": {
        "id", "salesforce_id", "case_number", "subject", "description", "status", "priority",
        "origin", "account_id", "account_name", "contact_id", "contact_name", "owner_id",
        "owner_name", "created_date", "closed_date", "last_modified_date", "synced_at", "raw_data",
    },
    "password_reset_tickets": {
        "id", "correlation_id", "servicenow_ticket_id", "sap_ticket_id", "username", "user_email",
        "requester_name", "requester_email", "reason", "priority", "status", "sap_status",
        "servicenow_updated", "history", "created_at", "updated_at",
    },
    "work_order_flows": {
        "id", "correlation_id", "salesforce_work_order_id", "work_order_number", "subject",
        "sap_work_order_id", "sap_status", "salesforce_status", "status_reason", "sap_sequence",
        "salesforce_sequence", "history", "created_at", "updated_at",
    },
    "user_creation_approvals": {
        "id", "correlation_id", "sap_username", "sap_roles", "servicenow_ticket_number",
        "servicenow_ticket_id", "approval_status", "approved_by", "approved_at", "rejection_reason",
        "sap_event_id", "history", "created_at", "updated_at",
    },
}  # fmt: skip

# docs/SCHEMAS.md's unique constraints.
# "{user}" stands for the id of the seed row saved as "user".
UNIQUE_ROWS: list[tuple[str, Row]] = [
    ("users", {"email": "dup@example.com", "hashed_password": "h"}),
    ("api_keys", {"key_hash": "abc", "key_prefix": "ab", "name": "k", "user_id": "{user}"}),
    ("api_endpoints", {"name": "e", "path": "/orders", "method": "GET"}),
    ("connectors", {"connector_name": "sap-prod", "connector_type": "sap"}),
    ("salesforce_cases", {"salesforce_id": "500000000000000AAA"}),
    ("password_reset_tickets", {"correlation_id": "c-1", "username": "jdoe"}),
    ("user_creation_approvals", {"correlation_id": "c-1", "sap_username": "jdoe"}),
]

# docs/SCHEMAS.md's closed sets.
BAD_VALUES: list[tuple[str, Row, str, str]] = [
    ("users", {"email": "bad@example.com", "hashed_password": "h"}, "role", "root"),
    ("integrations", {"name": "i", "owner_id": "{user}"}, "status", "running"),
    ("integration_logs", {"integration_id": "{integration}", "message": "m"}, "level", "TRACE"),
    ("connectors", {"connector_name": "x", "connector_type": "sap"}, "connector_type", "ftp"),
    ("user_creation_approvals", {"correlation_id": "c-9", "sap_username": "u"},
     "approval_status", "maybe"),
]  # fmt: skip


# A user and an integration of theirs, for rows that need references.
SEED: list[tuple[str | None, str, Row]] = [
    ("user", "users", {"email": "seed@example.com", "hashed_password": "h"}),
    ("integration", "integrations", {"name": "flow", "owner_id": "{user}"}),
]

CASCADES = [
    Insert("integration_logs", {"integration_id": "{integration}", "message": "hi"}),
    Insert("api_keys", {"key_hash": "h1", "key_prefix": "h", "name": "k", "user_id": "{user}"}),
    # RESTRICT: a user who owns an integration cannot be deleted.
    Refused("users", {"id": "{user}"}),
    # CASCADE: deleting the integration deletes its logs; deleting the user, their keys.
    Count("integration_logs", {"integration_id": "{integration}"}, 1),
    Delete("integrations", {"id": "{integration}"}),
    Count("integration_logs", {"integration_id": "{integration}"}, 0),
    Count("api_keys", {"user_id": "{user}"}, 1),
    Delete("users", {"id": "{user}"}),
    Count("api_keys", {"user_id": "{user}"}, 0),
]

DEFAULTS: list[tuple[str, Row, Row]] = [
    ("users", {"id": "{user}"}, {"role": "viewer", "is_active": True, "created_at": NOT_NULL}),
    ("integrations", {"id": "{integration}"}, {"status": "draft"}),
]


class TestMulesoftSchema(SchemaChecks):
    spec = Spec(
        "mulesoft", Base.metadata, TABLES, UNIQUE_ROWS, BAD_VALUES, SEED, DEFAULTS, CASCADES
    )
