"""SOQL on the tests' widgets table: booleans, numbers, dates and date-times with their
literals (relative ones against a fixed clock), and queryAll's deleted rows."""

from __future__ import annotations

import pytest
import soql_catalog
from soql_catalog import SoqlDb, names, utc

soql_db = soql_catalog.soql_db  # the fixture, on both engines

LIVE = ["alpha", "beta", "gamma", "epsilon", "zeta", "eta"]


def where(db: SoqlDb, condition: str) -> list[str]:
    return sorted(names(db.query(f"SELECT Name FROM Widget__c WHERE {condition}")))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Active__c = true", ["alpha", "eta", "zeta"]),
        ("Active__c = TRUE", ["alpha", "eta", "zeta"]),
        ("Active__c = false", ["beta", "epsilon"]),
        ("Active__c != true", ["beta", "epsilon", "gamma"]),
        ("Active__c = null", ["gamma"]),
        ("Active__c IN (false, null)", ["beta", "epsilon", "gamma"]),
        ("Score__c = 3", ["eta", "zeta"]),
        ("Score__c > 1.5", ["epsilon", "eta", "zeta"]),
        ("Score__c >= 1.5", ["beta", "epsilon", "eta", "zeta"]),
        ("Score__c < .6", ["alpha"]),
        ("Quantity__c > -1 AND Quantity__c < 3", ["alpha", "beta"]),
        ("Quantity__c NOT IN (1, 2)", ["epsilon", "eta", "gamma", "zeta"]),
        ("Due__c = 2026-12-08", ["alpha"]),
        ("Due__c > 2026-12-08", ["epsilon", "zeta"]),
        ("Due__c <= 2026-12-07", ["beta", "eta"]),
        ("Due__c IN (2026-12-08, 2027-01-01)", ["alpha", "epsilon"]),
        ("Due__c != 2026-12-08", ["beta", "epsilon", "eta", "gamma", "zeta"]),
        ("Seen__c = 2026-12-08T00:00:00Z", ["alpha"]),
        ("Seen__c >= 2026-12-08T00:00:00Z", ["alpha", "zeta"]),
        ("Seen__c > 2026-12-08T00:00:00Z", ["zeta"]),
        ("Seen__c < 2026-12-08T00:00:00Z", ["beta", "epsilon", "eta"]),
        ("Seen__c <= 2026-12-08T01:00:00+01:00", ["alpha", "beta", "epsilon", "eta"]),
        ("Seen__c > 2026-12-07T23:59:58.500Z", ["alpha", "beta", "zeta"]),
        ("Seen__c = null", ["gamma"]),
    ],
)
def test_boolean_number_date_and_datetime_filters(
    soql_db: SoqlDb, condition: str, expected: list[str]
) -> None:
    assert where(soql_db, condition) == expected


