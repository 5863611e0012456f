"""Seed mock reference data: tickets, assets, orders, incidents, materials, stock movements,
cost centers, cost entries and approvals

A data migration. The tables are described here with lightweight ``sa.table()`` definitions
(only the columns written), not with the ORM models, so that later changes to the models do
not change what this revision does. Every row has a fixed key; the downgrade deletes exactly
those keys and nothing a user added. A seeded parent row (ticket, asset, material, cost
center) that a user's own row still references is kept, so that the downgrade neither fails
on a RESTRICT rule nor cascades into (or nulls out references in) the user's rows.

Revision ID: 006_seed_mock_data
Revises: 005_create_fi_tables
Create Date: 2024-01-15 00:05:00
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "006_seed_mock_data"
down_revision: str | Sequence[str] | None = "005_create_fi_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dt.UTC

tickets = sa.table(
    "tickets",
    sa.column("ticket_id", sa.String),
    sa.column("ticket_type", sa.String),
    sa.column("module", sa.String),
    sa.column("priority", sa.String),
    sa.column("status", sa.String),
    sa.column("title", sa.String),
    sa.column("description", sa.Text),
    sa.column("sla_deadline", sa.DateTime(timezone=True)),
    sa.column("assigned_to", sa.String),
    sa.column("created_by", sa.String),
    sa.column("correlation_id", sa.String),
    schema="core",
)
audit_entries = sa.table("audit_entries", sa.column("ticket_id", sa.String), schema="core")
assets = sa.table(
    "assets",
    sa.column("asset_id", sa.String),
    sa.column("asset_type", sa.String),
    sa.column("name", sa.String),
    sa.column("location", sa.String),
    sa.column("installation_date", sa.Date),
    sa.column("status", sa.String),
    sa.column("description", sa.Text),
    schema="pm",
)
maintenance_orders = sa.table(
    "maintenance_orders",
    sa.column("order_id", sa.String),
    sa.column("asset_id", sa.String),
    sa.column("ticket_id", sa.String),
    sa.column("order_type", sa.String),
    sa.column("status", sa.String),
    sa.column("description", sa.Text),
    sa.column("scheduled_date", sa.Date),
    sa.column("completed_date", sa.Date),
    sa.column("created_by", sa.String),
    schema="pm",
)
incidents = sa.table(
    "incidents",
    sa.column("incident_id", sa.String),
    sa.column("asset_id", sa.String),
    sa.column("ticket_id", sa.String),
    sa.column("fault_type", sa.String),
    sa.column("description", sa.Text),
    sa.column("reported_by", sa.String),
    sa.column("reported_at", sa.DateTime(timezone=True)),
    sa.column("resolved_at", sa.DateTime(timezone=True)),
    schema="pm",
)
materials = sa.table(
    "materials",
    sa.column("material_id", sa.String),
    sa.column("description", sa.String),
    sa.column("quantity", sa.Integer),
    sa.column("unit_of_measure", sa.String),
    sa.column("reorder_level", sa.Integer),
    sa.column("storage_location", sa.String),
    schema="mm",
)
stock_transactions = sa.table(
    "stock_transactions",
    sa.column("transaction_id", sa.String),
    sa.column("material_id", sa.String),
    sa.column("quantity_change", sa.Integer),
    sa.column("transaction_type", sa.String),
    sa.column("transaction_date", sa.DateTime(timezone=True)),
    sa.column("performed_by", sa.String),
    sa.column("reference_doc", sa.String),
    sa.column("notes", sa.Text),
    schema="mm",
)
requisitions = sa.table(
    "requisitions",
    sa.column("material_id", sa.String),
    sa.column("cost_center_id", sa.String),
    sa.column("ticket_id", sa.String),
    schema="mm",
)
cost_centers = sa.table(
    "cost_centers",
    sa.column("cost_center_id", sa.String),
    sa.column("name", sa.String),
    sa.column("budget_amount", sa.Numeric(15, 2)),
    sa.column("fiscal_year", sa.Integer),
    sa.column("responsible_manager", sa.String),
    sa.column("description", sa.Text),
    schema="fi",
)
cost_entries = sa.table(
    "cost_entries",
    sa.column("entry_id", sa.String),
    sa.column("cost_center_id", sa.String),
    sa.column("ticket_id", sa.String),
    sa.column("amount", sa.Numeric(15, 2)),
    sa.column("cost_type", sa.String),
    sa.column("description", sa.Text),
    sa.column("entry_date", sa.Date),
    sa.column("created_by", sa.String),
    schema="fi",
)
approvals = sa.table(
    "approvals",
    sa.column("approval_id", sa.String),
    sa.column("cost_center_id", sa.String),
    sa.column("ticket_id", sa.String),
    sa.column("amount", sa.Numeric(15, 2)),
    sa.column("justification", sa.Text),
    sa.column("decision", sa.String),
    sa.column("requested_by", sa.String),
    sa.column("requested_at", sa.DateTime(timezone=True)),
    sa.column("decided_by", sa.String),
    sa.column("decided_at", sa.DateTime(timezone=True)),
    sa.column("comments", sa.Text),
    schema="fi",
)

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
SEED: list[tuple[sa.TableClause, str, list[dict[str, object]]]] = [
    (tickets, "ticket_id", TICKETS),
    (assets, "asset_id", ASSETS),
    (maintenance_orders, "order_id", MAINTENANCE_ORDERS),
    (incidents, "incident_id", INCIDENTS),
    (materials, "material_id", MATERIALS),
    (stock_transactions, "transaction_id", STOCK_TRANSACTIONS),
    (cost_centers, "cost_center_id", COST_CENTERS),
    (cost_entries, "entry_id", COST_ENTRIES),
    (approvals, "approval_id", APPROVALS),
]

#: The rows (of tables that exist at this revision) that reference each seeded parent.
REFERENCES: dict[str, list[tuple[sa.TableClause, str]]] = {
    "tickets": [
        (audit_entries, "ticket_id"),
        (maintenance_orders, "ticket_id"),
        (incidents, "ticket_id"),
        (requisitions, "ticket_id"),
        (cost_entries, "ticket_id"),
        (approvals, "ticket_id"),
    ],
    "assets": [(maintenance_orders, "asset_id"), (incidents, "asset_id")],
    "materials": [(stock_transactions, "material_id"), (requisitions, "material_id")],
    "cost_centers": [
        (cost_entries, "cost_center_id"),
        (approvals, "cost_center_id"),
        (requisitions, "cost_center_id"),
    ],
}


def upgrade() -> None:
    for table, _key, rows in SEED:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    for table, key, rows in reversed(SEED):
        key_column = table.c[key]
        condition = key_column.in_([row[key] for row in rows])
        for child, column in REFERENCES.get(table.name, []):
            condition = condition & ~sa.exists().where(child.c[column] == key_column)
        op.execute(table.delete().where(condition))
