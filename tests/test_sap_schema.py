"""SAP_clone's migrations against docs/SCHEMAS.md, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sap_clone.models import Base
from sap_clone.models.password_reset import hash_temp_password, verify_temp_password
from schema_checks import (
    NOT_NULL,
    Count,
    Delete,
    Insert,
    Migrated,
    Refused,
    Row,
    SchemaChecks,
    Spec,
    count,
    fk_connection,
    insert,
)
from sqlalchemy.engine import URL
from support import downgrade, inspector, table, upgrade

SAP_SCHEMAS = ("core", "pm", "mm", "fi", "pm_workflow")

#: Every table of docs/SCHEMAS.md with the columns it names (pm_workflow: the order reference).
TABLES: dict[str, set[str]] = {
    "outbox_messages": {
        "id", "message_id", "topic", "destination", "correlation_id", "payload", "status",
        "attempts", "next_attempt_at", "last_error", "created_at", "delivered_at",
    },
    "inbox_messages": {
        "message_id", "topic", "source", "correlation_id", "signature", "received_at",
    },
    "core.refresh_tokens": {
        "token_id", "family_id", "user_id", "issued_at", "expires_at", "used_at", "revoked_at",
    },
    "core.login_failures": {"id", "limit_key", "failed_at"},
    "core.tickets": {
        "ticket_id", "ticket_type", "module", "priority", "status", "title", "description",
        "sla_deadline", "assigned_to", "created_by", "correlation_id", "created_at", "updated_at",
    },
    "core.audit_entries": {
        "id", "ticket_id", "action", "old_value", "new_value", "performed_by", "performed_at",
    },
    "pm.assets": {
        "asset_id", "asset_type", "name", "location", "installation_date", "status",
        "description", "created_at", "updated_at",
    },
    "pm.maintenance_orders": {
        "order_id", "asset_id", "ticket_id", "order_type", "status", "description",
        "scheduled_date", "completed_date", "created_by", "created_at", "updated_at",
    },
    "pm.incidents": {
        "incident_id", "asset_id", "ticket_id", "fault_type", "description", "reported_by",
        "reported_at", "resolved_at",
    },
    "mm.materials": {
        "material_id", "description", "quantity", "unit_of_measure", "reorder_level",
        "storage_location", "created_at", "updated_at",
    },
    "mm.stock_transactions": {
        "transaction_id", "material_id", "quantity_change", "transaction_type",
        "transaction_date", "performed_by", "reference_doc", "notes",
    },
    "mm.requisitions": {
        "requisition_id", "material_id", "cost_center_id", "quantity", "justification",
        "status", "ticket_id", "requested_by", "created_at", "updated_at",
    },
    "fi.cost_centers": {
        "cost_center_id", "name", "budget_amount", "fiscal_year", "responsible_manager",
        "description", "created_at", "updated_at",
    },
    "fi.cost_entries": {
        "entry_id", "cost_center_id", "ticket_id", "amount", "cost_type", "description",
        "entry_date", "created_by",
    },
    "fi.approvals": {
        "approval_id", "cost_center_id", "ticket_id", "amount", "justification", "decision",
        "requested_by", "requested_at", "decided_by", "decided_at", "comments",
    },
    "pm_workflow.workflow_maintenance_orders": {
        "order_number", "order_type", "status", "priority", "equipment_id",
        "functional_location", "planned_start_date", "actual_end_date", "planned_costs",
        "actual_costs",
    },
    "pm_workflow.workflow_operations": {"order_number"},
    "pm_workflow.workflow_components": {"order_number"},
    "pm_workflow.workflow_purchase_orders": {"order_number", "po_type", "status"},
    "pm_workflow.workflow_goods_receipts": {"order_number"},
    "pm_workflow.workflow_goods_issues": {"order_number"},
    "pm_workflow.workflow_confirmations": {"order_number", "confirmation_type"},
    "pm_workflow.workflow_malfunction_reports": {"order_number"},
    "pm_workflow.workflow_document_flow": {"order_number", "document_type"},
    "pm_workflow.workflow_cost_summaries": {"order_number"},
    "pm.crm_work_orders": {"work_order_id", "flow_status", "priority"},
    "pm.work_order_materials": {"work_order_id", "material_id", "quantity_required",
                                "quantity_available"},
    "pm.work_order_flow_history": {"work_order_id", "from_status", "to_status", "changed_by",
                                   "changed_at", "note"},
    "core.users": {
        "id", "username", "email", "full_name", "password_hash", "status",
        "must_change_password", "last_login_at", "created_at", "updated_at",
    },
    "core.user_roles": {"user_id", "role"},
    "password_reset_tickets": {
        "id", "sap_ticket_id", "servicenow_ticket_id", "username", "user_email",
        "requester_name", "requester_email", "reason", "priority", "status", "assigned_to",
        "correlation_id", "callback_url", "temp_password", "comments", "created_at",
        "updated_at",
    },
}  # fmt: skip

#: (table, column) -> (referred table, ON DELETE), a selection of docs/SCHEMAS.md's rules.
ON_DELETE = {
    ("core.audit_entries", "ticket_id"): ("tickets", "CASCADE"),
    ("pm.maintenance_orders", "asset_id"): ("assets", "CASCADE"),
    ("pm.maintenance_orders", "ticket_id"): ("tickets", "SET NULL"),
    ("pm.incidents", "asset_id"): ("assets", "CASCADE"),
    ("mm.requisitions", "ticket_id"): ("tickets", "SET NULL"),
    ("mm.requisitions", "cost_center_id"): ("cost_centers", "RESTRICT"),
    ("mm.stock_transactions", "material_id"): ("materials", "RESTRICT"),
    ("fi.cost_entries", "cost_center_id"): ("cost_centers", "RESTRICT"),
    ("fi.approvals", "ticket_id"): ("tickets", "SET NULL"),
    ("pm_workflow.workflow_operations", "order_number"): (
        "workflow_maintenance_orders",
        "CASCADE",
    ),
    ("pm_workflow.workflow_cost_summaries", "order_number"): (
        "workflow_maintenance_orders",
        "CASCADE",
    ),
    ("pm.work_order_materials", "work_order_id"): ("crm_work_orders", "CASCADE"),
}

MONEY = [
    ("fi.cost_centers", "budget_amount"),
    ("fi.cost_entries", "amount"),
    ("fi.approvals", "amount"),
    ("pm_workflow.workflow_maintenance_orders", "planned_costs"),
]

TICKET: Row = {"ticket_type": "Incident", "module": "PM", "priority": "P2", "title": "t"}

#: (table, a valid row): inserting the row twice must fail.
UNIQUE_ROWS: list[tuple[str, Row]] = [
    ("core.tickets", {**TICKET, "ticket_id": "TKT-UQ", "created_by": "me"}),
    ("password_reset_tickets", {"sap_ticket_id": "PR-UQ", "username": "u"}),
    ("core.users", {"username": "uq-user", "password_hash": "h"}),
]

#: Closed sets and CHECK constraints: (table, a valid row, column, a value outside the set).
BAD_VALUES: list[tuple[str, Row, str, object]] = [
    ("core.tickets", {**TICKET, "ticket_id": "TKT-B1", "created_by": "me"}, "status", "Bogus"),
    ("core.tickets", {**TICKET, "ticket_id": "TKT-B2", "created_by": "me"}, "priority", "P9"),
    ("core.tickets", {**TICKET, "ticket_id": "TKT-B3", "created_by": "me"}, "module", "HR"),
    (
        "mm.materials",
        {"material_id": "MAT-NEG", "description": "x", "quantity": 1, "unit_of_measure": "EA"},
        "quantity",
        -1,
    ),
    ("password_reset_tickets", {"sap_ticket_id": "PR-1", "username": "u"}, "status", "done"),
    ("core.users", {"username": "bad-status", "password_hash": "h"}, "status", "locked"),
    ("core.user_roles", {"user_id": "{admin}", "role": "Admin"}, "role", "Root"),
]

#: Rows that leave their defaulted columns out (the migrations seed the rest).
SEED: list[tuple[str | None, str, Row]] = [
    (None, "core.tickets", {"ticket_id": "TKT-DEF", "ticket_type": "Incident", "module": "PM",
                            "title": "t", "created_by": "me"}),
    (None, "mm.materials", {"material_id": "MAT-DEF", "description": "x",
                            "unit_of_measure": "EA"}),
    (None, "password_reset_tickets", {"sap_ticket_id": "PR-DEF", "username": "u"}),
    ("admin", "core.users", {"username": "admin-def", "password_hash": "h"}),
    ("holder", "core.users", {"username": "role-holder", "password_hash": "h"}),
]  # fmt: skip

#: On the migrations' seed: MO-2024-0001 references ticket TKT-PM-20240115-0001 and asset
#: AST-TRF-001; MAT-OIL-001 has stock movements.
CASCADES = [
    Insert("core.audit_entries", {"ticket_id": "TKT-PM-20240115-0001", "action": "created",
                                  "performed_by": "me"}),
    Count("core.audit_entries", {"ticket_id": "TKT-PM-20240115-0001"}, 1),
    Delete("core.tickets", {"ticket_id": "TKT-PM-20240115-0001"}),
    Count("core.audit_entries", {"ticket_id": "TKT-PM-20240115-0001"}, 0),  # CASCADE
    Count("pm.maintenance_orders", {"order_id": "MO-2024-0001", "ticket_id": None}, 1),  # SET NULL
    Delete("pm.assets", {"asset_id": "AST-TRF-001"}),
    Count("pm.maintenance_orders", {"order_id": "MO-2024-0001"}, 0),  # CASCADE
    Refused("mm.materials", {"material_id": "MAT-OIL-001"}),  # RESTRICT: it has movements
    Count("mm.materials", {"material_id": "MAT-OIL-001"}, 1),
    Insert("core.user_roles", {"user_id": "{holder}", "role": "Store_Manager"}),
    Delete("core.users", {"username": "role-holder"}),
    Count("core.user_roles", {"user_id": "{holder}"}, 0),  # CASCADE
]  # fmt: skip

DEFAULTS: list[tuple[str, Row, Row]] = [
    (
        "core.tickets",
        {"ticket_id": "TKT-DEF"},
        {"priority": "P3", "status": "Open", "created_at": NOT_NULL},
    ),
    ("mm.materials", {"material_id": "MAT-DEF"}, {"quantity": 0, "reorder_level": 0}),
    ("password_reset_tickets", {"sap_ticket_id": "PR-DEF"}, {"status": "open"}),
    (
        "core.users",
        {"username": "admin-def"},
        {"status": "active", "must_change_password": False, "last_login_at": None},
    ),
]


class TestSapSchema(SchemaChecks):
    spec = Spec(
        "sap", Base.metadata, TABLES, UNIQUE_ROWS, BAD_VALUES, SEED, DEFAULTS, CASCADES, SAP_SCHEMAS
    )


def test_password_reset_tickets_has_exactly_its_columns(migrated: Migrated) -> None:
    db_url = migrated("sap")
    with inspector(db_url) as insp:
        schema, reset = table(db_url, "password_reset_tickets")
        assert {c["name"] for c in insp.get_columns(reset, schema=schema)} == TABLES[
            "password_reset_tickets"
        ]
        unique = [i for i in insp.get_indexes(reset, schema=schema) if i["unique"]]
        # sap_ticket_id, and the correlation id: SAP's idempotency key for the flow (013).
        assert sorted(i["column_names"] for i in unique) == [["correlation_id"], ["sap_ticket_id"]]


def test_foreign_keys_have_their_on_delete_rule(migrated: Migrated) -> None:
    db_url = migrated("sap")
    with inspector(db_url) as insp:
        for (name, column), (referred, rule) in ON_DELETE.items():
            schema, table_name = table(db_url, name)
            fks = [
                fk
                for fk in insp.get_foreign_keys(table_name, schema=schema)
                if fk["constrained_columns"] == [column]
            ]
            assert len(fks) == 1, (name, column)
            assert fks[0]["referred_table"] == referred
            assert (fks[0]["options"].get("ondelete") or "").upper() == rule, (name, column)


def test_money_is_numeric_15_2(migrated: Migrated) -> None:
    db_url = migrated("sap")
    with inspector(db_url) as insp:
        for name, column in MONEY:
            schema, table_name = table(db_url, name)
            col = next(
                c for c in insp.get_columns(table_name, schema=schema) if c["name"] == column
            )
            assert isinstance(col["type"], sa.Numeric), (name, column, col["type"])
            assert (col["type"].precision, col["type"].scale) == (15, 2), (name, column)


#: A user's rows next to the seed: a feeder of their own, a movement of a seeded material (the
#: material must survive the downgrade, RESTRICT, and the movement with it), a cost entry.
USER_ROWS: list[tuple[str, Row]] = [
    ("pm.assets", {"asset_id": "AST-USER-001", "asset_type": "feeder", "name": "User feeder",
                   "location": "Somewhere"}),
    ("mm.stock_transactions", {"transaction_id": "STX-USER-001", "material_id": "MAT-CBL-001",
                               "quantity_change": 5, "transaction_type": "receipt",
                               "performed_by": "me"}),
    ("fi.cost_entries", {"entry_id": "CE-USER-001", "cost_center_id": "CC-MM-2024",
                         "amount": 12.34, "cost_type": "OPEX", "entry_date": "2024-02-01",
                         "created_by": "me"}),
]  # fmt: skip

#: (table, key column, key): rows at 006 with the user's rows added, after the downgrade to 005
#: (the seed goes, the user's rows and what they need stay), after upgrading again (the seed
#: comes back next to the rows that were kept).
SEED_ROUND_TRIP: dict[tuple[str, str, str], tuple[int, int, int]] = {
    ("pm.assets", "asset_id", "AST-SUB-001"): (1, 0, 1),
    ("core.tickets", "ticket_id", "TKT-PM-20240115-0001"): (1, 0, 1),
    ("pm.assets", "asset_id", "AST-USER-001"): (1, 1, 1),
    ("mm.stock_transactions", "transaction_id", "STX-USER-001"): (1, 1, 1),
    ("mm.stock_transactions", "transaction_id", "STX-2024-0001"): (1, 0, 1),
    ("mm.materials", "material_id", "MAT-CBL-001"): (1, 1, 1),
    ("mm.materials", "material_id", "MAT-OIL-001"): (1, 0, 1),
    ("fi.cost_entries", "entry_id", "CE-USER-001"): (1, 1, 1),
    ("fi.cost_centers", "cost_center_id", "CC-MM-2024"): (1, 1, 1),
    ("fi.cost_centers", "cost_center_id", "CC-PM-2024"): (1, 0, 1),
}


def round_trip_counts(url: URL, stage: int) -> tuple[dict[tuple[str, str, str], int], ...]:
    """(the rows' counts in the database, the counts SEED_ROUND_TRIP expects at ``stage``)."""
    with fk_connection(url, SAP_SCHEMAS) as conn:
        found = {key: count(conn, key[0], {key[1]: key[2]}) for key in SEED_ROUND_TRIP}
    return found, {key: counts[stage] for key, counts in SEED_ROUND_TRIP.items()}


def test_seed_downgrade_keeps_user_rows(db_url: URL) -> None:
    upgrade("sap", db_url, "006_seed_mock_data")
    with fk_connection(db_url, SAP_SCHEMAS) as conn, conn.begin():
        for name, row in USER_ROWS:
            insert(conn, name, row)
    found, expected = round_trip_counts(db_url, 0)
    assert found == expected
    downgrade("sap", db_url, "005_create_fi_tables")
    found, expected = round_trip_counts(db_url, 1)
    assert found == expected
    # Upgrading again re-seeds what is missing, next to the seeded rows that were kept.
    upgrade("sap", db_url)
    found, expected = round_trip_counts(db_url, 2)
    assert found == expected


def test_temp_password_is_stored_as_a_salted_hash() -> None:
    first, second = hash_temp_password("Temp#1234"), hash_temp_password("Temp#1234")
    assert "Temp#1234" not in first
    assert first != second  # salted
    assert verify_temp_password("Temp#1234", first)
    assert not verify_temp_password("wrong", first)
    assert not verify_temp_password("Temp#1234", None)
