"""SOQL queries against the CRM tables and the widgets table, on SQLite and PostgreSQL:
what comes back (records as Salesforce writes them) and which rows each operator selects."""

from __future__ import annotations

import pytest
import soql_catalog
from soql_catalog import API, SoqlDb, account_id, contact_id, names

soql_db = soql_catalog.soql_db  # the fixture, on both engines


def test_records_have_attributes_and_fields_in_select_order(soql_db: SoqlDb) -> None:
    answer = soql_db.query(
        "SELECT NumberOfEmployees, name, Id, AnnualRevenue, CreatedDate FROM account "
        "WHERE Name = 'Acme'"
    )
    assert answer["totalSize"] == 1 and answer["done"] is True
    assert "nextRecordsUrl" not in answer
    (record,) = answer["records"]
    assert list(record) == [
        "attributes",
        "NumberOfEmployees",
        "Name",
        "Id",
        "AnnualRevenue",
        "CreatedDate",
    ]
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v{API}/sobjects/Account/{account_id(1)}",
    }
    assert record["Id"] == account_id(1) and len(record["Id"]) == 18
    assert record["NumberOfEmployees"] == 120
    assert record["AnnualRevenue"] == 1500000.0
    assert record["CreatedDate"] == "2026-01-05T09:00:00.000+0000"


def test_parent_fields_nest_under_the_relationship_or_are_null(soql_db: SoqlDb) -> None:
    answer = soql_db.query(
        "SELECT LastName, Account.Name, AccountId, Account.BillingCity FROM Contact ORDER BY Id"
    )
    records = answer["records"]
    assert list(records[0]) == ["attributes", "LastName", "Account", "AccountId"]
    assert records[0]["Account"] == {
        "attributes": {
            "type": "Account",
            "url": f"/services/data/v{API}/sobjects/Account/{account_id(1)}",
        },
        "Name": "Acme",
        "BillingCity": "Paris",
    }
    assert records[0]["AccountId"] == account_id(1)
    assert records[2]["Account"]["Name"] == "Globex"
    assert records[3]["LastName"] == "Nobody"
    assert records[3]["Account"] is None and records[3]["AccountId"] is None


def test_parent_fields_filter_and_order(soql_db: SoqlDb) -> None:
    answer = soql_db.query(
        "SELECT LastName FROM Contact WHERE Account.Name LIKE 'ac%' ORDER BY LastName DESC"
    )
    assert [r["LastName"] for r in answer["records"]] == ["Turing", "Lovelace"]
    answer = soql_db.query(
        "SELECT LastName FROM Contact ORDER BY Account.Name DESC NULLS FIRST, LastName"
    )
    assert [r["LastName"] for r in answer["records"]] == ["Nobody", "Hopper", "Lovelace", "Turing"]


