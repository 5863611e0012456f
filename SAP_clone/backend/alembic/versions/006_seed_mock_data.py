"""Seed mock reference data: tickets, assets, orders, incidents, materials, stock movements,
cost centers, cost entries and approvals

A data migration. The tables are described here with lightweight ``sa.table()`` definitions
(only the columns written), not with the ORM models, so that later changes to the models do
not change what this revision does. Every row has a fixed key; the downgrade deletes exactly
those keys and nothing a user added. A seeded parent row (ticket, asset, material, cost
center) that a user's own row still references is kept, so that the downgrade neither fails
on a RESTRICT rule nor cascades into (or nulls out references in) the user's rows; upgrading
again inserts only the seeded rows that are missing.

Revision ID: 006_seed_mock_data
Revises: 005_create_fi_tables
Create Date: 2024-01-15 00:05:00
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

from netapps.ops import dialect_name

revision: str = "006_seed_mock_data"
down_revision: str | Sequence[str] | None = "005_create_fi_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dt.UTC

#: table -> (schema, columns) for every table this revision writes or checks: only the columns
#: it uses, as lightweight ``sa.table()`` definitions built when the migration runs (see _table).
TABLES: dict[str, tuple[str, list[tuple[str, Any]]]] = {
    "tickets": (
        "core",
        [
            ("ticket_id", sa.String),
            ("ticket_type", sa.String),
            ("module", sa.String),
            ("priority", sa.String),
            ("status", sa.String),
            ("title", sa.String),
            ("description", sa.Text),
            ("sla_deadline", sa.DateTime(timezone=True)),
            ("assigned_to", sa.String),
            ("created_by", sa.String),
            ("correlation_id", sa.String),
        ],
    ),
    "audit_entries": (
        "core",
        [
            ("ticket_id", sa.String),
        ],
    ),
    "assets": (
        "pm",
        [
            ("asset_id", sa.String),
            ("asset_type", sa.String),
            ("name", sa.String),
            ("location", sa.String),
            ("installation_date", sa.Date),
            ("status", sa.String),
            ("description", sa.Text),
        ],
    ),
    "maintenance_orders": (
        "pm",
        [
            ("order_id", sa.String),
            ("asset_id", sa.String),
            ("ticket_id", sa.String),
            ("order_type", sa.String),
            ("status", sa.String),
            ("description", sa.Text),
            ("scheduled_date", sa.Date),
            ("completed_date", sa.Date),
            ("created_by", sa.String),
        ],
    ),
    "incidents": (
        "pm",
        [
            ("incident_id", sa.String),
            ("asset_id", sa.String),
            ("ticket_id", sa.String),
            ("fault_type", sa.String),
            ("description", sa.Text),
            ("reported_by", sa.String),
            ("reported_at", sa.DateTime(timezone=True)),
            ("resolved_at", sa.DateTime(timezone=True)),
        ],
    ),
    "materials": (
        "mm",
        [
            ("material_id", sa.String),
            ("description", sa.String),
            ("quantity", sa.Integer),
            ("unit_of_measure", sa.String),
            ("reorder_level", sa.Integer),
            ("storage_location", sa.String),
        ],
    ),
    "stock_transactions": (
        "mm",
        [
            ("transaction_id", sa.String),
            ("material_id", sa.String),
            ("quantity_change", sa.Integer),
            ("transaction_type", sa.String),
            ("transaction_date", sa.DateTime(timezone=True)),
            ("performed_by", sa.String),
            ("reference_doc", sa.String),
            ("notes", sa.Text),
        ],
    ),
    "requisitions": (
        "mm",
        [
            ("material_id", sa.String),
            ("cost_center_id", sa.String),
            ("ticket_id", sa.String),
        ],
    ),
    "cost_centers": (
        "fi",
        [
            ("cost_center_id", sa.String),
            ("name", sa.String),
            ("budget_amount", sa.Numeric(15, 2)),
            ("fiscal_year", sa.Integer),
            ("responsible_manager", sa.String),
            ("description", sa.Text),
        ],
    ),
    "cost_entries": (
        "fi",
        [
            ("entry_id", sa.String),
            ("cost_center_id", sa.String),
            ("ticket_id", sa.String),
            ("amount", sa.Numeric(15, 2)),
            ("cost_type", sa.String),
            ("description", sa.Text),
            ("entry_date", sa.Date),
            ("created_by", sa.String),
        ],
    ),
    "approvals": (
        "fi",
        [
            ("approval_id", sa.String),
            ("cost_center_id", sa.String),
            ("ticket_id", sa.String),
            ("amount", sa.Numeric(15, 2)),
            ("justification", sa.Text),
            ("decision", sa.String),
            ("requested_by", sa.String),
            ("requested_at", sa.DateTime(timezone=True)),
            ("decided_by", sa.String),
            ("decided_at", sa.DateTime(timezone=True)),
            ("comments", sa.Text),
        ],
    ),
}

TICKETS = [
    {
        "ticket_id": "TKT-PM-20240115-0001",
        "ticket_type": "Maintenance",
        "module": "PM",
        "priority": "P2",
        "status": "Open",
        "title": "Annual inspection of transformer T-101",
        "description": "Scheduled preventive inspection of the main transformer.",
        "sla_deadline": dt.datetime(2024, 1, 22, 17, 0, tzinfo=UTC),
        "assigned_to": "maint.planner",
        "created_by": "system",
        "correlation_id": "seed-0001",
    },
    {
        "ticket_id": "TKT-PM-20240116-0001",
        "ticket_type": "Incident",
        "module": "PM",
        "priority": "P1",
        "status": "Assigned",
        "title": "Outage on feeder F-12",
        "description": "Feeder F-12 tripped; 1,200 customers without supply.",
        "sla_deadline": dt.datetime(2024, 1, 16, 12, 0, tzinfo=UTC),
        "assigned_to": "field.crew.north",
        "created_by": "control.room",
        "correlation_id": "seed-0002",
    },
    {
        "ticket_id": "TKT-MM-20240117-0001",
        "ticket_type": "Procurement",
        "module": "MM",
        "priority": "P3",
        "status": "Open",
        "title": "Replenish medium-voltage cable stock",
        "description": "Cable stock below reorder level.",
        "sla_deadline": dt.datetime(2024, 1, 31, 17, 0, tzinfo=UTC),
        "assigned_to": None,
        "created_by": "mm.clerk",
        "correlation_id": "seed-0003",
    },
    {
        "ticket_id": "TKT-FI-20240118-0001",
        "ticket_type": "Finance_Approval",
        "module": "FI",
        "priority": "P2",
        "status": "Open",
        "title": "Approve transformer refurbishment budget",
        "description": "CAPEX approval for the refurbishment of T-101.",
        "sla_deadline": dt.datetime(2024, 1, 25, 17, 0, tzinfo=UTC),
        "assigned_to": "fi.controller",
        "created_by": "maint.planner",
        "correlation_id": "seed-0004",
    },
]
ASSETS = [
    {
        "asset_id": "AST-SUB-001",
        "asset_type": "substation",
        "name": "Northgate Substation",
        "location": "Northgate, Grid Sector 1",
        "installation_date": dt.date(2005, 6, 1),
        "status": "operational",
        "description": "110/20 kV primary substation.",
    },
    {
        "asset_id": "AST-TRF-001",
        "asset_type": "transformer",
        "name": "Transformer T-101",
        "location": "Northgate Substation, Bay 2",
        "installation_date": dt.date(2008, 3, 15),
        "status": "under_maintenance",
        "description": "40 MVA power transformer.",
    },
    {
        "asset_id": "AST-FDR-001",
        "asset_type": "feeder",
        "name": "Feeder F-12",
        "location": "Northgate to Millbrook",
        "installation_date": dt.date(2010, 9, 30),
        "status": "out_of_service",
        "description": "20 kV overhead feeder.",
    },
]
MAINTENANCE_ORDERS = [
    {
        "order_id": "MO-2024-0001",
        "asset_id": "AST-TRF-001",
        "ticket_id": "TKT-PM-20240115-0001",
        "order_type": "preventive",
        "status": "planned",
        "description": "Oil sampling, bushing inspection, thermography.",
        "scheduled_date": dt.date(2024, 1, 20),
        "completed_date": None,
        "created_by": "maint.planner",
    },
    {
        "order_id": "MO-2024-0002",
        "asset_id": "AST-FDR-001",
        "ticket_id": "TKT-PM-20240116-0001",
        "order_type": "emergency",
        "status": "in_progress",
        "description": "Locate and repair the fault on feeder F-12.",
        "scheduled_date": dt.date(2024, 1, 16),
        "completed_date": None,
        "created_by": "control.room",
    },
]
INCIDENTS = [
    {
        "incident_id": "INC-2024-0001",
        "asset_id": "AST-FDR-001",
        "ticket_id": "TKT-PM-20240116-0001",
        "fault_type": "outage",
        "description": "Feeder breaker tripped on earth fault.",
        "reported_by": "control.room",
        "reported_at": dt.datetime(2024, 1, 16, 7, 42, tzinfo=UTC),
        "resolved_at": None,
    },
]
MATERIALS = [
    {
        "material_id": "MAT-CBL-001",
        "description": "Medium-voltage cable 20 kV, 240 mm2 (m)",
        "quantity": 350,
        "unit_of_measure": "M",
        "reorder_level": 500,
        "storage_location": "WH-NORTH-A1",
    },
    {
        "material_id": "MAT-OIL-001",
        "description": "Transformer insulating oil (l)",
        "quantity": 2000,
        "unit_of_measure": "L",
        "reorder_level": 500,
        "storage_location": "WH-NORTH-B2",
    },
    {
        "material_id": "MAT-FUS-001",
        "description": "Fuse link 20 kV, 63 A",
        "quantity": 40,
        "unit_of_measure": "EA",
        "reorder_level": 10,
        "storage_location": "WH-NORTH-C3",
    },
]
STOCK_TRANSACTIONS = [
    {
        "transaction_id": "STX-2024-0001",
        "material_id": "MAT-OIL-001",
        "quantity_change": 1000,
        "transaction_type": "receipt",
        "transaction_date": dt.datetime(2024, 1, 10, 9, 0, tzinfo=UTC),
        "performed_by": "wh.clerk",
        "reference_doc": "PO-4500001234",
        "notes": "Delivery from supplier.",
    },
    {
        "transaction_id": "STX-2024-0002",
        "material_id": "MAT-FUS-001",
        "quantity_change": -6,
        "transaction_type": "issue",
        "transaction_date": dt.datetime(2024, 1, 16, 8, 15, tzinfo=UTC),
        "performed_by": "field.crew.north",
        "reference_doc": "MO-2024-0002",
        "notes": "Issued for the feeder F-12 repair.",
    },
]
COST_CENTERS = [
    {
        "cost_center_id": "CC-PM-2024",
        "name": "Plant Maintenance North",
        "budget_amount": Decimal("1250000.00"),
        "fiscal_year": 2024,
        "responsible_manager": "pm.manager",
        "description": "Maintenance of the northern grid.",
    },
    {
        "cost_center_id": "CC-MM-2024",
        "name": "Materials and Warehousing",
        "budget_amount": Decimal("480000.00"),
        "fiscal_year": 2024,
        "responsible_manager": "mm.manager",
        "description": "Stock and procurement.",
    },
]
COST_ENTRIES = [
    {
        "entry_id": "CE-2024-0001",
        "cost_center_id": "CC-PM-2024",
        "ticket_id": "TKT-PM-20240116-0001",
        "amount": Decimal("18450.75"),
        "cost_type": "OPEX",
        "description": "Emergency repair of feeder F-12.",
        "entry_date": dt.date(2024, 1, 17),
        "created_by": "fi.clerk",
    },
    {
        "entry_id": "CE-2024-0002",
        "cost_center_id": "CC-MM-2024",
        "ticket_id": "TKT-MM-20240117-0001",
        "amount": Decimal("42000.00"),
        "cost_type": "CAPEX",
        "description": "Cable stock replenishment.",
        "entry_date": dt.date(2024, 1, 18),
        "created_by": "fi.clerk",
    },
]
APPROVALS = [
    {
        "approval_id": "APR-2024-0001",
        "cost_center_id": "CC-PM-2024",
        "ticket_id": "TKT-FI-20240118-0001",
        "amount": Decimal("250000.00"),
        "justification": "Refurbishment extends the transformer's life by 15 years.",
        "decision": "pending",
        "requested_by": "maint.planner",
        "requested_at": dt.datetime(2024, 1, 18, 10, 30, tzinfo=UTC),
        "decided_by": None,
        "decided_at": None,
        "comments": None,
    },
]

#: Parents first (insert order); the downgrade goes the other way.
SEED: list[tuple[str, str, list[dict[str, object]]]] = [
    ("tickets", "ticket_id", TICKETS),
    ("assets", "asset_id", ASSETS),
    ("maintenance_orders", "order_id", MAINTENANCE_ORDERS),
    ("incidents", "incident_id", INCIDENTS),
    ("materials", "material_id", MATERIALS),
    ("stock_transactions", "transaction_id", STOCK_TRANSACTIONS),
    ("cost_centers", "cost_center_id", COST_CENTERS),
    ("cost_entries", "entry_id", COST_ENTRIES),
    ("approvals", "approval_id", APPROVALS),
]

#: The rows (of tables that exist at this revision) that reference each seeded parent.
REFERENCES: dict[str, list[tuple[str, str]]] = {
    "tickets": [
        ("audit_entries", "ticket_id"),
        ("maintenance_orders", "ticket_id"),
        ("incidents", "ticket_id"),
        ("requisitions", "ticket_id"),
        ("cost_entries", "ticket_id"),
        ("approvals", "ticket_id"),
    ],
    "assets": [("maintenance_orders", "asset_id"), ("incidents", "asset_id")],
    "materials": [("stock_transactions", "material_id"), ("requisitions", "material_id")],
    "cost_centers": [
        ("cost_entries", "cost_center_id"),
        ("approvals", "cost_center_id"),
        ("requisitions", "cost_center_id"),
    ],
}


def _table(name: str) -> sa.TableClause:
    """A lightweight table for ``name``.

    The schema is resolved here, when the migration runs, and left out on SQLite: unlike
    ``sa.Table``, a ``sa.table()`` clause does not take part in ``schema_translate_map``, so
    netapps' mapping of schema names on SQLite does not reach it.
    """
    schema, columns = TABLES[name]
    return sa.table(
        name,
        *(sa.column(column, type_) for column, type_ in columns),
        schema=None if dialect_name() == "sqlite" else schema,
    )


def upgrade() -> None:
    for name, key, rows in SEED:
        table = _table(name)
        op.bulk_insert(table, _missing(table, key, rows))


def _missing(
    table: sa.TableClause, key: str, rows: list[dict[str, object]]
) -> list[dict[str, object]]:
    """The rows whose key is not in the table yet: a downgrade keeps a seeded row that a user's
    row references, and upgrading again must not fail on it. (Offline, all rows.)"""
    if op.get_context().as_sql:
        return rows
    keys = [row[key] for row in rows]
    found = set(
        op.get_bind().execute(sa.select(table.c[key]).where(table.c[key].in_(keys))).scalars()
    )
    return [row for row in rows if row[key] not in found]


def downgrade() -> None:
    for name, key, rows in reversed(SEED):
        table = _table(name)
        key_column = table.c[key]
        condition = key_column.in_([row[key] for row in rows])
        for child_name, column in REFERENCES.get(name, []):
            child = _table(child_name)
            condition = condition & ~sa.exists().where(child.c[column] == key_column)
        op.execute(table.delete().where(condition))
