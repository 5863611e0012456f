"""Whatever the text, the engine answers or raises SoqlError: never another exception, never a
database error. Inputs are nasty ones written out and seeded random mutations of valid queries
(token swaps keep many of them valid, so the database runs them on both engines)."""

from __future__ import annotations

import random
from typing import Any

import pytest
import soql_catalog
from salesforce_crm.soql import SoqlError, parse, query_more, run_query
from salesforce_crm.soql.compiler import compile_query
from soql_catalog import API, CATALOG, NOW, OWNER, SoqlDb, account_id, contact_id
from sqlalchemy.ext.asyncio import AsyncSession

soql_db = soql_catalog.soql_db  # the fixture, on both engines

VALID = [
    "SELECT Id, Name, BillingCity FROM Account WHERE Name LIKE 'A%' ORDER BY Name LIMIT 3",
    "SELECT COUNT() FROM Contact WHERE AccountId != null",
    "SELECT LastName, Account.Name FROM Contact WHERE Account.NumberOfEmployees > 10 "
    "ORDER BY Account.Name DESC NULLS LAST",
    "SELECT Name, Due__c, Seen__c FROM Widget__c WHERE (Due__c = TODAY OR Seen__c < "
    "2026-12-08T00:00:00Z) AND Active__c = true ORDER BY Score__c ASC NULLS FIRST OFFSET 1",
    "SELECT Subject, Status FROM Case WHERE Requested_Date__c = LAST_N_DAYS:30 AND "
    "Status IN ('New', 'Working') AND NOT (Priority = 'Low')",
    f"SELECT Id FROM Contact WHERE AccountId IN ('{account_id(1)}', '{account_id(2)[:15]}')",
]

TOKENS = [
    "Id",
    "Name",
    "AccountId",
    "Account.Name",
    "Account.Id",
    "CreatedDate",
    "Due__c",
    "Seen__c",
    "Active__c",
    "Score__c",
    "Quantity__c",
    "NumberOfEmployees",
    "AnnualRevenue",
    "IsDeleted",
    "Description",
    "Foo",
    "Account.Foo.Bar",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "LIKE",
    "IN",
    "NOT IN",
    "NOT",
    "AND",
    "OR",
    "(",
    ")",
    ",",
    ".",
    "'x'",
    "'%'",
    "'\\%'",
    "'\\_'",
    "''",
    "'\\\\'",
    "'\\n'",
    "'\\u00e9'",
    "'é'",
    "'\\'",
    "'",
    "\\",
    "0",
    "-1.5",
    "+7",
    ".5",
    "99999999999999999",
    "1e5",
    "00000000000000000000000001",
    "true",
    "FALSE",
    "null",
    "2026-01-01",
    "2026-02-31",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00+05:30",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01",
    "TODAY",
    "THIS_MONTH",
    "LAST_N_DAYS:3",
    "NEXT_N_DAYS:0",
    "LAST_N_DAYS:99999",
    "LAST_N_MONTHS:12",
    "ORDER BY",
    "LIMIT",
    "OFFSET",
    "NULLS FIRST",
    "DESC",
    "GROUP BY",
    "COUNT()",
    "SUM(Id)",
    "SELECT",
    "FROM",
    "WHERE",
    "Account",
    "Contact",
    "Widget__c",
    f"'{account_id(3)}'",
    f"'{contact_id(1)}'",
    "'001'",
    "'\x00'",
    "\t",
    "\n",
    "😀",
    "'😀'",
    ";",
    "--",
    "/*",
    "2000",
    "2001",
    "50000000",
    "50000001",
]

