"""ServiceNow's 001_initial_migration against SCHEMAS.md, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from servicenow.models import Base
from sqlalchemy import Connection, ForeignKeyConstraint, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from support import connect, downgrade, upgrade

APP = "servicenow"
# Tables that are not the app's: Alembic's version table and netapps' migration ledger.
BOOKKEEPING = ("alembic_", "netapps_")

# SCHEMAS.md, "serviceNow": every table and the columns it must have.
COLUMNS: dict[str, set[str]] = {
    "users": {"id", "email", "full_name", "role", "hashed_password", "is_active", "created_at"},
    "incidents": {
        *("id", "number", "title", "description", "priority", "status", "reporter_id"),
        *("assigned_to_id", "created_at", "updated_at"),
    },
    "service_catalog_items": {"id", "name", "description", "category", "is_active", "created_at"},
    "knowledge_articles": {
        *("id", "title", "content", "summary", "category", "tags", "author_id", "views"),
        *("helpful_votes", "created_at", "updated_at"),
    },
    "tickets": {
        *("id", "ticket_number", "title", "description", "ticket_type", "status", "priority"),
        *("category", "subcategory", "requester_id", "assigned_to_id", "assignment_group_id"),
        *("contact_number", "preferred_contact", "urgency", "business_justification"),
        *("estimated_cost", "due_date", "resolution_notes", "external_sys_id"),
        *("external_number", "created_at", "updated_at"),
    },
    "approvals": {
        *("id", "ticket_id", "approver_id", "status", "comments", "approved_at"),
        "created_at",
    },
    "assignment_groups": {
        *("id", "name", "description", "email", "manager_id", "is_active", "created_at"),
        "updated_at",
    },
    "assignment_group_members": {
        *("id", "group_id", "user_id", "is_active", "assignment_count", "last_assigned_at"),
        "created_at",
    },
    "category_assignment_mappings": {
        *("id", "category", "subcategory", "group_id", "priority_override", "created_at"),
    },
    "sla_definitions": {
        *("id", "name", "description", "priority", "category", "response_time_minutes"),
        *("resolution_time_hours", "business_hours_only", "warning_threshold_percent"),
        *("is_active", "created_at", "updated_at"),
    },
    "ticket_slas": {
        *("id", "ticket_id", "sla_definition_id", "status", "response_due_at"),
        *("response_met_at", "response_breached", "resolution_due_at", "resolution_met_at"),
        *("resolution_breached", "pause_start_at", "total_pause_minutes", "warning_sent"),
        *("breach_notified", "created_at", "updated_at"),
    },
    "notifications": {
        *("id", "notification_type", "status", "recipient_id", "recipient_email"),
        *("recipient_group_id", "subject", "message", "ticket_id", "sla_id", "webhook_url"),
        *("webhook_payload", "webhook_response", "sent_at", "error_message", "retry_count"),
        *("created_at", "updated_at"),
    },
}

# SCHEMAS.md's unique constraints: (table, a valid row); inserting the row twice must fail.
# "{name}" is replaced by the id of a row seed() creates first.
UNIQUE_ROWS: list[tuple[str, dict[str, Any]]] = [
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

# Closed sets: (table, a valid row, column, a value outside the set).
BAD_VALUES: list[tuple[str, dict[str, Any], str, str]] = [
    ("users", {"email": "bad@example.com", "hashed_password": "h"}, "role", "root"),
    ("incidents", {"number": "INC9", "title": "t", "reporter_id": "{user}"}, "priority", "urgent"),
    ("incidents", {"number": "INC8", "title": "t", "reporter_id": "{user}"}, "status", "open"),
    ("tickets", {"ticket_number": "T9", "title": "t", "requester_id": "{user}"}, "status", "open"),
    (
        "tickets",
        {"ticket_number": "T8", "title": "t", "requester_id": "{user}"},
        "ticket_type",
        "bug",
    ),
    ("approvals", {"ticket_id": "{ticket}", "approver_id": "{user}"}, "status", "maybe"),
    ("ticket_slas", {"ticket_id": "{ticket}", "sla_definition_id": "{sla}"}, "status", "late"),
    ("notifications", {"notification_type": "sla_warning", "subject": "s"}, "status", "queued"),
    (
        "notifications",
        {"notification_type": "sla_warning", "subject": "s"},
        "notification_type",
        "sms",
    ),
    (
        "sla_definitions",
        {"name": "n", "response_time_minutes": 60, "resolution_time_hours": 8},
        "warning_threshold_percent",
        "101",
    ),
]


@contextmanager
def fk_connection(url: URL) -> Iterator[Connection]:
    """A connection that enforces foreign keys (SQLite needs the pragma, outside a transaction)."""
    with connect(url) as conn:
        if url.get_backend_name() == "sqlite":
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            conn.rollback()
        yield conn


def insert(conn: Connection, table: str, row: dict[str, Any], refs: dict[str, int]) -> int:
    values = {
        k: refs[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v for k, v in row.items()
    }
    names = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    sql = text(f"INSERT INTO {table} ({names}) VALUES ({params}) RETURNING id")
    return int(conn.execute(sql, values).scalar_one())


def seed(conn: Connection) -> dict[str, int]:
    """A user, an agent, a group, a ticket with an approval and an SLA, a notification."""
    refs: dict[str, int] = {}
    rows: list[tuple[str, str, dict[str, Any]]] = [
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
    with conn.begin():
        for ref, table, row in rows:
            refs[ref] = insert(conn, table, row, refs)
    return refs


def count(conn: Connection, table: str, where: str, **params: Any) -> int:
    return int(
        conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one()
    )


def test_tables_and_columns(db_url: URL) -> None:
    upgrade(APP, db_url)
    with connect(db_url) as conn:
        insp = inspect(conn)
        tables = set(insp.get_table_names())
        assert set(COLUMNS) <= tables, f"missing {sorted(set(COLUMNS) - tables)}"
        assert all(t.startswith(BOOKKEEPING) for t in tables - set(COLUMNS)), tables
        for table, wanted in COLUMNS.items():
            present = {c["name"] for c in insp.get_columns(table)}
            assert wanted <= present, f"{table} lacks {sorted(wanted - present)}"


def test_migration_creates_what_the_models_describe(db_url: URL, tmp_path: Path) -> None:
    """Names of every constraint and index, and each FK's ON DELETE, as the models say —
    including CHECK constraints, which `alembic check` does not compare."""
    upgrade(APP, db_url)
    models_url = make_url(f"sqlite:///{tmp_path / 'models.db'}")
    models_engine = create_engine(models_url)
    Base.metadata.create_all(models_engine)
    try:
        with models_engine.connect() as models_conn, connect(db_url) as conn:
            assert describe(inspect(conn)) == describe(inspect(models_conn))
    finally:
        models_engine.dispose()
    for table in Base.metadata.sorted_tables:  # every reference has an explicit rule
        for fk in table.constraints:
            if isinstance(fk, ForeignKeyConstraint):
                assert fk.ondelete in {"CASCADE", "SET NULL", "RESTRICT"}, fk.name


def describe(insp: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table in COLUMNS:
        out[table] = {
            "pk": insp.get_pk_constraint(table)["name"],
            "uq": sorted(
                (u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)
            ),
            "ix": sorted(  # PostgreSQL also lists the indexes behind unique constraints
                (i["name"], tuple(i["column_names"]))
                for i in insp.get_indexes(table)
                if not i.get("duplicates_constraint")
            ),
            "ck": sorted(c["name"] for c in insp.get_check_constraints(table)),
            "fk": sorted(
                (
                    f["name"],
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    f["options"].get("ondelete"),
                )
                for f in insp.get_foreign_keys(table)
            ),
        }
    return out


def test_unique_constraints_reject_duplicates(db_url: URL) -> None:
    upgrade(APP, db_url)
    with fk_connection(db_url) as conn:
        refs = seed(conn)
        for table, row in UNIQUE_ROWS:
            with conn.begin():
                insert(conn, table, row, refs)
            with pytest.raises(IntegrityError), conn.begin():
                insert(conn, table, row, refs)


def test_check_constraints_reject_values_outside_the_closed_sets(db_url: URL) -> None:
    upgrade(APP, db_url)
    with fk_connection(db_url) as conn:
        refs = seed(conn)
        for table, row, column, bad in BAD_VALUES:
            with pytest.raises(IntegrityError), conn.begin():
                insert(conn, table, {**row, column: bad}, refs)
            with conn.begin():  # the same row without the bad value is accepted
                insert(conn, table, row, refs)


def test_server_defaults(db_url: URL) -> None:
    upgrade(APP, db_url)
    with fk_connection(db_url) as conn:
        refs = seed(conn)
        user = conn.execute(
            text("SELECT role, is_active, created_at FROM users WHERE id = :id"),
            {"id": refs["user"]},
        ).one()
        assert (user.role, bool(user.is_active)) == ("user", True)
        assert user.created_at is not None
        sla = conn.execute(
            text(
                "SELECT status, response_breached, total_pause_minutes FROM ticket_slas"
                " WHERE id = :id"
            ),
            {"id": refs["ticket_sla"]},
        ).one()
        assert (sla.status, bool(sla.response_breached), sla.total_pause_minutes) == (
            "active",
            False,
            0,
        )
        ticket = conn.execute(
            text("SELECT status, ticket_type FROM tickets WHERE id = :id"), {"id": refs["ticket"]}
        ).one()
        assert tuple(ticket) == ("draft", "incident")


def test_foreign_key_rules_on_delete(db_url: URL) -> None:
    upgrade(APP, db_url)
    with fk_connection(db_url) as conn:
        refs = seed(conn)
        # RESTRICT: a requester, an SLA definition in use cannot be deleted.
        for table, ref in (("users", "user"), ("sla_definitions", "sla")):
            with pytest.raises(IntegrityError), conn.begin():
                conn.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": refs[ref]})
        with conn.begin():
            # CASCADE: a ticket takes its approvals and SLAs with it; SET NULL: notifications stay.
            conn.execute(text("DELETE FROM tickets WHERE id = :id"), {"id": refs["ticket"]})
            assert count(conn, "approvals", "ticket_id = :id", id=refs["ticket"]) == 0
            assert count(conn, "ticket_slas", "ticket_id = :id", id=refs["ticket"]) == 0
            assert count(conn, "notifications", "ticket_id IS NULL AND sla_id IS NULL") == 1
            # CASCADE: deleting a group or a user deletes their memberships.
            conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": refs["agent"]})
            assert count(conn, "assignment_group_members", "id = :id", id=refs["member"]) == 0
            insert(
                conn, "assignment_group_members", {"group_id": "{group}", "user_id": "{user}"}, refs
            )
            conn.execute(
                text("DELETE FROM assignment_groups WHERE id = :id"), {"id": refs["group"]}
            )
            assert count(conn, "assignment_group_members", "group_id = :id", id=refs["group"]) == 0


def test_downgrade_removes_every_table(db_url: URL) -> None:
    upgrade(APP, db_url)
    downgrade(APP, db_url, "base")
    with connect(db_url) as conn:
        tables = set(inspect(conn).get_table_names())
        assert not tables & set(COLUMNS)
        assert all(t.startswith(BOOKKEEPING) for t in tables), tables