# The clock is 2026-12-08 12:00 UTC (a Tuesday).
@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("Due__c = TODAY", ["alpha"]),
        ("Due__c = today", ["alpha"]),
        ("Due__c = YESTERDAY", ["beta"]),
        ("Due__c = TOMORROW", ["zeta"]),
        ("Due__c > TODAY", ["epsilon", "zeta"]),
        ("Due__c >= TODAY", ["alpha", "epsilon", "zeta"]),
        ("Due__c < TODAY", ["beta", "eta"]),
        ("Due__c <= TODAY", ["alpha", "beta", "eta"]),
        ("Due__c != TODAY", ["beta", "epsilon", "eta", "gamma", "zeta"]),
        ("Due__c = LAST_N_DAYS:1", ["alpha", "beta"]),
        ("Due__c = LAST_N_DAYS:7", ["alpha", "beta", "eta"]),
        ("Due__c = NEXT_N_DAYS:1", ["zeta"]),
        ("Due__c = NEXT_N_DAYS:30", ["epsilon", "zeta"]),
        ("Due__c = THIS_MONTH", ["alpha", "beta", "eta", "zeta"]),
        ("Due__c = LAST_MONTH", []),
        ("Due__c = NEXT_MONTH", ["epsilon"]),
        ("Due__c = THIS_YEAR", ["alpha", "beta", "eta", "zeta"]),
        ("Due__c > THIS_YEAR", ["epsilon"]),
        ("Due__c IN (TODAY, TOMORROW)", ["alpha", "zeta"]),
        ("Seen__c = TODAY", ["alpha"]),
        ("Seen__c = YESTERDAY", ["beta"]),
        ("Seen__c = TOMORROW", ["zeta"]),
        ("Seen__c > TODAY", ["zeta"]),
        ("Seen__c >= TODAY", ["alpha", "zeta"]),
        ("Seen__c < TODAY", ["beta", "epsilon", "eta"]),
        ("Seen__c <= YESTERDAY", ["beta", "epsilon", "eta"]),
        ("Seen__c = LAST_N_DAYS:7", ["alpha", "beta", "eta"]),
        ("Seen__c = NEXT_N_DAYS:1", ["zeta"]),
        ("Seen__c = THIS_MONTH", ["alpha", "beta", "eta", "zeta"]),
        ("Seen__c = LAST_MONTH", []),
        ("Seen__c = THIS_YEAR", ["alpha", "beta", "eta", "zeta"]),
        ("Seen__c < THIS_YEAR", ["epsilon"]),
        ("Seen__c = LAST_YEAR", ["epsilon"]),
        ("NOT (Seen__c = THIS_MONTH)", ["epsilon", "gamma"]),
    ],
)
def test_relative_date_literals_on_date_and_datetime_fields(
    soql_db: SoqlDb, condition: str, expected: list[str]
) -> None:
    assert where(soql_db, condition) == expected


def test_last_month_and_this_year_follow_the_clock(soql_db: SoqlDb) -> None:
    soql_db.clock.now = utc(2027, 1, 2, 0, 30)
    assert where(soql_db, "Due__c = LAST_MONTH") == ["alpha", "beta", "eta", "zeta"]
    assert where(soql_db, "Due__c = THIS_YEAR") == ["epsilon"]
    assert where(soql_db, "Seen__c = LAST_YEAR") == ["alpha", "beta", "eta", "zeta"]


def test_query_leaves_deleted_rows_out_and_query_all_shows_them(soql_db: SoqlDb) -> None:
    assert sorted(names(soql_db.query("SELECT Name FROM Widget__c"))) == sorted(LIVE)
    assert soql_db.query("SELECT COUNT() FROM Widget__c")["totalSize"] == 6
    everything = soql_db.query("SELECT Name, IsDeleted FROM Widget__c", include_deleted=True)
    assert everything["totalSize"] == 7
    flags = {r["Name"]: r["IsDeleted"] for r in everything["records"]}
    assert flags["delta"] is True and flags["alpha"] is False
    deleted = soql_db.query(
        "SELECT Name FROM Widget__c WHERE IsDeleted = true", include_deleted=True
    )
    assert names(deleted) == ["delta"]
    assert soql_db.query("SELECT Name FROM Widget__c WHERE IsDeleted = true")["totalSize"] == 0


def test_values_come_back_typed(soql_db: SoqlDb) -> None:
    answer = soql_db.query(
        "SELECT Name, Active__c, Quantity__c, Score__c, Due__c, Seen__c FROM Widget__c "
        "WHERE Name IN ('alpha', 'gamma') ORDER BY Name"
    )
    alpha, gamma = answer["records"]
    assert alpha["Active__c"] is True and alpha["Quantity__c"] == 1
    assert alpha["Score__c"] == 0.5
    assert alpha["Due__c"] == "2026-12-08"
    assert alpha["Seen__c"] == "2026-12-08T00:00:00.000+0000"
    assert [gamma[k] for k in ("Active__c", "Quantity__c", "Score__c", "Due__c", "Seen__c")] == [
        None
    ] * 5
