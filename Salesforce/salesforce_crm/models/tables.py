"""Core tables over the migrated Salesforce schema (versions 001-008).

Only the tables the service reads or writes are here (leads, opportunities and activities
are not served yet). Audit columns (``created_by_id``, ``last_modified_by_id``) are plain
integers, as in the SQL: users are never deleted, and the service sets them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    false,
    text,
    true,
)

from appdb.types import UTCDateTime, new_metadata, utc_now
from servicekit.messaging.tables import define_messaging_tables

METADATA = new_metadata()

WORK_ORDER_STATUSES = (
    "New",
    "In Progress",
    "On Hold",
    "Completed",
    "Canceled",
    "Closed",
    "Cannot Complete",
)
WORK_ORDER_PRIORITIES = ("Low", "Medium", "High", "Critical")
PROFILES = ("System Administrator", "Standard User", "Integration User")


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", UTCDateTime, nullable=False, server_default=utc_now()),
        Column("updated_at", UTCDateTime, nullable=False, server_default=utc_now()),
    ]


def _record_columns() -> list[Column[object]]:
    """The recycle bin and who wrote the row (005 and every later object table)."""
    return [
        Column("is_deleted", Boolean, nullable=False, server_default=false()),
        Column("created_by_id", Integer),
        Column("last_modified_by_id", Integer),
    ]


accounts = Table(
    "accounts",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("salesforce_id", String(18), unique=True),
    Column("name", String(255), nullable=False),
    Column("account_type", String(40)),
    Column("industry", String(80)),
    Column("phone", String(40)),
    Column("website", String(255)),
    Column("billing_street", String(255)),
    Column("billing_city", String(80)),
    Column("billing_state", String(80)),
    Column("billing_postal_code", String(20)),
    Column("billing_country", String(80)),
    Column("annual_revenue", Numeric(15, 2)),
    Column("number_of_employees", Integer),
    Column("description", Text),
    *_timestamps(),
    Column("email", String(255)),
    *_record_columns(),
    Column("external_id", String(255)),
)

contacts = Table(
    "contacts",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("salesforce_id", String(18), unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("first_name", String(40)),
    Column("last_name", String(80), nullable=False),
    Column("title", String(128)),
    Column("email", String(255)),
    Column("phone", String(40)),
    Column("mobile_phone", String(40)),
    *_timestamps(),
    *_record_columns(),
)

cases = Table(
    "cases",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("salesforce_id", String(18), unique=True),
    Column("case_number", String(30), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="SET NULL")),
    Column("subject", String(255), nullable=False),
    Column("description", Text),
    Column("status", String(20), nullable=False, server_default=text("'New'")),
    Column("priority", String(10), nullable=False, server_default=text("'Medium'")),
    Column("origin", String(10)),
    Column("closed_at", UTCDateTime),
    *_timestamps(),
    Column("service_type", String(40)),
    Column("requested_date", Date),
    Column("scenario_details", Text),
    *_record_columns(),
)

query_locators = Table(
    "query_locators",
    METADATA,
    Column("locator", String(18), primary_key=True),
    Column("soql", Text, nullable=False),
    Column("include_deleted", Boolean, nullable=False, server_default=false()),
    Column("batch_size", Integer, nullable=False),
    Column("total_size", Integer, nullable=False),
    Column("owner_id", String(18), nullable=False),
    Column("created_at", UTCDateTime, nullable=False, server_default=utc_now()),
    Column("expires_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("email", String(128), nullable=False),
    Column("first_name", String(40)),
    Column("last_name", String(80), nullable=False),
    Column("is_active", Boolean, nullable=False, server_default=true()),
    Column("profile", String(40), nullable=False, server_default=text("'Standard User'")),
    Column("password_hash", String(255)),
    Column("created_by_id", Integer),
    Column("last_modified_by_id", Integer),
    *_timestamps(),
    CheckConstraint(f"profile IN {PROFILES!r}", name="profile"),
)

connected_apps = Table(
    "connected_apps",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("consumer_key", String(100), nullable=False, unique=True),
    Column("consumer_secret_hash", String(255), nullable=False),
    Column("run_as_user_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), index=True),
    Column("is_active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UTCDateTime, nullable=False, server_default=utc_now()),
)

products = Table(
    "products",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, index=True),
    Column("product_code", String(255), unique=True),
    Column("description", Text),
    Column("is_active", Boolean, nullable=False, server_default=false()),
    Column("family", String(40)),
    Column("quantity_unit_of_measure", String(40)),
    *_record_columns(),
    *_timestamps(),
)

work_orders = Table(
    "work_orders",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("work_order_number", String(30), nullable=False, unique=True),
    Column("subject", String(255)),
    Column("description", Text),
    Column("status", String(40), nullable=False, server_default=text("'New'")),
    Column("priority", String(40)),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="SET NULL"), index=True),
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="SET NULL"), index=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="SET NULL"), index=True),
    Column("start_date", UTCDateTime),
    Column("end_date", UTCDateTime),
    Column("external_id", String(255), unique=True),
    Column("sap_work_order_id", String(40), index=True),
    Column("sap_status", String(40)),
    Column("sap_status_reason", String(255)),
    *_record_columns(),
    *_timestamps(),
)

work_order_line_items = Table(
    "work_order_line_items",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("line_item_number", String(30), nullable=False, unique=True),
    Column(
        "work_order_id",
        Integer,
        ForeignKey("work_orders.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("product_id", Integer, ForeignKey("products.id", ondelete="SET NULL"), index=True),
    Column("quantity", Numeric(18, 2)),
    Column("description", Text),
    Column("status", String(40), nullable=False, server_default=text("'New'")),
    *_record_columns(),
    *_timestamps(),
)

#: The CRM work-order flow's state per WorkOrder (009): the newest SAP status applied.
work_order_sap_sync = Table(
    "work_order_sap_sync",
    METADATA,
    Column(
        "work_order_id",
        Integer,
        ForeignKey("work_orders.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("sap_sequence", Integer, nullable=False, server_default=text("0")),
    Column("updated_at", UTCDateTime, nullable=False, server_default=utc_now()),
    CheckConstraint("sap_sequence >= 0", name="sap_sequence"),
)

MESSAGING = define_messaging_tables(METADATA)