def test_count_answers_the_number_and_no_records(soql_db: SoqlDb) -> None:
    assert soql_db.query("SELECT COUNT() FROM Account") == {
        "totalSize": 5,
        "done": True,
        "records": [],
    }
    assert soql_db.query("select count() from Account where BillingCity = null")["totalSize"] == 1
    assert soql_db.query("SELECT COUNT() FROM Account LIMIT 2")["totalSize"] == 2


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'acme'", ["Acme"]),  # strings compare ignoring case, as in Salesforce
        ("Name != 'Acme'", ["Globex", "Initech", "O'Brien & Sons", "école 50% off_"]),
        ("Name <> 'Acme'", ["Globex", "Initech", "O'Brien & Sons", "école 50% off_"]),
        ("BillingCity != 'Paris'", ["Globex", "Initech", "O'Brien & Sons", "école 50% off_"]),
        ("BillingCity = null", ["Initech"]),
        ("BillingCity != null", ["Acme", "Globex", "O'Brien & Sons", "école 50% off_"]),
        ("NumberOfEmployees < 40", ["O'Brien & Sons", "école 50% off_"]),
        ("NumberOfEmployees <= 40", ["Globex", "O'Brien & Sons", "école 50% off_"]),
        ("NumberOfEmployees > 40", ["Acme"]),
        ("NumberOfEmployees >= 40", ["Acme", "Globex"]),
        ("AnnualRevenue > 250000.25", ["Acme", "Globex"]),
        ("AnnualRevenue = 99.99", ["O'Brien & Sons"]),
        ("NumberOfEmployees = 10.5", []),
        ("NumberOfEmployees > 10.5", ["Acme", "Globex"]),
        ("NumberOfEmployees < 99999999999", ["Acme", "Globex", "O'Brien & Sons", "école 50% off_"]),
        ("NumberOfEmployees >= -3", ["Acme", "Globex", "O'Brien & Sons", "école 50% off_"]),
        ("Name LIKE 'G%'", ["Globex"]),
        ("Name LIKE '%E%'", ["Acme", "Globex", "Initech", "O'Brien & Sons", "école 50% off_"]),
        ("Name LIKE 'Ini_ech'", ["Initech"]),
        ("Name LIKE '%50\\% off\\_'", ["école 50% off_"]),
        ("Name LIKE '%0\\_'", []),
        ("Name = 'O\\'Brien & Sons'", ["O'Brien & Sons"]),
        ("Name = 'école 50% off_'", ["école 50% off_"]),
        ("Name IN ('acme', 'GLOBEX', 'nobody')", ["Acme", "Globex"]),
        ("Name NOT IN ('Acme', 'Globex')", ["Initech", "O'Brien & Sons", "école 50% off_"]),
        ("BillingCity NOT IN ('Paris')", ["Globex", "Initech", "O'Brien & Sons", "école 50% off_"]),
        ("BillingCity IN ('Paris', null)", ["Acme", "Initech"]),
        ("BillingCity NOT IN ('Paris', null)", ["Globex", "O'Brien & Sons", "école 50% off_"]),
        ("NumberOfEmployees IN (3, 10, 11)", ["O'Brien & Sons", "école 50% off_"]),
        ("Type = 'Other' AND NumberOfEmployees > 5", ["école 50% off_"]),
        ("Type = 'Prospect' OR BillingCity = 'Paris'", ["Acme", "Globex"]),
        ("(Type = 'Prospect' OR BillingCity = 'Paris') AND NumberOfEmployees < 100", ["Globex"]),
        ("NOT Name = 'Acme'", ["Globex", "Initech", "O'Brien & Sons", "école 50% off_"]),
        # NOT keeps the rows whose field is null, as != does.
        ("NOT (BillingCity = 'Paris')", ["Globex", "Initech", "O'Brien & Sons", "école 50% off_"]),
        ("NOT (NumberOfEmployees > 5)", ["Initech", "O'Brien & Sons"]),
        (
            "NOT (BillingCity = 'Paris' OR BillingCity = 'Berlin')",
            ["Initech", "O'Brien & Sons", "école 50% off_"],
        ),
        ("NOT NOT (BillingCity = 'Paris')", ["Acme"]),
        ("Name > 'H' AND Name < 'P'", ["Initech", "O'Brien & Sons"]),
        ("CreatedDate > 2026-11-20T08:00:00Z", ["Initech", "école 50% off_"]),
        ("CreatedDate >= 2026-11-20T08:00:00Z", ["Globex", "Initech", "école 50% off_"]),
        ("CreatedDate = 2026-11-20T09:00:00+01:00", ["Globex"]),
        ("CreatedDate < 2026-01-05T09:00:00.000Z", ["O'Brien & Sons"]),
        ("CreatedDate <= 2026-01-05T04:00:00-05:00", ["Acme", "O'Brien & Sons"]),
        (
            "CreatedDate IN (2026-11-20T08:00:00Z, 2025-06-01T00:00:00Z)",
            ["Globex", "O'Brien & Sons"],
        ),
    ],
)
def test_every_operator_selects_what_salesforce_would(
    soql_db: SoqlDb, where: str, expected: list[str]
) -> None:
    answer = soql_db.query(f"SELECT Name FROM Account WHERE {where} ORDER BY Name")
    assert sorted(names(answer)) == sorted(expected)
    assert answer["totalSize"] == len(expected)


def test_ids_compare_as_15_or_18_characters_in_any_case_of_the_suffix(soql_db: SoqlDb) -> None:
    id18 = account_id(2)
    for written in (id18, id18[:15], id18[:15] + id18[15:].lower()):
        answer = soql_db.query(f"SELECT Name FROM Account WHERE Id = '{written}'")
        assert names(answer) == ["Globex"], written
    answer = soql_db.query(
        f"SELECT Name FROM Account WHERE Id IN ('{account_id(1)}', '{account_id(3)[:15]}') "
        "ORDER BY Name"
    )
    assert names(answer) == ["Acme", "Initech"]
    answer = soql_db.query(f"SELECT Name FROM Account WHERE Id != '{id18}'")
    assert answer["totalSize"] == 4
    answer = soql_db.query(f"SELECT Name FROM Account WHERE Id > '{account_id(3)}' ORDER BY Id")
    assert names(answer) == ["O'Brien & Sons", "école 50% off_"]


def test_an_id_of_another_object_matches_nothing(soql_db: SoqlDb) -> None:
    answer = soql_db.query(f"SELECT Name FROM Account WHERE Id = '{contact_id(1)}'")
    assert answer["totalSize"] == 0
    answer = soql_db.query(f"SELECT Name FROM Account WHERE Id != '{contact_id(1)}'")
    assert answer["totalSize"] == 5
    answer = soql_db.query(f"SELECT LastName FROM Contact WHERE AccountId = '{contact_id(1)}'")
    assert answer["totalSize"] == 0