NASTY = [
    "",
    " ",
    "\x00",
    "SELECT",
    "SELECT Id",
    "SELECT Id FROM",
    "SELECT Id FROM Account WHERE",
    "SELECT Id FROM Account WHERE Name",
    "SELECT Id FROM Account WHERE Name =",
    "SELECT Id FROM Account ORDER BY",
    "SELECT Id FROM Account LIMIT",
    "SELECT Id FROM Account WHERE Name = '\\",
    "SELECT Id FROM Account WHERE Name = '\\u12'",
    "SELECT Id FROM Account WHERE Name = '\\ud800'",
    "SELECT Id FROM Account WHERE Name = '\udc00'",
    "SELECT Id FROM Account WHERE Name IN ()",
    "SELECT Id FROM Account WHERE Name IN (null)",
    "SELECT Id FROM Account WHERE Name NOT IN (null)",
    "SELECT Id FROM Account WHERE Id IN (null)",
    "SELECT Id FROM Account WHERE Id = ''",
    "SELECT Id FROM Account WHERE Id > '001'",
    "SELECT Id FROM Account WHERE AnnualRevenue > -99999999999999999.999999",
    "SELECT Id FROM Account WHERE NumberOfEmployees > 0.0000000000000000000000000001",
    "SELECT Id FROM Account WHERE CreatedDate > 0001-01-01T00:00:00Z",
    "SELECT Id FROM Account WHERE CreatedDate < 9999-12-31T23:59:59Z",
    "SELECT Id FROM Account WHERE CreatedDate = NEXT_N_DAYS:2914000",
    "SELECT Id FROM Account WHERE CreatedDate = LAST_N_MONTHS:99999",
    "SELECT Id FROM Account WHERE Name LIKE '\\\\%'",
    "SELECT Id FROM Account WHERE Name LIKE '%%%%%%%%%%'",
    "SELECT Id FROM Account WHERE Name = '" + "'" * 1001 + "'",
    "SELECT Id FROM Account WHERE Name = '" + "\\'" * 20_000 + "'",
    "SELECT " + ", ".join(["Name"] * 2) + " FROM Account",
    "SELECT " + ", ".join(f"Field{n}" for n in range(5_000)) + " FROM Account",
    "SELECT Id FROM Account WHERE " + " AND ".join(["Name = 'x'"] * 5_000),
    "SELECT Id FROM Account WHERE " + " OR ".join(["Id != null"] * 5_000),
    "SELECT Id FROM Account WHERE " + " AND ".join(["NOT (Name != 'x')"] * 300),
    "SELECT Id FROM Account WHERE " + " OR ".join(["(Name = 'x' AND Name != 'y')"] * 150),
    "SELECT Id FROM Widget__c WHERE Due__c IN (" + ", ".join(["TODAY"] * 300) + ")",
    "SELECT Id FROM Widget__c WHERE Due__c IN (" + ", ".join(["2026-01-01"] * 1000) + ")",
    "SELECT Id FROM Widget__c WHERE Seen__c NOT IN ("
    + ", ".join(["2026-01-01T00:00:00Z"] * 1000)
    + ")",
    "SELECT Id FROM Widget__c WHERE "
    + "NOT (" * 50
    + " AND ".join(["Name = 'x'"] * 250)
    + ")" * 50,
    "SELECT Id FROM Account ORDER BY " + ", ".join(["Name"] * 3_000),
    "SELECT Id FROM Account LIMIT 50000000",
    "SELECT Id FROM Account LIMIT 0 OFFSET 0",
    "select id from account where name = 'x' limit 1 offset 1 for update",
    "SELECT Id FROM Account WHERE Name = 'x' WHERE Name = 'y'",
    "SELECT Id FROM Account LIMIT 5 LIMIT 6",
    "SELECT Id FROM Account OFFSET 1 LIMIT 1",
    "SELECT Id FROM Account Account",
    "SELECT Id FROM Account.Name",
    "SELECT Account.Name.Name FROM Contact",
    "SELECT Contact.Name FROM Contact",
    "SELECT Id FROM Account WHERE (Name = 'x'",
    "SELECT Id FROM Account WHERE Name = 'x')",
    "SELECT Id FROM query_locators",
    "SELECT locator FROM Account",
    "SELECT Id FROM Account WHERE Name = 'x' /* comment */",
    "SELECT\tId\nFROM\r\nAccount\fWHERE Name='x'",
    "\uff33\uff25\uff2c\uff25\uff23\uff34 Id FROM Account",  # full-width SELECT
    "SELECT Id FROM Account WHERE Name = 'ǅ'",
]


def mutations(seed: int, count: int) -> list[str]:
    generator = random.Random(seed)
    out: list[str] = []
    for _ in range(count):
        words = generator.choice(VALID).split(" ")
        for _ in range(generator.randint(1, 3)):
            position = generator.randrange(len(words))
            action = generator.random()
            if action < 0.6:
                words[position] = generator.choice(TOKENS)
            elif action < 0.8:
                words.insert(position, generator.choice(TOKENS))
            elif len(words) > 1:
                del words[position]
        text = " ".join(words)
        if generator.random() < 0.1:  # a cut anywhere, even inside a token
            text = text[: generator.randrange(len(text) + 1)]
        out.append(text)
    return out


