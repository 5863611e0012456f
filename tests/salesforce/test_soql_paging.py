"""Paging: a result larger than a page answers a nextRecordsUrl; query_more answers the pages
after it, in a stable order, to the user who ran the query, while the locator lives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import soql_catalog
from salesforce_crm.soql import SoqlError
from soql_catalog import API, OWNER, SoqlDb

soql_db = soql_catalog.soql_db  # the fixture, on both engines

ROWS = 2_100


def add_accounts(db: SoqlDb, count: int = ROWS) -> None:
    """``count`` more accounts (ids from 100), in one statement; cities repeat so that
    ordering by city leaves many ties for Id to break."""
    values = ", ".join(
        f"({100 + n}, 'Bulk {n:05d}', '{['Oslo', 'Rome', 'Kyiv'][n % 3]}')" for n in range(count)
    )
    db.sql(f"INSERT INTO accounts (id, name, billing_city) VALUES {values}")


def all_pages(db: SoqlDb, first: dict[str, Any], owner: str = OWNER) -> list[dict[str, Any]]:
    pages = [first]
    while not pages[-1]["done"]:
        pages.append(db.more(pages[-1]["nextRecordsUrl"], owner=owner))
    return pages


def test_pages_of_2000_cover_every_row_once_in_order(soql_db: SoqlDb) -> None:
    add_accounts(soql_db)
    first = soql_db.query("SELECT Id, Name FROM Account WHERE Name LIKE 'Bulk%' ORDER BY Name")
    assert first["totalSize"] == ROWS and first["done"] is False
    assert len(first["records"]) == 2000
    locator = first["nextRecordsUrl"].rsplit("/", 1)[-1]
    assert first["nextRecordsUrl"] == f"/services/data/v{API}/query/{locator}"
    assert locator.startswith("0r8") and locator.endswith("-2000")
    pages = all_pages(soql_db, first)
    assert len(pages) == 2
    assert pages[1]["done"] is True and "nextRecordsUrl" not in pages[1]
    assert pages[1]["totalSize"] == ROWS and len(pages[1]["records"]) == 100
    names = [r["Name"] for page in pages for r in page["records"]]
    assert names == [f"Bulk {n:05d}" for n in range(ROWS)]


def test_ties_in_the_order_are_broken_by_id(soql_db: SoqlDb) -> None:
    add_accounts(soql_db)
    first = soql_db.query(
        "SELECT Id FROM Account WHERE Name LIKE 'Bulk%' ORDER BY BillingCity DESC",
        batch_size=500,
    )
    pages = all_pages(soql_db, first)
    assert [len(p["records"]) for p in pages] == [500, 500, 500, 500, 100]
    seen = [r["Id"] for page in pages for r in page["records"]]
    assert len(seen) == len(set(seen)) == ROWS


def test_batch_size_is_held_between_200_and_2000(soql_db: SoqlDb) -> None:
    add_accounts(soql_db, 450)
    first = soql_db.query("SELECT Id FROM Account", batch_size=1)
    assert len(first["records"]) == 200 and first["nextRecordsUrl"].endswith("-200")
    assert [len(p["records"]) for p in all_pages(soql_db, first)] == [200, 200, 55]
    assert soql_db.query("SELECT Id FROM Account", batch_size=10**9)["done"] is True


def test_limit_bounds_the_total_across_pages(soql_db: SoqlDb) -> None:
    add_accounts(soql_db)
    first = soql_db.query("SELECT Name FROM Account ORDER BY Name LIMIT 2050")
    assert first["totalSize"] == 2050
    pages = all_pages(soql_db, first)
    assert [len(p["records"]) for p in pages] == [2000, 50]
    assert soql_db.query("SELECT Name FROM Account LIMIT 2000")["done"] is True


def test_a_query_with_offset_answers_one_page_only(soql_db: SoqlDb) -> None:
    """As Salesforce's: OFFSET queries have no cursor; the next rows need a larger OFFSET."""
    add_accounts(soql_db)
    answer = soql_db.query(
        "SELECT Name FROM Account WHERE Name LIKE 'Bulk%' ORDER BY Name OFFSET 50",
        batch_size=1000,
    )
    assert answer["done"] is True and "nextRecordsUrl" not in answer
    assert answer["totalSize"] == 1000
    assert [r["Name"] for r in answer["records"]] == [f"Bulk {n:05d}" for n in range(50, 1050)]
    answer = soql_db.query("SELECT Name FROM Account ORDER BY Name LIMIT 10 OFFSET 0")
    assert answer["totalSize"] == 10 and answer["done"] is True