def test_reference_fields_compare_as_ids(soql_db: SoqlDb) -> None:
    answer = soql_db.query(
        f"SELECT LastName FROM Contact WHERE AccountId = '{account_id(1)[:15]}' ORDER BY LastName"
    )
    assert [r["LastName"] for r in answer["records"]] == ["Lovelace", "Turing"]
    answer = soql_db.query("SELECT LastName FROM Contact WHERE AccountId = null")
    assert [r["LastName"] for r in answer["records"]] == ["Nobody"]
    answer = soql_db.query(
        f"SELECT LastName FROM Contact WHERE AccountId != '{account_id(1)}' ORDER BY LastName"
    )
    assert [r["LastName"] for r in answer["records"]] == ["Hopper", "Nobody"]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("BillingCity", ["Initech", "Globex", "O'Brien & Sons", "école 50% off_", "Acme"]),
        (
            "BillingCity ASC NULLS LAST",
            ["Globex", "O'Brien & Sons", "école 50% off_", "Acme", "Initech"],
        ),
        ("BillingCity DESC", ["Acme", "école 50% off_", "O'Brien & Sons", "Globex", "Initech"]),
        (
            "BillingCity DESC NULLS FIRST",
            ["Initech", "Acme", "école 50% off_", "O'Brien & Sons", "Globex"],
        ),
        (
            "Type DESC, NumberOfEmployees",
            ["Globex", "O'Brien & Sons", "école 50% off_", "Acme", "Initech"],
        ),
        (
            "Type ASC NULLS FIRST, NumberOfEmployees DESC",
            ["Initech", "Acme", "école 50% off_", "O'Brien & Sons", "Globex"],
        ),
        (
            "AnnualRevenue DESC NULLS LAST",
            ["Acme", "Globex", "O'Brien & Sons", "école 50% off_", "Initech"],
        ),
        ("CreatedDate", ["O'Brien & Sons", "Acme", "Globex", "école 50% off_", "Initech"]),
    ],
)
def test_order_by_several_fields_with_nulls(
    soql_db: SoqlDb, order: str, expected: list[str]
) -> None:
    answer = soql_db.query(f"SELECT Name FROM Account ORDER BY {order}")
    assert names(answer) == expected


def test_limit_and_offset(soql_db: SoqlDb) -> None:
    answer = soql_db.query("SELECT Name FROM Account ORDER BY Name LIMIT 2")
    assert names(answer) == ["Acme", "Globex"] and answer["totalSize"] == 2
    answer = soql_db.query("SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1")
    assert names(answer) == ["Globex", "Initech"]
    answer = soql_db.query("SELECT Name FROM Account ORDER BY Name OFFSET 4")
    assert names(answer) == ["école 50% off_"] and answer["totalSize"] == 1
    assert soql_db.query("SELECT Name FROM Account LIMIT 0")["totalSize"] == 0
    assert soql_db.query("SELECT Name FROM Account OFFSET 2000")["records"] == []


def test_keywords_and_names_ignore_case(soql_db: SoqlDb) -> None:
    answer = soql_db.query(
        "sElEcT lAsTnAmE, ACCOUNT.name fRoM CONTACT wHeRe lastname = 'turing' oRdEr bY LASTNAME"
    )
    assert answer["records"][0]["Account"]["Name"] == "Acme"
    # Keys are the fields' API names as the catalog spells them, whatever the query wrote.
    assert list(answer["records"][0]) == ["attributes", "LastName", "Account"]
    answer = soql_db.query("SELECT account.name FROM account WHERE name = 'Acme'")
    assert names(answer) == ["Acme"]  # the object's own name before a field is allowed


def test_two_relationships_of_one_object(soql_db: SoqlDb) -> None:
    answer = soql_db.query(
        "SELECT CaseNumber, Account.Name, Contact.LastName, ContactId FROM Case "
        "ORDER BY Contact.LastName DESC, CaseNumber"
    )
    records = answer["records"]
    # DESC puts nulls last; the tie between the two Lovelace cases falls to CaseNumber.
    assert [r["CaseNumber"] for r in records] == ["00001001", "00001003", "00001002"]
    assert records[2]["Account"] is None and records[2]["Contact"] is None
    assert records[0]["Account"]["Name"] == "Acme"
    assert records[0]["Contact"]["LastName"] == "Lovelace"
    assert records[0]["Contact"]["attributes"]["type"] == "Contact"
    assert records[0]["ContactId"] == contact_id(1)
    assert records[1]["Account"]["Name"] == "Globex"
    assert list(records[0]) == ["attributes", "CaseNumber", "Account", "Contact", "ContactId"]
    answer = soql_db.query(
        "SELECT CaseNumber FROM Case WHERE Account.Name = 'globex' OR Contact.LastName = 'x'"
    )
    assert [r["CaseNumber"] for r in answer["records"]] == ["00001003"]


def test_dates_on_a_crm_table(soql_db: SoqlDb) -> None:
    answer = soql_db.query(
        "SELECT CaseNumber, Requested_Date__c FROM Case WHERE Requested_Date__c > 2026-11-01"
    )
    assert answer["records"][0]["Requested_Date__c"] == "2026-12-10"
    assert answer["totalSize"] == 1
    answer = soql_db.query("SELECT COUNT() FROM Case WHERE Requested_Date__c != 2026-11-01")
    assert answer["totalSize"] == 2  # the null one too
