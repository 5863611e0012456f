"""The sObjects this service serves, over the tables of :mod:`salesforce_crm.models`.

Key prefixes are Salesforce's own (001 Account, 003 Contact, 500 Case, 0WO WorkOrder, 1WL
WorkOrderLineItem, 01t Product2, 005 User), so ids look and validate as real ones do. Fields
ending in ``__c`` are this org's custom fields. The audit fields (CreatedDate, CreatedById,
LastModifiedDate, LastModifiedById, SystemModstamp, IsDeleted) are the server's: never
createable or updateable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from salesforce_crm.models import tables as t
from salesforce_crm.sobjects.schema import Catalog, FieldDef, FieldType, SObjectDef


def _field(
    name: str,
    column: str,
    kind: FieldType,
    label: str,
    length: int = 0,
    **options: Any,
) -> FieldDef:
    return FieldDef(name=name, column=column, type=kind, label=label, length=length, **options)


def _id() -> FieldDef:
    return FieldDef(
        name="Id",
        column="id",
        type="id",
        label="Record ID",
        length=18,
        nillable=False,
        createable=False,
        updateable=False,
        defaulted_on_create=True,
    )


def _reference(
    name: str, column: str, label: str, to: str, relationship: str, required: bool = False
) -> FieldDef:
    return FieldDef(
        name=name,
        column=column,
        type="reference",
        label=label,
        length=18,
        nillable=not required,
        reference_to=to,
        relationship_name=relationship,
    )


def _picklist(
    name: str, column: str, label: str, values: tuple[str, ...], default: bool = False
) -> FieldDef:
    return FieldDef(
        name=name,
        column=column,
        type="picklist",
        label=label,
        length=max(len(v) for v in values),
        picklist_values=values,
        nillable=not default,
        defaulted_on_create=default,
    )


def _server(name: str, column: str, kind: FieldType, label: str, **options: Any) -> FieldDef:
    """A field only the server writes."""
    return FieldDef(
        name=name,
        column=column,
        type=kind,
        label=label,
        createable=False,
        updateable=False,
        defaulted_on_create=True,
        **options,
    )


def _audit(deletable: bool = True) -> tuple[FieldDef, ...]:
    fields = [
        _server("CreatedDate", "created_at", "datetime", "Created Date", nillable=False),
        FieldDef(
            name="CreatedById",
            column="created_by_id",
            type="reference",
            label="Created By ID",
            length=18,
            createable=False,
            updateable=False,
            defaulted_on_create=True,
            reference_to="User",
            relationship_name="CreatedBy",
        ),
        _server("LastModifiedDate", "updated_at", "datetime", "Last Modified Date", nillable=False),
        FieldDef(
            name="LastModifiedById",
            column="last_modified_by_id",
            type="reference",
            label="Last Modified By ID",
            length=18,
            createable=False,
            updateable=False,
            defaulted_on_create=True,
            reference_to="User",
            relationship_name="LastModifiedBy",
        ),
        _server("SystemModstamp", "updated_at", "datetime", "System Modstamp", nillable=False),
    ]
    if deletable:
        fields.append(_server("IsDeleted", "is_deleted", "boolean", "Deleted", nillable=False))
    return tuple(fields)


def _auto_number(name: str, column: str, label: str) -> FieldDef:
    return _server(name, column, "string", label, length=30, nillable=False, unique=True)


WORK_ORDER_STATUS = _picklist("Status", "status", "Status", t.WORK_ORDER_STATUSES, default=True)

ACCOUNT = SObjectDef(
    name="Account",
    label="Account",
    label_plural="Accounts",
    key_prefix="001",
    table=t.accounts,
    fields=(
        _id(),
        _field("Name", "name", "string", "Account Name", 255, nillable=False),
        _picklist(
            "Type",
            "account_type",
            "Account Type",
            (
                "Prospect",
                "Customer - Direct",
                "Customer - Channel",
                "Channel Partner / Reseller",
                "Installation Partner",
                "Technology Partner",
                "Other",
            ),
        ),
        _field("Industry", "industry", "string", "Industry", 80),
        _field("Phone", "phone", "phone", "Account Phone", 40),
        _field("Website", "website", "url", "Website", 255),
        _field("BillingStreet", "billing_street", "textarea", "Billing Street", 255),
        _field("BillingCity", "billing_city", "string", "Billing City", 80),
        _field("BillingState", "billing_state", "string", "Billing State/Province", 80),
        _field("BillingPostalCode", "billing_postal_code", "string", "Billing Zip", 20),
        _field("BillingCountry", "billing_country", "string", "Billing Country", 80),
        _field(
            "AnnualRevenue",
            "annual_revenue",
            "currency",
            "Annual Revenue",
            precision=15,
            scale=2,
        ),
        _field("NumberOfEmployees", "number_of_employees", "int", "Employees", precision=9),
        _field("Description", "description", "textarea", "Account Description", 32000),
        _field("Email__c", "email", "email", "Email", 255),
        _field(
            "External_Id__c",
            "external_id",
            "string",
            "External ID",
            255,
            external_id=True,
        ),
        *_audit(),
    ),
)

CONTACT = SObjectDef(
    name="Contact",
    label="Contact",
    label_plural="Contacts",
    key_prefix="003",
    table=t.contacts,
    fields=(
        _id(),
        _reference("AccountId", "account_id", "Account ID", "Account", "Account"),
        _field("FirstName", "first_name", "string", "First Name", 40),
        _field("LastName", "last_name", "string", "Last Name", 80, nillable=False),
        _field("Title", "title", "string", "Title", 128),
        _field("Email", "email", "email", "Email", 255),
        _field("Phone", "phone", "phone", "Business Phone", 40),
        _field("MobilePhone", "mobile_phone", "phone", "Mobile Phone", 40),
        *_audit(),
    ),
)

CASE = SObjectDef(
    name="Case",
    label="Case",
    label_plural="Cases",
    key_prefix="500",
    table=t.cases,
    fields=(
        _id(),
        _auto_number("CaseNumber", "case_number", "Case Number"),
        _reference("AccountId", "account_id", "Account ID", "Account", "Account"),
        _reference("ContactId", "contact_id", "Contact ID", "Contact", "Contact"),
        _field("Subject", "subject", "string", "Subject", 255, nillable=False),
        _field("Description", "description", "textarea", "Description", 32000),
        _picklist("Status", "status", "Status", ("New", "Working", "Escalated", "Closed"), True),
        _picklist("Priority", "priority", "Priority", ("High", "Medium", "Low"), True),
        _picklist("Origin", "origin", "Case Origin", ("Phone", "Email", "Web")),
        _server("ClosedDate", "closed_at", "datetime", "Closed Date"),
        _picklist(
            "Service_Type__c",
            "service_type",
            "Service Type",
            (
                "installation",
                "maintenance",
                "repair",
                "inspection",
                "upgrade",
                "decommissioning",
                "consultation",
            ),
        ),
        _field("Requested_Date__c", "requested_date", "date", "Requested Date"),
        _field("Scenario_Details__c", "scenario_details", "textarea", "Scenario Details", 32000),
        *_audit(),
    ),
)

WORK_ORDER = SObjectDef(
    name="WorkOrder",
    label="Work Order",
    label_plural="Work Orders",
    key_prefix="0WO",
    table=t.work_orders,
    fields=(
        _id(),
        _auto_number("WorkOrderNumber", "work_order_number", "Work Order Number"),
        _field("Subject", "subject", "string", "Subject", 255),
        _field("Description", "description", "textarea", "Description", 32000),
        WORK_ORDER_STATUS,
        _picklist("Priority", "priority", "Priority", t.WORK_ORDER_PRIORITIES),
        _reference("AccountId", "account_id", "Account ID", "Account", "Account"),
        _reference("ContactId", "contact_id", "Contact ID", "Contact", "Contact"),
        _reference("CaseId", "case_id", "Case ID", "Case", "Case"),
        _field("StartDate", "start_date", "datetime", "Start Date"),
        _field("EndDate", "end_date", "datetime", "End Date"),
        _field(
            "External_Id__c",
            "external_id",
            "string",
            "External ID",
            255,
            external_id=True,
            unique=True,
        ),
        _field("SAP_Work_Order_Id__c", "sap_work_order_id", "string", "SAP Work Order ID", 40),
        _field("SAP_Status__c", "sap_status", "string", "SAP Status", 40),
        _field("SAP_Status_Reason__c", "sap_status_reason", "string", "SAP Status Reason", 255),
        *_audit(),
    ),
)

WORK_ORDER_LINE_ITEM = SObjectDef(
    name="WorkOrderLineItem",
    label="Work Order Line Item",
    label_plural="Work Order Line Items",
    key_prefix="1WL",
    table=t.work_order_line_items,
    fields=(
        _id(),
        _auto_number("LineItemNumber", "line_item_number", "Line Item Number"),
        FieldDef(
            name="WorkOrderId",
            column="work_order_id",
            type="reference",
            label="Work Order ID",
            length=18,
            nillable=False,
            updateable=False,
            reference_to="WorkOrder",
            relationship_name="WorkOrder",
        ),
        _reference("Product2Id", "product_id", "Product ID", "Product2", "Product2"),
        _field("Quantity", "quantity", "double", "Quantity", precision=18, scale=2),
        _field("Description", "description", "textarea", "Description", 32000),
        _picklist("Status", "status", "Status", t.WORK_ORDER_STATUSES, default=True),
        *_audit(),
    ),
)

PRODUCT = SObjectDef(
    name="Product2",
    label="Product",
    label_plural="Products",
    key_prefix="01t",
    table=t.products,
    fields=(
        _id(),
        _field("Name", "name", "string", "Product Name", 255, nillable=False),
        _field(
            "ProductCode",
            "product_code",
            "string",
            "Product Code",
            255,
            external_id=True,
            unique=True,
        ),
        _field("Description", "description", "textarea", "Product Description", 4000),
        _field(
            "IsActive", "is_active", "boolean", "Active", nillable=False, defaulted_on_create=True
        ),
        _field("Family", "family", "string", "Product Family", 40),
        _field(
            "QuantityUnitOfMeasure",
            "quantity_unit_of_measure",
            "string",
            "Quantity Unit Of Measure",
            40,
        ),
        *_audit(),
    ),
)

USER = SObjectDef(
    name="User",
    label="User",
    label_plural="Users",
    key_prefix="005",
    table=t.users,
    deletable=False,
    deleted_column=None,
    fields=(
        _id(),
        _field(
            "Username",
            "username",
            "string",
            "Username",
            80,
            nillable=False,
            unique=True,
            external_id=True,
        ),
        _field("Email", "email", "email", "Email", 128, nillable=False),
        _field("FirstName", "first_name", "string", "First Name", 40),
        _field("LastName", "last_name", "string", "Last Name", 80, nillable=False),
        _field(
            "IsActive", "is_active", "boolean", "Active", nillable=False, defaulted_on_create=True
        ),
        _picklist("Profile__c", "profile", "Profile", t.PROFILES, default=True),
        *_audit(deletable=False),
    ),
)

CATALOG = Catalog((ACCOUNT, CONTACT, CASE, WORK_ORDER, WORK_ORDER_LINE_ITEM, PRODUCT, USER))


@dataclass(frozen=True)
class ObjectExtras:
    """What describe and the REST layer need beyond the schema types."""

    name_field: str  # the field recent items and describe's nameField show
    auto_number: tuple[str, str] | None = None  # (column, format of the row id)


EXTRAS: dict[str, ObjectExtras] = {
    "Account": ObjectExtras("Name"),
    "Contact": ObjectExtras("LastName"),
    "Case": ObjectExtras("CaseNumber", ("case_number", "{:08d}")),
    "WorkOrder": ObjectExtras("WorkOrderNumber", ("work_order_number", "{:08d}")),
    "WorkOrderLineItem": ObjectExtras("LineItemNumber", ("line_item_number", "{:05d}")),
    "Product2": ObjectExtras("Name"),
    "User": ObjectExtras("Username"),
}

#: Child relationships describe shows (parent, child, field) -> relationship name.
CHILD_RELATIONSHIPS: dict[tuple[str, str, str], str] = {
    ("Account", "Contact", "AccountId"): "Contacts",
    ("Account", "Case", "AccountId"): "Cases",
    ("Account", "WorkOrder", "AccountId"): "WorkOrders",
    ("Contact", "Case", "ContactId"): "Cases",
    ("Contact", "WorkOrder", "ContactId"): "WorkOrders",
    ("Case", "WorkOrder", "CaseId"): "WorkOrders",
    ("WorkOrder", "WorkOrderLineItem", "WorkOrderId"): "WorkOrderLineItems",
}

#: What goes to the recycle bin with a record (Salesforce's master-detail and the account's
#: contacts, as 001's foreign keys cascade): parent -> (child object, its field to the parent).
CASCADE_DELETES: dict[str, tuple[tuple[str, str], ...]] = {
    "Account": (("Contact", "AccountId"),),
    "WorkOrder": (("WorkOrderLineItem", "WorkOrderId"),),
}