def test_query_all_pages_keep_deleted_rows(soql_db: SoqlDb) -> None:
    values = ", ".join(f"({100 + n}, 'w{n}', {'true' if n % 2 else 'false'})" for n in range(500))
    soql_db.sql(f"INSERT INTO soql_widgets (id, name, is_deleted) VALUES {values}")
    first = soql_db.query(
        "SELECT Id, IsDeleted FROM Widget__c", batch_size=200, include_deleted=True
    )
    records = [r for page in all_pages(soql_db, first) for r in page["records"]]
    assert first["totalSize"] == len(records) == 507
    assert sum(r["IsDeleted"] for r in records) == 251
    live = soql_db.query("SELECT Id FROM Widget__c", batch_size=200)
    assert live["totalSize"] == 256
    assert sum(len(p["records"]) for p in all_pages(soql_db, live)) == 256


def test_another_users_locator_is_refused(soql_db: SoqlDb) -> None:
    add_accounts(soql_db)
    first = soql_db.query("SELECT Id FROM Account")
    with pytest.raises(SoqlError) as refused:
        soql_db.more(first["nextRecordsUrl"], owner="0055g0000000002AAA")
    assert refused.value.error_code == "INVALID_QUERY_LOCATOR"
    assert len(soql_db.more(first["nextRecordsUrl"])["records"]) == ROWS + 5 - 2000


def test_a_locator_expires_15_minutes_after_its_last_use(soql_db: SoqlDb) -> None:
    add_accounts(soql_db)
    first = soql_db.query("SELECT Id FROM Account", batch_size=200)
    url = first["nextRecordsUrl"]
    soql_db.clock.now += dt.timedelta(minutes=14)
    second = soql_db.more(url)  # in time: its life starts again
    soql_db.clock.now += dt.timedelta(minutes=14)
    soql_db.more(second["nextRecordsUrl"])
    soql_db.clock.now += dt.timedelta(minutes=15, seconds=1)
    with pytest.raises(SoqlError) as expired:
        soql_db.more(url)
    assert expired.value.error_code == "INVALID_QUERY_LOCATOR"
    # Deleted lazily: the next locator stored clears the expired ones.
    assert soql_db.sql("SELECT count(*) FROM query_locators")[0][0] == 1
    fresh = soql_db.query("SELECT Id FROM Account", batch_size=200)["nextRecordsUrl"]
    stored = [row[0] for row in soql_db.sql("SELECT locator FROM query_locators")]
    assert stored == [fresh.rsplit("/", 1)[-1].split("-")[0]]


@pytest.mark.parametrize(
    "locator",
    [
        "0r8AAAAAAAAAAAAAAA-2000",  # well formed, unknown
        "{known}-0",
        "{known}-99999",
        "{known}",
        "{known}-",
        "{known}--5",
        "{known}-2000x",
        "nonsense",
        "",
        "0r8\x00AAAAAAAAAAAAAA-2000",
        "0r8AAAAAAAAAAAAAAA-99999999999999999999999",
        "' OR 1=1 --",
    ],
)
def test_bad_locators_are_invalid_query_locator(soql_db: SoqlDb, locator: str) -> None:
    add_accounts(soql_db)
    first = soql_db.query("SELECT Id FROM Account")
    known = first["nextRecordsUrl"].rsplit("/", 1)[-1].rsplit("-", 1)[0]
    with pytest.raises(SoqlError) as refused:
        soql_db.more("/" + locator.replace("{known}", known))
    assert refused.value.error_code == "INVALID_QUERY_LOCATOR"
    assert refused.value.message == "invalid query locator"


def test_a_result_that_fits_one_page_stores_no_locator(soql_db: SoqlDb) -> None:
    assert soql_db.query("SELECT Id FROM Account")["done"] is True
    assert soql_db.sql("SELECT count(*) FROM query_locators")[0][0] == 0


def test_rows_deleted_between_pages_end_the_result_early(soql_db: SoqlDb) -> None:
    add_accounts(soql_db)
    first = soql_db.query("SELECT Name FROM Account WHERE Name LIKE 'Bulk%' ORDER BY Name")
    soql_db.sql("DELETE FROM accounts WHERE name >= 'Bulk 02050'")
    last = soql_db.more(first["nextRecordsUrl"])
    assert last["done"] is True and "nextRecordsUrl" not in last
    assert [r["Name"] for r in last["records"]] == [f"Bulk {n:05d}" for n in range(2000, 2050)]
    assert last["totalSize"] == ROWS  # as counted when the query ran


def test_count_with_query_all(soql_db: SoqlDb) -> None:
    assert soql_db.query("SELECT COUNT() FROM Widget__c", include_deleted=True)["totalSize"] == 7
    assert soql_db.query("SELECT COUNT() FROM Widget__c WHERE Active__c = true")["totalSize"] == 3
