"""What SOQL refuses, with Salesforce's error codes and messages: syntax, names, types,
bounds, and SOQL this service does not answer. Parsing and compiling need no database; a few
refusals also go through run_query on both engines, to show nothing reaches the database."""

from __future__ import annotations

import pytest
import soql_catalog
from salesforce_crm.soql import SoqlError, parse
from salesforce_crm.soql.compiler import compile_query
from soql_catalog import CATALOG, NOW, SoqlDb, account_id

soql_db = soql_catalog.soql_db  # the fixture, on both engines


def refusal(soql: str) -> SoqlError:
    with pytest.raises(SoqlError) as refused:
        compile_query(parse(soql), CATALOG, include_deleted=False, now=NOW, soql=soql)
    return refused.value


def test_a_misspelt_keyword_is_malformed_with_salesforces_pointer() -> None:
    error = refusal("SELECT Id FORM Account")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message == (
        "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'"
    )


def test_an_unknown_field_is_invalid_field() -> None:
    error = refusal("SELECT Id, Foo FROM Account")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom "
        "field, be sure to append the '__c' after the custom field name. Please reference "
        "your WSDL or the describe call for the appropriate names."
    )
    assert "ERROR at Row:1:Column:12" in error.message


def test_an_unknown_object_is_invalid_type() -> None:
    error = refusal("SELECT Id FROM Foo")
    assert error.error_code == "INVALID_TYPE"
    assert "sObject type 'Foo' is not supported." in error.message


