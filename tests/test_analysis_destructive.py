"""Destructive classification from the SQL that will run, including the three forms the regex
check missed, written as real Alembic revisions and rendered for PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_support import alembic_revision, sql_app
from support import copy_app

from netapps.analysis import destructive_findings


def verdicts(root: Path, migration: str) -> list[tuple[str, str | None]]:
    folder = sql_app(root, migration)
    return [(f.rule, f.effect) for f in destructive_findings(folder, "sql", ["002"])]


DESTROYS = [
    ("DROP TABLE owners;", "drop-table"),
    ("DROP TABLE IF EXISTS owners CASCADE;", "drop-table"),
    ("ALTER TABLE accounts DROP COLUMN email;", "drop-column"),
    ("DROP SCHEMA archive CASCADE;", "drop-schema"),
    ("DROP TYPE mood CASCADE;", "drop-cascade"),
    ("TRUNCATE accounts, owners;", "truncate"),
    ("DELETE FROM accounts;", "delete-all-rows"),
    ("ALTER TABLE accounts ALTER COLUMN name TYPE varchar(3);", "narrow-column-type"),
    ("ALTER TABLE accounts ALTER COLUMN score TYPE numeric(8, 2);", "narrow-column-type"),
    ("ALTER TABLE accounts ALTER COLUMN score TYPE numeric(10, 1);", "narrow-column-type"),
    ("ALTER TABLE accounts ALTER COLUMN email TYPE varchar(20);", "narrow-column-type"),
    ("ALTER TABLE accounts ALTER COLUMN big TYPE integer;", "narrow-column-type"),
    ("ALTER TABLE accounts ALTER COLUMN n TYPE bigint USING n * 2;", "narrow-column-type"),
    (
        "ALTER TABLE accounts ALTER COLUMN name TYPE integer USING length(name);",
        "narrow-column-type",
    ),
    ("ALTER TABLE accounts ALTER COLUMN name TYPE date;", "narrow-column-type"),
]


@pytest.mark.parametrize(("sql", "rule"), DESTROYS)
def test_destroys_data(tmp_path: Path, sql: str, rule: str) -> None:
    assert (rule, "destroys-data") in verdicts(tmp_path, sql)


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("UPDATE accounts SET n = 0;", "update-all-rows"),
        ("DELETE FROM accounts WHERE n < 0;", "delete-rows"),
    ],
)
def test_rewrites_data(tmp_path: Path, sql: str, rule: str) -> None:
    assert verdicts(tmp_path, sql) == [(rule, "rewrites-data")]


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        (
            "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'owners'; END $$;",
            "opaque-statement",
        ),
        ("CALL archive_old_accounts();", "opaque-statement"),
        ("SELECT purge_accounts(30);", "opaque-statement"),
        # SQLite-only syntax: PostgreSQL's parser rejects it, so nothing can be judged.
        ("CREATE TABLE t2 (a int) WITHOUT ROWID;\nDROP TABLE owners;", "unparseable-statement"),
        ("ALTER SYSTEM SET work_mem = '1GB';", "unclassified-statement"),
    ],
)
def test_opaque_statements_are_reported(tmp_path: Path, sql: str, rule: str) -> None:
    assert (rule, "opaque") in verdicts(tmp_path, sql)


def test_do_blocks_static_sql_is_classified_and_dynamic_sql_is_opaque(tmp_path: Path) -> None:
    static = verdicts(
        tmp_path / "static",
        "DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM accounts) THEN\n"
        "    ALTER TABLE accounts DROP COLUMN email;\n  END IF;\nEND\n$$;",
    )
    assert static == [("drop-column", "destroys-data")]
    both = destructive_findings(
        sql_app(
            tmp_path / "both",
            "DO $$ BEGIN DELETE FROM owners; EXECUTE 'TRUNCATE ' || 'accounts'; END $$;",
        ),
        "sql",
        ["002"],
    )
    assert [(f.rule, f.effect) for f in both] == [
        ("delete-all-rows", "destroys-data"),
        ("opaque-statement", "opaque"),
    ]
    assert both[0].message.startswith("in a DO block: ")
    assert both[0].statement.startswith("DO $$")
    harmless = "DO $$ BEGIN INSERT INTO owners (id) VALUES (1); END $$;"
    assert verdicts(tmp_path / "harmless", harmless) == []


def test_a_statement_after_an_unparseable_one_is_still_classified(tmp_path: Path) -> None:
    found = verdicts(tmp_path, "CREATE TABLE t2 (a int) WITHOUT ROWID;\nDROP TABLE owners;")
    assert ("drop-table", "destroys-data") in found


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100);",
        "ALTER TABLE accounts ALTER COLUMN name TYPE text;",
        "ALTER TABLE accounts ALTER COLUMN score TYPE numeric(14, 2);",
        "ALTER TABLE accounts ALTER COLUMN n TYPE bigint;",
        "ALTER TABLE accounts ALTER COLUMN n TYPE bigint USING n::bigint;",
        "ALTER TABLE accounts ADD COLUMN nickname varchar(40);",
        "CREATE TABLE scratch (a int);\nDROP TABLE scratch;",
        "CREATE TABLE t2 (a varchar(50));\nALTER TABLE t2 ALTER COLUMN a TYPE varchar(3);",
        "UPDATE accounts SET n = 0 WHERE n IS NULL;",
        "DROP INDEX ix_accounts_name;",
        "INSERT INTO owners (id) VALUES (1);",
        "SELECT setval('owners_id_seq', 10);",
        "SET lock_timeout = '5s';",
    ],
)
def test_non_destructive_twins_pass(tmp_path: Path, sql: str) -> None:
    assert verdicts(tmp_path, sql) == []


# The three forms netapps' regex check missed, as real revision files.
AUTOGENERATE_NARROWING = """
op.alter_column(
    "service_catalog_items",
    "name",
    existing_type=sa.String(length=255),
    type_=sa.String(length=3),
    existing_nullable=False,
    postgresql_using="left(name, 3)",
)
"""
EXECUTE_NARROWING = """
op.execute("ALTER TABLE service_catalog_items ALTER COLUMN category TYPE varchar(3)")
"""
SPLIT_DROP_TABLE = """
op.execute(
    "DROP "
    "TABLE "
    "service_catalog_items CASCADE"
)
"""


@pytest.fixture
def servicenow(tmp_path: Path) -> Path:
    return copy_app("servicenow", tmp_path)


@pytest.mark.parametrize(
    ("body", "rule", "needle"),
    [
        (AUTOGENERATE_NARROWING, "narrow-column-type", "varchar(255) -> varchar(3) USING"),
        (EXECUTE_NARROWING, "narrow-column-type", "varchar(100) -> varchar(3)"),
        (SPLIT_DROP_TABLE, "drop-table", "drops table public.service_catalog_items"),
    ],
)
def test_regex_missed_forms_in_alembic_revisions(
    servicenow: Path, body: str, rule: str, needle: str
) -> None:
    alembic_revision(servicenow, "002_change", "001_initial_migration", body)
    findings = destructive_findings(servicenow, "alembic", ["002_change"])
    assert [(f.rule, f.effect) for f in findings] == [(rule, "destroys-data")]
    assert needle in findings[0].message
    assert findings[0].source_line is not None


@pytest.mark.parametrize(
    "body",
    [
        'op.alter_column("service_catalog_items", "name", existing_type=sa.String(length=255),'
        " type_=sa.String(length=500))",
        'op.add_column("service_catalog_items", sa.Column("note", sa.Text(), nullable=True))',
        'op.create_index("ix_name", "service_catalog_items", ["name"])',
    ],
)
def test_alembic_non_destructive_twins(servicenow: Path, body: str) -> None:
    alembic_revision(servicenow, "002_change", "001_initial_migration", body)
    assert destructive_findings(servicenow, "alembic", ["002_change"]) == []


def test_a_revision_that_needs_a_connection_is_reported_not_raised(servicenow: Path) -> None:
    alembic_revision(
        servicenow,
        "002_data",
        "001_initial_migration",
        """
        for row in op.get_bind().execute(sa.text("SELECT id FROM service_catalog_items")):
            op.execute(f"DELETE FROM service_catalog_items WHERE id = {row.id}")
        """,
    )
    (finding,) = destructive_findings(servicenow, "alembic", ["002_data"])
    assert (finding.rule, finding.effect) == ("render-failed", "opaque")
