"""Mulesoft's 001_initial_migration against SCHEMAS.md, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from integration_platform.models import Base
from sqlalchemy import Connection, ForeignKeyConstraint, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from support import connect, downgrade, upgrade

APP = "mulesoft"
# Tables that are not the app's: Alembic's version table and netapps' migration ledger.
BOOKKEEPING = ("alembic_", "netapps_")

# SCHEMAS.md, "Mulesoft-Application": every table and the columns it must have.
COLUMNS: dict[str, set[str]] = {
    "users": {"id", "email", "hashed_password", "full_name", "role", "is_active", "created_at"},
    "integrations": {
        *("id", "name", "description", "flow_config", "status", "owner_id"),
        *("created_at", "updated_at"),
    },
    "integration_logs": {"id", "integration_id", "level", "message", "logged_at"},
    "api_endpoints": {
        *("id", "name", "path", "method", "rate_limit", "ip_whitelist", "requires_auth"),
        *("is_active", "created_at"),
    },
    "api_keys": {
        *("id", "key_hash", "key_prefix", "name", "user_id", "is_active", "created_at"),
        "last_used_at",
    },
    "connectors": {
        *("id", "connector_name", "connector_type", "connection_config", "credentials_ref"),
        *("status", "health_check_url", "last_health_check", "health_status"),
        *("created_at", "updated_at"),
    },
    "salesforce_cases": {
        *("id", "salesforce_id", "case_number", "subject", "description", "status"),
        *("priority", "origin", "account_id", "account_name", "contact_id", "contact_name"),
        *("owner_id", "owner_name", "created_date", "closed_date", "last_modified_date"),
        *("synced_at", "raw_data"),
    },
    "password_reset_tickets": {
        *("id", "correlation_id", "servicenow_ticket_id", "sap_ticket_id", "username"),
        *("user_email", "requester_name", "requester_email", "reason", "priority", "status"),
        *("sap_status", "servicenow_updated", "history", "created_at", "updated_at"),
    },
    "user_creation_approvals": {
        *("id", "correlation_id", "sap_username", "sap_roles", "servicenow_ticket_number"),
        *("servicenow_ticket_id", "approval_status", "approved_by", "approved_at"),
        *("rejection_reason", "sap_event_id", "history", "created_at", "updated_at"),
    },
}

# SCHEMAS.md's unique constraints: (table, a valid row); inserting the row twice must fail.
# "{user}" is replaced by the id of a user the test creates first.
UNIQUE_ROWS: list[tuple[str, dict[str, Any]]] = [
    ("users", {"email": "dup@example.com", "hashed_password": "h"}),
    ("api_keys", {"key_hash": "abc", "key_prefix": "ab", "name": "k", "user_id": "{user}"}),
    ("api_endpoints", {"name": "e", "path": "/orders", "method": "GET"}),
    ("connectors", {"connector_name": "sap-prod", "connector_type": "sap"}),
    ("salesforce_cases", {"salesforce_id": "500000000000000AAA"}),
    ("password_reset_tickets", {"correlation_id": "c-1", "username": "jdoe"}),
    ("user_creation_approvals", {"correlation_id": "c-1", "sap_username": "jdoe"}),
]

# Closed sets: (table, a valid row, column, a value outside the set).
BAD_VALUES: list[tuple[str, dict[str, Any], str, str]] = [
    ("users", {"email": "bad@example.com", "hashed_password": "h"}, "role", "root"),
    ("integrations", {"name": "i", "owner_id": "{user}"}, "status", "running"),
    ("integration_logs", {"integration_id": "{integration}", "message": "m"}, "level", "TRACE"),
    ("connectors", {"connector_name": "x", "connector_type": "sap"}, "connector_type", "ftp"),
    (
        "user_creation_approvals",
        {"correlation_id": "c-9", "sap_username": "u"},
        "approval_status",
        "maybe",
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
    """A user and an integration of theirs, for rows that need references."""
    refs: dict[str, int] = {}
    with conn.begin():
        refs["user"] = insert(
            conn, "users", {"email": "seed@example.com", "hashed_password": "h"}, refs
        )
        refs["integration"] = insert(
            conn, "integrations", {"name": "flow", "owner_id": "{user}"}, refs
        )
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
        assert user.role == "viewer"
        assert user.is_active is True or user.is_active == 1
        assert user.created_at is not None
        flow = conn.execute(
            text("SELECT status FROM integrations WHERE id = :id"), {"id": refs["integration"]}
        ).one()
        assert flow.status == "draft"


def test_foreign_key_rules_on_delete(db_url: URL) -> None:
    upgrade(APP, db_url)
    with fk_connection(db_url) as conn:
        refs = seed(conn)
        with conn.begin():
            insert(
                conn, "integration_logs", {"integration_id": "{integration}", "message": "hi"}, refs
            )
            insert(
                conn,
                "api_keys",
                {"key_hash": "h1", "key_prefix": "h", "name": "k", "user_id": "{user}"},
                refs,
            )
        # RESTRICT: a user who owns an integration cannot be deleted.
        with pytest.raises(IntegrityError), conn.begin():
            conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": refs["user"]})
        # CASCADE: deleting the integration deletes its logs; deleting the user, their keys.
        with conn.begin():
            conn.execute(
                text("DELETE FROM integrations WHERE id = :id"), {"id": refs["integration"]}
            )
            assert (
                count(conn, "integration_logs", "integration_id = :id", id=refs["integration"]) == 0
            )
            conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": refs["user"]})
            assert count(conn, "api_keys", "user_id = :id", id=refs["user"]) == 0


def test_downgrade_removes_every_table(db_url: URL) -> None:
    upgrade(APP, db_url)
    downgrade(APP, db_url, "base")
    with connect(db_url) as conn:
        tables = set(inspect(conn).get_table_names())
        assert not tables & set(COLUMNS)
        assert all(t.startswith(BOOKKEEPING) for t in tables), tables