@pytest.mark.parametrize(
    ("soql", "code", "text"),
    [
        (
            "SELECT Account.Foo FROM Contact",
            "INVALID_FIELD",
            "No such column 'Foo' on entity 'Account'",
        ),
        (
            "SELECT Owner.Name FROM Contact",
            "INVALID_FIELD",
            "Didn't understand relationship 'Owner' in field path",
        ),
        (
            "SELECT Account.Owner.Name FROM Contact",
            "MALFORMED_QUERY",
            "more than one level deep are not supported here",
        ),
        ("SELECT Id FROM Account WHERE Foo = 1", "INVALID_FIELD", "No such column 'Foo'"),
        ("SELECT Id FROM Account ORDER BY Foo", "INVALID_FIELD", "No such column 'Foo'"),
        (
            "SELECT Id FROM Account WHERE Description = 'x'",
            "INVALID_FIELD",
            "field 'Description' can not be filtered in a query call",
        ),
        (
            "SELECT Id FROM Account ORDER BY Description",
            "INVALID_FIELD",
            "field 'Description' can not be sorted in a query call",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate = '2026-01-01'",
            "INVALID_FIELD",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and "
            "should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01",
            "INVALID_FIELD",
            "must be of type dateTime",
        ),
        (
            "SELECT Id FROM Case WHERE Requested_Date__c = 2026-01-01T00:00:00Z",
            "INVALID_FIELD",
            "value of filter criterion for field 'Requested_Date__c' must be of type date",
        ),
        (
            "SELECT Id FROM Account WHERE NumberOfEmployees = '5'",
            "INVALID_FIELD",
            "for field 'NumberOfEmployees' must be of type integer and should not be enclosed",
        ),
        (
            "SELECT Id FROM Account WHERE AnnualRevenue > true",
            "INVALID_FIELD",
            "must be of type currency",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 5",
            "INVALID_FIELD",
            "value of filter criterion for field 'Name' must be of type string and should be "
            "enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE Name IN ('a', 5)",
            "INVALID_FIELD",
            "must be of type string",
        ),
        (
            "SELECT Id FROM Widget__c WHERE Active__c = 'true'",
            "INVALID_FIELD",
            "must be of type boolean",
        ),
        (
            "SELECT Id FROM Widget__c WHERE Active__c > false",
            "INVALID_QUERY_FILTER_OPERATOR",
            "invalid operator on boolean field",
        ),
        (
            "SELECT Id FROM Account WHERE NumberOfEmployees LIKE '5%'",
            "INVALID_QUERY_FILTER_OPERATOR",
            "invalid operator on integer field",
        ),
        (
            "SELECT Id FROM Account WHERE Id LIKE '001%'",
            "INVALID_QUERY_FILTER_OPERATOR",
            "invalid operator on id field",
        ),
        (
            "SELECT Id FROM Account WHERE Name > null",
            "INVALID_QUERY_FILTER_OPERATOR",
            "null can only be compared with = or !=",
        ),
        (
            "SELECT Id FROM Account WHERE Id = 'abc'",
            "INVALID_QUERY_FILTER_OPERATOR",
            "invalid ID field: abc",
        ),
        (
            "SELECT Id FROM Account WHERE Id = '001000000000000AAA'",
            "INVALID_QUERY_FILTER_OPERATOR",
            "invalid ID field: 001000000000000AAA",
        ),
        (
            "SELECT Id FROM Contact WHERE AccountId IN ('nope')",
            "INVALID_QUERY_FILTER_OPERATOR",
            "invalid ID field: nope",
        ),
        ("SELECT Id FROM Account WHERE Id = 5", "INVALID_FIELD", "must be of type id"),
        (
            "SELECT Id FROM Account OFFSET 2001",
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000",
        ),
        (
            "SELECT Id FROM Account LIMIT 50000001",
            "MALFORMED_QUERY",
            "LIMIT must be at most 50,000,000",
        ),
        (
            "SELECT Id FROM Account LIMIT 99999999999999999999999999",
            "MALFORMED_QUERY",
            "LIMIT is out of range",
        ),
        ("SELECT Id FROM Account LIMIT -1", "MALFORMED_QUERY", "unexpected token: '-1'"),
        (
            "SELECT Id FROM Account WHERE NumberOfEmployees > 1234567890123456789",
            "MALFORMED_QUERY",
            "number out of range",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:999999",
            "MALFORMED_QUERY",
            "reaches outside the calendar",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:9999999",
            "MALFORMED_QUERY",
            "n is out of range",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate = 2026-02-30T00:00:00Z",
            "MALFORMED_QUERY",
            "invalid date",
        ),
        (
            "SELECT Id FROM Case WHERE Requested_Date__c = 2026-13-01",
            "MALFORMED_QUERY",
            "invalid date",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'a\\qb'",
            "MALFORMED_QUERY",
            "Illegal character sequence '\\q' in string literal",
        ),
        ("SELECT Id FROM Account WHERE Name = 'open", "MALFORMED_QUERY", "unexpected token"),
        ("SELECT Id, Name, id FROM Account", "MALFORMED_QUERY", "duplicate field selected: id"),
        (
            "SELECT COUNT(), Name FROM Account",
            "MALFORMED_QUERY",
            "COUNT() must be the only element in the SELECT list",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
            "MALFORMED_QUERY",
            "unexpected token: 'OR'",
        ),
        ("SELECT FROM Account", "MALFORMED_QUERY", "unexpected token: 'Account'"),
        ("SELECT Id FROM", "MALFORMED_QUERY", "unexpected end of query"),
        ("", "MALFORMED_QUERY", "the query is empty"),
        ("   ", "MALFORMED_QUERY", "the query is empty"),
        ("SELECT Id FROM Account WHERE Name = 'a\x00'", "MALFORMED_QUERY", "NUL character"),
        ("SELECT Id FROM Account WHERE Name = '\ud800'", "MALFORMED_QUERY", "not valid Unicode"),
        ("SELECT Id FROM Account WHERE Name = '\\u0000'", "MALFORMED_QUERY", "invalid character"),
        ("SELECT Id FROM Account; DROP TABLE accounts", "MALFORMED_QUERY", "unexpected token: ';'"),
    ],
)
def test_refusals(soql: str, code: str, text: str) -> None:
    error = refusal(soql)
    assert error.error_code == code, error.message
    assert text in error.message


@pytest.mark.parametrize(
    ("soql", "named"),
    [
        ("SELECT Name FROM Account GROUP BY Name", "GROUP BY is not supported here"),
        ("SELECT Name FROM Account HAVING Name = 'x'", "HAVING is not supported here"),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)",
            "subqueries (nested SELECT) are not supported here",
        ),
        (
            "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
            "subqueries (nested SELECT) are not supported here",
        ),
        ("SELECT Id FROM Account FOR UPDATE", "FOR UPDATE is not supported here"),
        ("SELECT Id FROM Account LIMIT 1 FOR VIEW", "FOR UPDATE is not supported here"),
        ("SELECT Id FROM Account WITH SECURITY_ENFORCED", "WITH is not supported here"),
        ("SELECT TYPEOF What WHEN Account THEN Name END FROM Event", "TYPEOF is not supported"),
        ("SELECT Id FROM Account USING SCOPE Mine", "USING SCOPE is not supported here"),
        ("SELECT SUM(AnnualRevenue) FROM Account", "SUM(AnnualRevenue): aggregate"),
        ("SELECT COUNT(Id) FROM Account", "COUNT(Id): aggregate"),
        ("SELECT MAX(CreatedDate) FROM Account", "MAX(CreatedDate): aggregate"),
        ("SELECT FIELDS(ALL) FROM Account", "FIELDS(ALL): aggregate and other functions"),
        (
            "SELECT Id FROM Account WHERE CreatedDate = THIS_QUARTER",
            "date literal THIS_QUARTER is not supported here",
        ),
    ],
)
def test_unsupported_soql_says_so(soql: str, named: str) -> None:
    error = refusal(soql)
    assert error.error_code == "MALFORMED_QUERY"
    assert named.split(" is not")[0].split(":")[0] in error.message, error.message


