"""SAP_clone's migrations against SCHEMAS.md, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sap_clone.models.password_reset import hash_temp_password, verify_temp_password
from sqlalchemy.engine import URL
from support import alembic_config, connect, downgrade, inspector, table, upgrade

SAP_SCHEMAS = ("core", "pm", "mm", "fi", "pm_workflow")

#: Every table of SCHEMAS.md with the columns it names (pm_workflow: the order reference).
TABLES: dict[str, set[str]] = {
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
    "password_reset_tickets": {
        "id", "sap_ticket_id", "servicenow_ticket_id", "username", "user_email",
        "requester_name", "requester_email", "reason", "priority", "status", "assigned_to",
        "correlation_id", "callback_url", "temp_password", "comments", "created_at",
        "updated_at",
    },
}  # fmt: skip

#: (table, column) -> (referred table, ON DELETE), a selection of SCHEMAS.md's rules.
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


def qualified(url: URL, name: str) -> str:
    schema, table_name = table(url, name)
    return f"{schema}.{table_name}" if schema else table_name


@contextmanager
def sap_connection(url: URL, foreign_keys: bool = True) -> Iterator[sa.Connection]:
    """A connection with ON DELETE rules in force (SQLite needs PRAGMA foreign_keys)."""
    with connect(url, SAP_SCHEMAS) as conn:
        if foreign_keys and url.get_backend_name() == "sqlite":
            # Before the first statement, i.e. outside a transaction, or SQLite ignores it.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
        yield conn


def insert(conn: sa.Connection, url: URL, name: str, /, **values: Any) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{key}" for key in values)
    conn.execute(
        sa.text(f"INSERT INTO {qualified(url, name)} ({columns}) VALUES ({params})"), values
    )


def count(conn: sa.Connection, url: URL, name: str, key: str, value: str) -> int:
    sql = f"SELECT count(*) FROM {qualified(url, name)} WHERE {key} = :value"
    return int(conn.execute(sa.text(sql), {"value": value}).scalar_one())


def test_every_table_has_its_columns(db_url: URL) -> None:
    upgrade("sap", db_url)
    with inspector(db_url) as insp:
        for name, expected in TABLES.items():
            schema, table_name = table(db_url, name)
            assert insp.has_table(table_name, schema=schema), name
            columns = {c["name"] for c in insp.get_columns(table_name, schema=schema)}
            assert expected <= columns, (name, expected - columns)
        schema, reset = table(db_url, "password_reset_tickets")
        assert {c["name"] for c in insp.get_columns(reset, schema=schema)} == TABLES[
            "password_reset_tickets"
        ]
        unique = [i for i in insp.get_indexes(reset, schema=schema) if i["unique"]]
        assert [i["column_names"] for i in unique] == [["sap_ticket_id"]]


def test_models_match_migrations(db_url: URL, monkeypatch: pytest.MonkeyPatch) -> None:
    """``alembic check``: autogenerate finds no difference between models and migrations."""
    upgrade("sap", db_url)
    monkeypatch.setenv("DATABASE_URL", db_url.render_as_string(hide_password=False))
    command.check(alembic_config("sap"))


def test_foreign_keys_have_their_on_delete_rule(db_url: URL) -> None:
    upgrade("sap", db_url)
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


def test_money_is_numeric_15_2(db_url: URL) -> None:
    upgrade("sap", db_url)
    with inspector(db_url) as insp:
        for name, column in MONEY:
            schema, table_name = table(db_url, name)
            col = next(
                c for c in insp.get_columns(table_name, schema=schema) if c["name"] == column
            )
            assert isinstance(col["type"], sa.Numeric), (name, column, col["type"])
            assert (col["type"].precision, col["type"].scale) == (15, 2), (name, column)


def test_check_constraints_reject_bad_values(db_url: URL) -> None:
    upgrade("sap", db_url)
    ticket = {"ticket_type": "Incident", "module": "PM", "priority": "P2", "title": "t"}
    with sap_connection(db_url) as conn:
        insert(conn, db_url, "core.tickets", ticket_id="TKT-OK", created_by="me", **ticket)
        conn.commit()
        for bad in ({"status": "Bogus"}, {"priority": "P9"}, {"module": "HR"}):
            with pytest.raises(sa.exc.IntegrityError):
                insert(
                    conn, db_url, "core.tickets", ticket_id="TKT-BAD", created_by="me",
                    **{**ticket, **bad},
                )  # fmt: skip
            conn.rollback()
        with pytest.raises(sa.exc.IntegrityError):
            insert(
                conn, db_url, "mm.materials", material_id="MAT-NEG", description="x",
                quantity=-1, unit_of_measure="EA",
            )  # fmt: skip
        conn.rollback()
        with pytest.raises(sa.exc.IntegrityError):
            insert(
                conn, db_url, "password_reset_tickets", sap_ticket_id="PR-1", username="u",
                status="done",
            )  # fmt: skip
        conn.rollback()


def test_on_delete_rules_apply(db_url: URL) -> None:
    upgrade("sap", db_url)
    with sap_connection(db_url) as conn:
        # Seeded: MO-2024-0001 references ticket TKT-PM-20240115-0001 and asset AST-TRF-001.
        insert(conn, db_url, "core.audit_entries", ticket_id="TKT-PM-20240115-0001",
               action="created", performed_by="me")  # fmt: skip
        conn.execute(sa.text(f"DELETE FROM {qualified(db_url, 'core.tickets')} "
                             "WHERE ticket_id = 'TKT-PM-20240115-0001'"))  # fmt: skip
        assert count(conn, db_url, "core.audit_entries", "ticket_id", "TKT-PM-20240115-0001") == 0
        orders = qualified(db_url, "pm.maintenance_orders")
        ticket_of_order = f"SELECT ticket_id FROM {orders} WHERE order_id = 'MO-2024-0001'"
        assert conn.execute(sa.text(ticket_of_order)).scalar_one() is None  # SET NULL
        conn.execute(sa.text(f"DELETE FROM {qualified(db_url, 'pm.assets')} "
                             "WHERE asset_id = 'AST-TRF-001'"))  # fmt: skip
        assert count(conn, db_url, "pm.maintenance_orders", "order_id", "MO-2024-0001") == 0
        with pytest.raises(sa.exc.IntegrityError):  # a material with movements stays
            conn.execute(sa.text(f"DELETE FROM {qualified(db_url, 'mm.materials')} "
                                 "WHERE material_id = 'MAT-OIL-001'"))  # fmt: skip
        conn.rollback()


def test_seed_downgrade_keeps_user_rows(db_url: URL) -> None:
    upgrade("sap", db_url, "006_seed_mock_data")
    with sap_connection(db_url) as conn:
        assert count(conn, db_url, "pm.assets", "asset_id", "AST-SUB-001") == 1
        insert(conn, db_url, "pm.assets", asset_id="AST-USER-001", asset_type="feeder",
               name="User feeder", location="Somewhere")  # fmt: skip
        # A user's movement of a seeded material: the material must survive the downgrade
        # (RESTRICT), and the movement with it.
        insert(conn, db_url, "mm.stock_transactions", transaction_id="STX-USER-001",
               material_id="MAT-CBL-001", quantity_change=5, transaction_type="receipt",
               performed_by="me")  # fmt: skip
        insert(conn, db_url, "fi.cost_entries", entry_id="CE-USER-001",
               cost_center_id="CC-MM-2024", amount=12.34, cost_type="OPEX",
               entry_date="2024-02-01", created_by="me")  # fmt: skip
        conn.commit()

    downgrade("sap", db_url, "005_create_fi_tables")
    with sap_connection(db_url) as conn:
        assert count(conn, db_url, "pm.assets", "asset_id", "AST-SUB-001") == 0
        assert count(conn, db_url, "core.tickets", "ticket_id", "TKT-PM-20240115-0001") == 0
        assert count(conn, db_url, "pm.assets", "asset_id", "AST-USER-001") == 1
        assert count(conn, db_url, "mm.stock_transactions", "transaction_id", "STX-USER-001") == 1
        assert count(conn, db_url, "mm.stock_transactions", "transaction_id", "STX-2024-0001") == 0
        assert count(conn, db_url, "mm.materials", "material_id", "MAT-CBL-001") == 1
        assert count(conn, db_url, "mm.materials", "material_id", "MAT-OIL-001") == 0
        assert count(conn, db_url, "fi.cost_entries", "entry_id", "CE-USER-001") == 1
        assert count(conn, db_url, "fi.cost_centers", "cost_center_id", "CC-MM-2024") == 1
        assert count(conn, db_url, "fi.cost_centers", "cost_center_id", "CC-PM-2024") == 0

    # Upgrading again re-seeds what is missing, next to the seeded rows that were kept.
    upgrade("sap", db_url)
    with sap_connection(db_url) as conn:
        assert count(conn, db_url, "pm.assets", "asset_id", "AST-USER-001") == 1
        assert count(conn, db_url, "pm.assets", "asset_id", "AST-SUB-001") == 1
        assert count(conn, db_url, "mm.materials", "material_id", "MAT-CBL-001") == 1
        assert count(conn, db_url, "mm.materials", "material_id", "MAT-OIL-001") == 1
        assert count(conn, db_url, "mm.stock_transactions", "transaction_id", "STX-USER-001") == 1
        assert count(conn, db_url, "fi.cost_entries", "entry_id", "CE-USER-001") == 1


def test_full_round_trip(db_url: URL) -> None:
    upgrade("sap", db_url)
    downgrade("sap", db_url, "base")
    with inspector(db_url) as insp:
        sap_tables = {name.rpartition(".")[2] for name in TABLES}
        assert not sap_tables & set(insp.get_table_names())
        if db_url.get_backend_name() == "postgresql":
            assert not set(SAP_SCHEMAS) & set(insp.get_schema_names())
    upgrade("sap", db_url)


def test_temp_password_is_stored_as_a_salted_hash() -> None:
    first, second = hash_temp_password("Temp#1234"), hash_temp_password("Temp#1234")
    assert "Temp#1234" not in first
    assert first != second  # salted
    assert verify_temp_password("Temp#1234", first)
    assert not verify_temp_password("wrong", first)
    assert not verify_temp_password("Temp#1234", None)
