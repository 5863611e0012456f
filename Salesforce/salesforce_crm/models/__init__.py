"""The Salesforce service's tables, written by hand to match its SQL migrations.

The migrations in ``Salesforce/migrations`` are the schema; these Core tables describe it to
SQLAlchemy (a test reflects the migrated database and compares). Nothing here creates tables.
"""

from salesforce_crm.models.tables import (
    MESSAGING,
    METADATA,
    accounts,
    cases,
    connected_apps,
    contacts,
    products,
    query_locators,
    users,
    work_order_line_items,
    work_orders,
)

__all__ = [
    "MESSAGING",
    "METADATA",
    "accounts",
    "cases",
    "connected_apps",
    "contacts",
    "products",
    "query_locators",
    "users",
    "work_order_line_items",
    "work_orders",
]