def test_a_query_longer_than_100000_characters_is_refused() -> None:
    soql = "SELECT Id FROM Account WHERE Name = '" + "x" * 100_000 + "'"
    error = refusal(soql)
    assert error.error_code == "MALFORMED_QUERY"
    assert "cannot be longer than 100,000 characters" in error.message


def test_bounds_on_in_lists_values_and_nesting() -> None:
    values = ", ".join(["'x'"] * 1001)
    assert (
        "at most 1,000 values"
        in refusal(f"SELECT Id FROM Account WHERE Name IN ({values})").message
    )
    many = " OR ".join(f"Name IN ({', '.join(['1'] * 1000)})" for _ in range(11))
    assert refusal(f"SELECT Id FROM Account WHERE {many}").error_code == "MALFORMED_QUERY"
    deep = "SELECT Id FROM Account WHERE " + "NOT (" * 60 + "Name = 'x'" + ")" * 60
    assert "nests more than 50 levels" in refusal(deep).message
    chains = "".join(f"Name = '{n}' {'AND' if n % 2 else 'OR'} (" for n in range(3_000))
    deeper = f"SELECT Id FROM Account WHERE {chains}Name = 'x'" + ")" * 3_000
    assert refusal(deeper).error_code == "MALFORMED_QUERY"
    # Parentheses alone add no depth: harmless, and answered.
    parens = "SELECT Id FROM Account WHERE " + "(" * 20_000 + "Name = 'x'" + ")" * 20_000
    compile_query(parse(parens), CATALOG, include_deleted=False, now=NOW)
    nots = "SELECT Id FROM Account WHERE " + "NOT " * 5_000 + "Name = 'x'"
    assert refusal(nots).error_code == "MALFORMED_QUERY"


def test_a_long_line_is_cut_around_the_error() -> None:
    soql = "SELECT Id FROM Account WHERE Name = '" + "y" * 5_000 + "' FORM"
    error = refusal(soql)
    assert "unexpected token: 'FORM'" in error.message
    assert len(error.message) < 400


def test_parse_gives_the_ast() -> None:
    query = parse(
        "select Name, Account.Name from Contact where Name like 'a%' order by Name desc "
        "nulls last limit 5"
    )
    assert query.sobject == "Contact" and query.count is False
    assert [f.text for f in query.fields] == ["Name", "Account.Name"]
    assert query.order_by[0].descending and query.order_by[0].nulls_first is False
    assert query.limit == 5 and query.offset is None


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account WHERE CreatedDate = 'yesterday'",
        f"SELECT Id FROM Account WHERE Id = '{account_id(1)[:14]}'",
        "SELECT Id FROM Account WHERE NumberOfEmployees > 99999999999999999",
        "SELECT Id FROM Account WHERE CreatedDate > 9999-12-31T23:59:59-01:00",
        "SELECT Id FROM Account WHERE CreatedDate > 0001-01-01T00:00:00+01:00",
    ],
)
def test_run_query_refuses_before_the_database(soql_db: SoqlDb, soql: str) -> None:
    """Wrong types and out-of-range values are SoqlErrors, never a database error."""
    try:
        soql_db.query(soql)
    except SoqlError as error:
        assert error.error_code in {
            "INVALID_FIELD",
            "INVALID_QUERY_FILTER_OPERATOR",
            "MALFORMED_QUERY",
        }


def test_errors_point_at_the_row_and_column_of_a_multi_line_query() -> None:
    error = refusal("SELECT Id\nFROM Account\nWHERE Nmae = 'x'")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.startswith("\nWHERE Nmae = 'x'\n      ^\nERROR at Row:3:Column:7\n")