VALUES_BY_TYPE = {
    "string": ["'x'", "'%a%'", "'\\%'", "''", "'é'", "'O\\'Brien'", "null"],
    "boolean": ["true", "false", "null"],
    "number": ["0", "-1.5", "99999999999999999", ".5", "null"],
    "date": ["2026-12-08", "TODAY", "LAST_N_DAYS:3", "NEXT_N_MONTHS:2", "THIS_YEAR", "null"],
    "datetime": ["2026-12-08T00:00:00Z", "2026-01-01T10:00:00-08:00", "YESTERDAY", "null"],
    "id": [f"'{account_id(1)}'", f"'{contact_id(2)[:15]}'", "null"],
}
_KINDS = {
    "int": "number",
    "double": "number",
    "currency": "number",
    "percent": "number",
    "reference": "id",
    "id": "id",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
}


def generated(seed: int, count: int) -> list[str]:
    """Queries built from the catalog: right field, operator and value types more often than
    not, so most of them reach the database."""
    generator = random.Random(seed)
    out = []
    for _ in range(count):
        sobject = generator.choice(CATALOG.objects)
        fields = [f for f in sobject.fields if f.filterable]
        paths = [f.name for f in fields]
        for reference in (f for f in sobject.fields if f.relationship_name):
            parent = CATALOG.get(reference.reference_to or "")
            assert parent is not None
            paths += [f"{reference.relationship_name}.{f.name}" for f in parent.fields[:3]]
        conditions = []
        for _ in range(generator.randint(1, 4)):
            target = generator.choice(fields)
            kind = _KINDS.get(target.type, "string")
            if generator.random() < 0.1:
                kind = generator.choice(list(VALUES_BY_TYPE))  # a wrong type now and then
            operator = generator.choice(["=", "!=", "<", ">=", "LIKE", "IN", "NOT IN"])
            values = VALUES_BY_TYPE[kind]
            if operator in ("IN", "NOT IN"):
                chosen = generator.sample(values, generator.randint(1, len(values)))
                value = "(" + ", ".join(chosen) + ")"
            else:
                value = generator.choice(values)
            condition = f"{target.name} {operator} {value}"
            conditions.append(f"NOT ({condition})" if generator.random() < 0.2 else condition)
        joiner = generator.choice([" AND ", " OR "])
        selected = ", ".join(generator.sample(paths, generator.randint(1, min(4, len(paths)))))
        order = generator.choice(paths)
        out.append(
            f"SELECT {selected} FROM {sobject.name} WHERE {joiner.join(conditions)} "
            f"ORDER BY {order} {generator.choice(['', 'DESC', 'ASC NULLS LAST'])} "
            f"LIMIT {generator.randint(0, 300)}"
        )
    return out


def answers_or_refuses(soql: str) -> None:
    try:
        compile_query(parse(soql), CATALOG, include_deleted=False, now=NOW, soql=soql)
    except SoqlError as error:
        assert error.error_code and error.message
        assert len(error.message) < 2_000


@pytest.mark.parametrize("soql", NASTY)
def test_nasty_inputs_are_answered_or_refused(soql: str) -> None:
    answers_or_refuses(soql)


def test_random_mutations_are_answered_or_refused() -> None:
    for soql in mutations(seed=20, count=5_000) + generated(seed=20, count=2_000):
        answers_or_refuses(soql)


def test_non_text_is_refused() -> None:
    for value in (None, 5, b"SELECT Id FROM Account"):
        with pytest.raises(SoqlError):
            parse(value)  # type: ignore[arg-type]


def test_the_database_runs_whatever_compiles(soql_db: SoqlDb) -> None:
    """Every input that compiles runs on the database without a database error; the rest are
    SoqlErrors, raised before the database is asked."""
    inputs = NASTY + mutations(seed=8, count=300) + generated(seed=8, count=300)

    async def run_all(session: AsyncSession) -> dict[str, int]:
        outcome = {"answered": 0, "refused": 0}
        for soql in inputs:
            try:
                answer: dict[str, Any] = await run_query(
                    session,
                    CATALOG,
                    soql,
                    include_deleted=True,
                    batch_size=200,
                    owner_id=OWNER,
                    api_version=API,
                )
            except SoqlError:
                outcome["refused"] += 1
                continue
            assert answer["totalSize"] >= len(answer["records"])
            outcome["answered"] += 1
        for locator in ("0r8" + "A" * 15 + "-1", "x" * 10_000, "\udc00", "0r8-1-2-3"):
            with pytest.raises(SoqlError):
                await query_more(session, CATALOG, locator, owner_id=OWNER, api_version=API)
        return outcome

    outcome = soql_db.session_call(run_all)
    # The mutations keep enough queries valid for the database to be exercised.
    assert outcome["answered"] > 100, outcome
    assert outcome["refused"] > 100, outcome
