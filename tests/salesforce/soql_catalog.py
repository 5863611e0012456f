"""What the SOQL tests share: a catalog over the CRM tables of migrations 001-003 (Account,
Contact, Case) and a table of the tests' own with the recycle-bin flag (Widget), a migrated
database of either engine with a known set of rows, and the engine's calls run to completion.

The service's own catalog comes from the service; the engine is handed a catalog, so the tests
build theirs here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from salesforce_crm.sobjects import ids
from salesforce_crm.sobjects.schema import Catalog, FieldDef, SObjectDef
from salesforce_crm.soql import paging, query_more, run_query
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    text,
)
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

T = TypeVar("T")
API = "62.0"
OWNER = "0055g0000000001AAA"
#: Every test's "now" for the relative date literals (a Tuesday, mid-month).
NOW = dt.datetime(2026, 12, 8, 12, 0, 0, tzinfo=dt.UTC)

metadata = MetaData()
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255)),
    Column("account_type", String(40)),
    Column("industry", String(80)),
    Column("phone", String(40)),
    Column("website", String(255)),
    Column("billing_city", String(80)),
    Column("annual_revenue", Numeric(15, 2)),
    Column("number_of_employees", Integer),
    Column("description", Text),
    Column("created_at", DateTime(timezone=True)),
)
contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer),
    Column("first_name", String(40)),
    Column("last_name", String(80)),
    Column("email", String(255)),
    Column("created_at", DateTime(timezone=True)),
)
cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_number", String(30)),
    Column("account_id", Integer),
    Column("contact_id", Integer),
    Column("subject", String(255)),
    Column("status", String(20)),
    Column("priority", String(10)),
    Column("closed_at", DateTime(timezone=True)),
    Column("requested_date", Date),
    Column("created_at", DateTime(timezone=True)),
)
#: The tests' own table: every type a filter treats differently, and IsDeleted.
widgets = Table(
    "soql_widgets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80)),
    Column("active", Boolean),
    Column("quantity", Integer),
    Column("score", Float),
    Column("due", Date),
    Column("seen_at", DateTime(timezone=True)),
    Column("is_deleted", Boolean, nullable=False, server_default=text("false")),
)


def _id() -> FieldDef:
    return FieldDef("Id", "id", "id", createable=False, updateable=False, nillable=False)


def _created() -> FieldDef:
    return FieldDef("CreatedDate", "created_at", "datetime", createable=False)


def _account_ref(column: str = "account_id") -> FieldDef:
    return FieldDef(
        "AccountId", column, "reference", reference_to="Account", relationship_name="Account"
    )


ACCOUNT = SObjectDef(
    name="Account",
    label="Account",
    label_plural="Accounts",
    key_prefix="001",
    table=accounts,
    deleted_column=None,
    fields=(
        _id(),
        FieldDef("Name", "name", "string", length=255, nillable=False),
        FieldDef("Type", "account_type", "picklist"),
        FieldDef("Industry", "industry", "string"),
        FieldDef("Phone", "phone", "phone"),
        FieldDef("Website", "website", "url"),
        FieldDef("BillingCity", "billing_city", "string"),
        FieldDef("AnnualRevenue", "annual_revenue", "currency"),
        FieldDef("NumberOfEmployees", "number_of_employees", "int"),
        FieldDef("Description", "description", "textarea", filterable=False, sortable=False),
        _created(),
    ),
)
CONTACT = SObjectDef(
    name="Contact",
    label="Contact",
    label_plural="Contacts",
    key_prefix="003",
    table=contacts,
    deleted_column=None,
    fields=(
        _id(),
        _account_ref(),
        FieldDef("FirstName", "first_name", "string"),
        FieldDef("LastName", "last_name", "string", nillable=False),
        FieldDef("Email", "email", "email"),
        _created(),
    ),
)
CASE = SObjectDef(
    name="Case",
    label="Case",
    label_plural="Cases",
    key_prefix="500",
    table=cases,
    deleted_column=None,
    fields=(
        _id(),
        FieldDef("CaseNumber", "case_number", "string"),
        _account_ref(),
        FieldDef(
            "ContactId",
            "contact_id",
            "reference",
            reference_to="Contact",
            relationship_name="Contact",
        ),
        FieldDef("Subject", "subject", "string"),
        FieldDef("Status", "status", "picklist"),
        FieldDef("Priority", "priority", "picklist"),
        FieldDef("ClosedDate", "closed_at", "datetime"),
        FieldDef("Requested_Date__c", "requested_date", "date"),
        _created(),
    ),
)
WIDGET = SObjectDef(
    name="Widget__c",
    label="Widget",
    label_plural="Widgets",
    key_prefix="a01",
    table=widgets,
    deleted_column="is_deleted",
    fields=(
        _id(),
        FieldDef("Name", "name", "string"),
        FieldDef("Active__c", "active", "boolean"),
        FieldDef("Quantity__c", "quantity", "int"),
        FieldDef("Score__c", "score", "double"),
        FieldDef("Due__c", "due", "date"),
        FieldDef("Seen__c", "seen_at", "datetime"),
        FieldDef("IsDeleted", "is_deleted", "boolean", createable=False, updateable=False),
    ),
)
CATALOG = Catalog((ACCOUNT, CONTACT, CASE, WIDGET))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def account_id(row: int) -> str:
    return ids.encode("001", row)


def contact_id(row: int) -> str:
    return ids.encode("003", row)


ACCOUNTS = [
    # id, name, type, city, revenue, employees, created
    (1, "Acme", "Customer - Direct", "Paris", Decimal("1500000.00"), 120, utc(2026, 1, 5, 9)),
    (2, "Globex", "Prospect", "Berlin", Decimal("250000.50"), 40, utc(2026, 11, 20, 8)),
    (3, "Initech", None, None, None, None, utc(2026, 12, 8, 7, 30)),
    (4, "O'Brien & Sons", "Other", "Dublin", Decimal("99.99"), 3, utc(2025, 6, 1)),
    (5, "école 50% off_", "Other", "Lyon", Decimal("10"), 10, utc(2026, 12, 1)),
]
CONTACTS = [
    # id, account, first, last, email
    (1, 1, "Ada", "Lovelace", "ada@acme.test"),
    (2, 1, "Alan", "Turing", None),
    (3, 2, None, "Hopper", "grace@globex.test"),
    (4, None, "Orphan", "Nobody", None),
]
CASES = [
    # id, number, account, contact, subject, status, requested
    (1, "00001001", 1, 1, "Printer on fire", "New", dt.date(2026, 12, 10)),
    (2, "00001002", None, None, "Who am I", "Closed", None),
    (3, "00001003", 2, 1, "Wrong account's contact", "Working", dt.date(2026, 11, 1)),
]
WIDGETS = [
    # id, name, active, quantity, score, due, seen, deleted
    (1, "alpha", True, 1, 0.5, dt.date(2026, 12, 8), utc(2026, 12, 8, 0, 0, 0), False),
    (2, "beta", False, 2, 1.5, dt.date(2026, 12, 7), utc(2026, 12, 7, 23, 59, 59), False),
    (3, "gamma", None, None, None, None, None, False),
    (4, "delta", True, 4, -2.25, dt.date(2026, 11, 30), utc(2026, 11, 15, 10), True),
    (5, "epsilon", False, 5, 100.0, dt.date(2027, 1, 1), utc(2025, 12, 31, 23), False),
    (6, "zeta", True, 6, 3.0, dt.date(2026, 12, 9), utc(2026, 12, 9, 0, 0, 0), False),
    (7, "eta", True, 7, 3.0, dt.date(2026, 12, 1), utc(2026, 12, 1, 12), False),
]


def async_url(url: URL) -> URL:
    backend = url.get_backend_name()
    return url.set(drivername=f"{backend}+{'aiosqlite' if backend == 'sqlite' else 'asyncpg'}")


def seed(url: URL) -> None:
    """The tests' rows, and the widgets table, in the database at ``url`` (sync driver)."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        widgets.create(conn)
        for row_id, name, kind, city, revenue, employees, created in ACCOUNTS:
            conn.execute(
                accounts.insert().values(
                    id=row_id,
                    name=name,
                    account_type=kind,
                    billing_city=city,
                    annual_revenue=revenue,
                    number_of_employees=employees,
                    created_at=created,
                )
            )
        for row_id, account, first, last, email in CONTACTS:
            conn.execute(
                contacts.insert().values(
                    id=row_id, account_id=account, first_name=first, last_name=last, email=email
                )
            )
        for row_id, number, account, contact, subject, status, requested in CASES:
            conn.execute(
                cases.insert().values(
                    id=row_id,
                    case_number=number,
                    account_id=account,
                    contact_id=contact,
                    subject=subject,
                    status=status,
                    priority="Medium",
                    requested_date=requested,
                )
            )
        for row in WIDGETS:
            values = dict(
                zip(
                    ("id", "name", "active", "quantity", "score", "due", "seen_at", "is_deleted"),
                    row,
                    strict=True,
                )
            )
            conn.execute(widgets.insert().values(**values))
    engine.dispose()


