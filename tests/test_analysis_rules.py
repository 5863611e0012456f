"""Lock-aware lint rules: each flags one migration and passes its safe twin.

Real SQL files in a temporary app, rendered and parsed by pglast; no mocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_support import alembic_revision, sql_app
from support import copy_app

from netapps.analysis import RULES, lint_app


def rules_of(root: Path, *migrations: str, runner_sets_lock_timeout: bool = True) -> list[str]:
    folder = sql_app(root, *migrations)
    last = f"{len(migrations) + 1:03d}"
    findings = lint_app(folder, "sql", [last], runner_sets_lock_timeout=runner_sets_lock_timeout)
    return [f.rule for f in findings]


# rule, a migration it must flag, its safe twin
CASES = [
    (
        "create-index-non-concurrently",
        "CREATE INDEX ix_accounts_email ON accounts (email);",
        "CREATE INDEX CONCURRENTLY ix_accounts_email ON accounts (email);",
    ),
    (
        "create-index-non-concurrently",
        "CREATE UNIQUE INDEX ix_accounts_email ON accounts (email);",
        "CREATE TABLE invoices (id integer, account_id integer);\n"
        "CREATE INDEX ix_invoices_account_id ON invoices (account_id);",
    ),
    (
        "drop-index-non-concurrently",
        "DROP INDEX ix_accounts_name;",
        "DROP INDEX CONCURRENTLY ix_accounts_name;",
    ),
    (
        "drop-index-non-concurrently",
        "DROP INDEX public.ix_accounts_name;",
        "CREATE TABLE t2 (a int);\nCREATE INDEX ix_t2_a ON t2 (a);\nDROP INDEX ix_t2_a;",
    ),
    (
        "add-foreign-key-validated",
        "ALTER TABLE accounts ADD CONSTRAINT fk_accounts_n FOREIGN KEY (n) REFERENCES owners (id);",
        "ALTER TABLE accounts ADD CONSTRAINT fk_accounts_n FOREIGN KEY (n) REFERENCES owners (id)"
        " NOT VALID;",
    ),
    (
        "add-foreign-key-validated",
        "ALTER TABLE accounts ADD COLUMN owner_id integer REFERENCES owners (id);",
        "ALTER TABLE accounts ADD COLUMN owner_id integer;",
    ),
    (
        "add-check-validated",
        "ALTER TABLE accounts ADD CONSTRAINT ck_accounts_n CHECK (n > 0);",
        "ALTER TABLE accounts ADD CONSTRAINT ck_accounts_n CHECK (n > 0) NOT VALID;",
    ),
    (
        "add-check-validated",
        "ALTER TABLE accounts ADD COLUMN email2 varchar(255)\n"
        "    CONSTRAINT ck_accounts_email2 CHECK (email2 LIKE '%_@_%');",
        "CREATE TABLE t2 (a int);\nALTER TABLE t2 ADD COLUMN b int CHECK (b > 0);",
    ),
    (
        "add-unique-constraint",
        "ALTER TABLE accounts ADD CONSTRAINT uq_accounts_email UNIQUE (email);",
        "ALTER TABLE accounts ADD CONSTRAINT uq_accounts_email UNIQUE USING INDEX ix_unique_email;",
    ),
    (
        "set-not-null",
        "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE accounts ADD CONSTRAINT ck_email_nn CHECK (email IS NOT NULL) NOT VALID;",
    ),
    (
        "column-type-rewrite",
        "ALTER TABLE accounts ALTER COLUMN n TYPE bigint;",
        "ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100);",
    ),
    (
        "column-type-rewrite",
        "ALTER TABLE accounts ALTER COLUMN score TYPE numeric(12, 4);",
        "ALTER TABLE accounts ALTER COLUMN name TYPE text;",
    ),
    (
        "column-type-rewrite",
        "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(20);",
        "ALTER TABLE accounts ALTER COLUMN score TYPE numeric(12, 2);",
    ),
    (
        "add-column-volatile-default",
        "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE accounts ADD COLUMN token uuid;",
    ),
    (
        "add-column-volatile-default",
        "ALTER TABLE accounts ADD COLUMN seen timestamptz DEFAULT clock_timestamp();",
        # now() is STABLE: PostgreSQL 11+ stores it once, no rewrite (checked on PG 15).
        "ALTER TABLE accounts ADD COLUMN seen timestamptz DEFAULT now();",
    ),
    (
        "add-column-volatile-default",
        "ALTER TABLE accounts ADD COLUMN r float8 DEFAULT random();",
        "ALTER TABLE accounts ADD COLUMN r float8 DEFAULT 0.5 NOT NULL;",
    ),
    (
        "rename-column",
        "ALTER TABLE accounts RENAME COLUMN email TO mail;",
        "CREATE TABLE t2 (a int);\nALTER TABLE t2 RENAME COLUMN a TO b;",
    ),
    (
        "rename-table",
        "ALTER TABLE accounts RENAME TO clients;",
        "CREATE TABLE t2 (a int);\nALTER TABLE t2 RENAME TO t3;",
    ),
    (
        "drop-column-in-use",
        "ALTER TABLE accounts DROP COLUMN email;",
        "CREATE TABLE t2 (a int, b int);\nALTER TABLE t2 DROP COLUMN b;",
    ),
    (
        "rewrite-maintenance",
        "VACUUM FULL accounts;",
        "VACUUM (ANALYZE) accounts;",
    ),
    (
        "rewrite-maintenance",
        "CLUSTER accounts USING ix_accounts_name;",
        "CREATE TABLE t2 (a int);\nCREATE INDEX ix_t2 ON t2 (a);\nCLUSTER t2 USING ix_t2;",
    ),
    (
        "drop-table-in-use",
        "DROP TABLE owners;",
        "CREATE TABLE scratch (a int);\nDROP TABLE scratch;",
    ),
]


@pytest.mark.parametrize(("rule", "flagged", "safe"), CASES)
def test_rule_flags_and_passes_its_safe_twin(
    tmp_path: Path, rule: str, flagged: str, safe: str
) -> None:
    assert rule in rules_of(tmp_path / "flagged", flagged)
    assert rule not in rules_of(tmp_path / "safe", safe)


def test_every_registered_rule_has_a_case() -> None:
    covered = {case[0] for case in CASES} | {"missing-lock-timeout"}
    assert set(RULES) == covered


def test_create_table_if_not_exists_of_an_existing_table_is_not_new(tmp_path: Path) -> None:
    rules = rules_of(
        tmp_path,
        "CREATE TABLE IF NOT EXISTS accounts (id integer);\n"
        "CREATE INDEX ix_accounts_email ON accounts (email);",
    )
    assert rules == ["create-index-non-concurrently"]


def test_a_new_table_renamed_stays_new(tmp_path: Path) -> None:
    rules = rules_of(
        tmp_path,
        "CREATE TABLE t2 (a int);\nALTER TABLE t2 RENAME TO t3;\nCREATE INDEX i ON t3 (a);",
    )
    assert rules == []


def test_not_valid_then_validate_in_a_later_migration_is_not_flagged(tmp_path: Path) -> None:
    folder = sql_app(
        tmp_path,
        "SET lock_timeout = '5s';\n"
        "ALTER TABLE accounts ADD CONSTRAINT fk_accounts_n FOREIGN KEY (n) REFERENCES owners (id)"
        " NOT VALID;",
        "SET lock_timeout = '5s';\nALTER TABLE accounts VALIDATE CONSTRAINT fk_accounts_n;",
    )
    assert lint_app(folder, "sql") == []


def test_missing_lock_timeout_is_a_parameter(tmp_path: Path) -> None:
    migration = "ALTER TABLE accounts ADD COLUMN nickname text;"
    assert rules_of(tmp_path / "a", migration, runner_sets_lock_timeout=False) == [
        "missing-lock-timeout"
    ]
    assert rules_of(tmp_path / "b", migration, runner_sets_lock_timeout=True) == []
    with_timeout = "SET LOCAL lock_timeout = '5s';\n" + migration
    assert rules_of(tmp_path / "c", with_timeout, runner_sets_lock_timeout=False) == []
    disabled = "SET lock_timeout = 0;\n" + migration
    assert rules_of(tmp_path / "z", disabled, runner_sets_lock_timeout=False) == [
        "missing-lock-timeout"
    ]
    via_set_config = "SELECT set_config('lock_timeout', '5s', true);\n" + migration
    assert rules_of(tmp_path / "d", via_set_config, runner_sets_lock_timeout=False) == []
    # A migration that only creates new tables needs no timeout.
    only_new = "CREATE TABLE t2 (a int);\nCREATE INDEX ix_t2 ON t2 (a);"
    assert rules_of(tmp_path / "e", only_new, runner_sets_lock_timeout=False) == []


def test_a_finding_names_the_statement_lock_and_recipe(tmp_path: Path) -> None:
    folder = sql_app(
        tmp_path,
        "-- add an index\n\nSELECT 1;\nCREATE INDEX ix_accounts_email\n    ON accounts (email);\n",
    )
    (finding,) = lint_app(folder, "sql", ["002"], runner_sets_lock_timeout=True)
    assert finding.rule == "create-index-non-concurrently"
    assert finding.migration == "002"
    assert finding.path == "migrations/002_step_2.up.sql"
    assert finding.statement == "CREATE INDEX ix_accounts_email\n    ON accounts (email)"
    assert (finding.statement_index, finding.line, finding.column) == (2, 4, 1)
    assert finding.table == "public.accounts"
    assert finding.lock == "SHARE"
    assert "CONCURRENTLY" in finding.recipe and finding.why
    assert finding.text().startswith(
        "migrations/002_step_2.up.sql:4:1: create-index-non-concurrently: "
    )
    assert "\n" not in finding.text()
    data = json.loads(json.dumps(finding.to_json()))
    assert data["fingerprint"] == finding.fingerprint and data["lock"] == "SHARE"
    # The fingerprint is the statement's canonical form: layout and comments do not change it.
    other = sql_app(tmp_path / "other", "create index ix_accounts_email on accounts(email)")
    (same,) = lint_app(other, "sql", ["002"], runner_sets_lock_timeout=True)
    assert same.fingerprint == finding.fingerprint


def test_alembic_revision_findings_point_at_the_python_line(tmp_path: Path) -> None:
    app = copy_app("servicenow", tmp_path)
    path = alembic_revision(
        app,
        "002_index_name",
        "001_initial_migration",
        """
        op.create_index("ix_service_catalog_items_name", "service_catalog_items", ["name"])
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_service_catalog_items_description",
                "service_catalog_items",
                ["description"],
                postgresql_concurrently=True,
            )
        """,
    )
    findings = lint_app(app, "alembic", ["002_index_name"])
    assert [f.rule for f in findings] == ["create-index-non-concurrently", "missing-lock-timeout"]
    flagged = findings[0]
    lines = path.read_text().splitlines()
    line = next(n for n, text in enumerate(lines) if '"ix_service_catalog_items_name"' in text)
    assert flagged.source_line == line + 1
    assert flagged.path == "alembic/versions/002_index_name.py"
    assert flagged.where == f"alembic/versions/002_index_name.py:{line + 1} (statement 1)"