@dataclass
class Clock:
    """The engine's clock in the tests: relative date literals and locator expiry read it."""

    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class SoqlDb:
    """A seeded database and the engine's calls on it, each in a session of its own."""

    url: URL  # sync driver, for setting rows up
    engine_name: str
    clock: Clock

    def session_call(self, call: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async def run() -> T:
            engine = create_async_engine(async_url(self.url), poolclass=NullPool)
            try:
                async with async_sessionmaker(engine)() as session:
                    answer = await call(session)
                    await session.commit()  # as the routes do: the engine never commits
                    return answer
            finally:
                await engine.dispose()

        return asyncio.run(run())

    def query(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        batch_size: int = 2000,
        owner: str = OWNER,
    ) -> dict[str, Any]:
        return self.session_call(
            lambda session: run_query(
                session,
                CATALOG,
                soql,
                include_deleted=include_deleted,
                batch_size=batch_size,
                owner_id=owner,
                api_version=API,
            )
        )

    def more(self, next_url: str, *, owner: str = OWNER) -> dict[str, Any]:
        locator = next_url.rsplit("/", 1)[-1]
        return self.session_call(
            lambda session: query_more(session, CATALOG, locator, owner_id=owner, api_version=API)
        )

    def sql(self, statement: str, **params: Any) -> list[Any]:
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()


def names(answer: dict[str, Any]) -> list[str]:
    return [record["Name"] for record in answer["records"]]


@pytest.fixture(params=["sqlite", "postgresql"])
def soql_db(
    request: pytest.FixtureRequest, netapps_db: Any, monkeypatch: pytest.MonkeyPatch
) -> SoqlDb:
    """Salesforce's database migrated to head on each engine, seeded, the clock at NOW."""
    engine_name = str(request.param)
    url = netapps_db("salesforce", engine=engine_name)
    seed(url)
    clock = Clock()
    monkeypatch.setattr(paging, "_now", clock)
    return SoqlDb(url, engine_name, clock)
