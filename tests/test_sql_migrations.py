"""Salesforce's plain-SQL migrations and netapps.sources.sql_runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from support import APP_FOLDERS

from appdb.engine import make_engine
from netapps.errors import (
    CheckFailed,
    ConfigError,
    MigrationFailed,
    NetappsError,
    RevisionError,
)
from netapps.sources import sql_runner as sm

FOLDER = APP_FOLDERS["salesforce"] / "migrations"

# docs/SCHEMAS.md's Salesforce section: the columns each version must have added (a minimum).
COLUMNS_001 = {
    "accounts": {"id", "name", "created_at", "updated_at"},
    "contacts": {"id", "account_id", "first_name", "last_name", "email", "created_at"},
    "leads": {"id", "first_name", "last_name", "company", "email", "status", "created_at"},
    "opportunities": {
        "id",
        "account_id",
        "name",
        "stage",
        "amount",
        "close_date",
        "probability",
        "created_at",
        "updated_at",
    },
    "cases": {
        "id",
        "case_number",
        "account_id",
        "contact_id",
        "subject",
        "status",
        "priority",
        "origin",
        "created_at",
        "updated_at",
    },
    "activities": {
        "id",
        "activity_type",
        "related_type",
        "related_id",
        "subject",
        "due_date",
        "start_at",
        "end_at",
        "created_at",
    },
}
COLUMNS_002 = {"accounts": {"email"}}
COLUMNS_003 = {"cases": {"service_type", "requested_date", "scenario_details"}}
CRM_TABLES = set(COLUMNS_001)
#: Every version in the folder, oldest first: the tests follow the app as it gains migrations.
VERSIONS = sorted({p.name[:3] for p in FOLDER.glob("[0-9][0-9][0-9]_*.sql")})
LATER = VERSIONS[3:]  # after 003


@pytest.fixture
def conn(db_url: URL) -> Iterator[Connection]:
    engine = make_engine(db_url, for_migrations=True)
    assert isinstance(engine, Engine)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def migrations(conn: Connection, folder: Path = FOLDER) -> list[sm.SqlMigration]:
    return sm.discover(folder, conn.dialect.name)


def columns(conn: Connection) -> dict[str, set[str]]:
    """{table: column names} as the database holds them (the version table left out)."""
    try:
        insp = inspect(conn)
        return {
            name: {c["name"] for c in insp.get_columns(name)}
            for name in insp.get_table_names()
            if name != sm.VERSION_TABLE
        }
    finally:
        conn.rollback()  # inspection opened a transaction; the runner needs none


def versions(conn: Connection) -> list[str]:
    return [row.version for row in sm.applied_versions(conn)]


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder


# --------------------------------------------------------------------- the Salesforce schema


def test_upgrade_to_head_creates_the_schema_and_records_each_version(conn: Connection) -> None:
    steps: list[tuple[str, str]] = []
    ran = sm.upgrade(conn, migrations(conn), on_step=lambda m, d, _s: steps.append((m.version, d)))

    assert [m.version for m in ran] == VERSIONS
    assert steps == [(v, "up") for v in VERSIONS]
    have = columns(conn)
    assert set(have) >= CRM_TABLES
    for expected in (COLUMNS_001, COLUMNS_002, COLUMNS_003):
        for table, names in expected.items():
            assert names <= have[table], (table, names - have[table])
    rows = sm.applied_versions(conn)
    assert [r.version for r in rows] == VERSIONS
    assert [r.checksum for r in rows] == [m.checksum for m in migrations(conn)]
    assert rows[0].script == f"001_create_crm_tables.up.{conn.dialect.name}.sql"
    assert all(r.applied_at.tzinfo is not None and r.execution_ms >= 0 for r in rows)
    assert sm.current_version(conn) == VERSIONS[-1]
    assert sm.upgrade(conn, migrations(conn)) == []  # a rerun is a no-op


def test_schema_follows_the_rules_for_every_table(conn: Connection) -> None:
    sm.upgrade(conn, migrations(conn))
    insp = inspect(conn)
    try:
        for table in CRM_TABLES:
            assert insp.get_pk_constraint(table)["name"] == f"pk_{table}"
            indexed = [tuple(ix["column_names"]) for ix in insp.get_indexes(table)]
            indexed += [tuple(uq["column_names"]) for uq in insp.get_unique_constraints(table)]
            for ix in insp.get_indexes(table):
                if ix.get("duplicates_constraint"):  # PostgreSQL: a unique constraint's index
                    continue
                assert str(ix["name"]).startswith("ix_"), ix
            for fk in insp.get_foreign_keys(table):
                cols = tuple(fk["constrained_columns"])
                assert fk["name"] == f"fk_{table}_{'_'.join(cols)}_{fk['referred_table']}"
                assert fk["options"].get("ondelete"), f"{fk['name']} has no ON DELETE rule"
                assert any(ix[: len(cols)] == cols for ix in indexed), f"{cols} not indexed"
            for ck in insp.get_check_constraints(table):
                assert str(ck["name"]).startswith(f"ck_{table}_"), ck
        checks = {ck["name"] for ck in insp.get_check_constraints("cases")}
        assert {"ck_cases_status", "ck_cases_priority", "ck_cases_origin"} <= checks
        assert {uq["name"] for uq in insp.get_unique_constraints("cases")} >= {
            "uq_cases_case_number"
        }
        created = {c["name"]: c for c in insp.get_columns("accounts")}["created_at"]
        assert created["nullable"] is False and created["default"] is not None
    finally:
        conn.rollback()


def test_constraints_hold_and_ids_are_assigned(conn: Connection) -> None:
    sm.upgrade(conn, migrations(conn))
    with conn.begin():
        conn.execute(text("INSERT INTO accounts (name, email) VALUES ('Acme', 'ops@acme.test')"))
        account_id = conn.execute(text("SELECT id FROM accounts")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO cases (case_number, account_id, subject, service_type) "
                "VALUES ('00001001', :a, 'Meter fault', 'repair')"
            ),
            {"a": account_id},
        )
        row = conn.execute(text("SELECT status, priority, created_at FROM cases")).one()
        assert (row.status, row.priority) == ("New", "Medium")
        assert row.created_at is not None
    bad = [
        "INSERT INTO accounts (name, email) VALUES ('X', 'not-an-address')",  # % in the CHECK
        "INSERT INTO cases (case_number, subject, status) VALUES ('2', 's', 'Pending')",
        "INSERT INTO opportunities (name, close_date, probability) VALUES ('o', '2025-01-01', 101)",
        "INSERT INTO activities (activity_type, related_type, related_id, subject) "
        "VALUES ('event', 'account', 1, 'no times')",
    ]
    for statement in bad:
        with pytest.raises(IntegrityError), conn.begin():
            conn.execute(text(statement))


def test_downgrade_to_base_removes_everything(conn: Connection) -> None:
    ms = migrations(conn)
    sm.upgrade(conn, ms)
    steps: list[tuple[str, str]] = []
    undone = sm.downgrade(conn, ms, None, on_step=lambda m, d, _s: steps.append((m.version, d)))

    assert [m.version for m in undone] == VERSIONS[::-1]
    assert steps == [(v, "down") for v in VERSIONS[::-1]]
    assert columns(conn) == {}
    assert sm.applied_versions(conn) == []
    assert sm.current_version(conn) is None
    assert sm.downgrade(conn, ms, None) == []
    assert [m.version for m in sm.upgrade(conn, ms)] == VERSIONS  # and back up


def test_upgrade_and_downgrade_stop_at_a_target(conn: Connection) -> None:
    ms = migrations(conn)
    assert [m.version for m in sm.upgrade(conn, ms, target="002")] == ["001", "002"]
    assert versions(conn) == ["001", "002"]
    have = columns(conn)
    assert "email" in have["accounts"]
    assert not COLUMNS_003["cases"] & have["cases"]

    assert [m.version for m in sm.upgrade(conn, ms, target="003")] == ["003"]
    assert [m.version for m in sm.downgrade(conn, ms, "1")] == ["003", "002"]
    assert versions(conn) == ["001"]
    have = columns(conn)
    assert set(have) == CRM_TABLES
    assert "email" not in have["accounts"]
    assert not COLUMNS_003["cases"] & have["cases"]

    sm.upgrade(conn, ms, target="003")
    with pytest.raises(RevisionError, match="below the current version 003; use downgrade"):
        sm.upgrade(conn, ms, target="001")
    with pytest.raises(RevisionError, match="unknown version '999'"):
        sm.upgrade(conn, ms, target="999")


# ----------------------------------------------------------------------------- the runner


BROKEN = {
    "001_first.up.sql": "CREATE TABLE first_table (id INTEGER NOT NULL);\n",
    "001_first.down.sql": "DROP TABLE first_table;\n",
    "002_broken.up.sql": (
        "-- the second statement fails\n"
        "CREATE TABLE partial_table (id INTEGER NOT NULL);\n"
        "INSERT INTO no_such_table (id) VALUES (1);\n"
        "CREATE TABLE never_table (id INTEGER NOT NULL);\n"
    ),
    "002_broken.down.sql": "DROP TABLE partial_table;\n",
}


def test_a_failing_migration_rolls_back_alone(conn: Connection, tmp_path: Path) -> None:
    folder = write(tmp_path / "migrations", BROKEN)
    with pytest.raises(MigrationFailed) as failure:
        sm.upgrade(conn, migrations(conn, folder))

    message = str(failure.value)
    assert "002_broken.up.sql" in message and "statement 2" in message
    assert "no_such_table" in message and "\n" not in message
    assert versions(conn) == ["001"]
    assert set(columns(conn)) == {"first_table"}  # nothing of 002, DDL included


def test_discover_picks_the_file_for_the_dialect() -> None:
    for dialect in ("sqlite", "postgresql"):
        first = sm.discover(FOLDER, dialect)[0]
        assert first.up_path.name == f"001_create_crm_tables.up.{dialect}.sql"
        assert first.down_path.name == "001_create_crm_tables.down.sql"
        assert first.description == "create crm tables"
    with pytest.raises(ConfigError, match=r"no up file for mysql .*001_create_crm_tables\.up\.sql"):
        sm.discover(FOLDER, "mysql")


def test_engine_variants_differ_only_in_identity_columns() -> None:
    def body(name: str) -> str:
        lines = (FOLDER / name).read_text(encoding="utf-8").splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("CREATE TABLE"))
        return "\n".join(lines[start:])

    postgresql = body("001_create_crm_tables.up.postgresql.sql")
    assert postgresql.count("GENERATED BY DEFAULT AS IDENTITY") == len(CRM_TABLES)
    assert postgresql.replace(" GENERATED BY DEFAULT AS IDENTITY", "") == body(
        "001_create_crm_tables.up.sqlite.sql"
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"001_a.up.sql": "", "002_b.up.sql": "", "002_b.down.sql": ""},
            r"001_a\.up\.sql: no down",
        ),
        ({"001_a.down.sql": ""}, r"001_a\.down\.sql: no up file"),
        ({"001_a.up.sql": "", "001_a.down.sql": "", "003_c.up.sql": ""}, "002 is missing"),
        ({"001_a.up.sql": "", "001_a.down.sql": "", "1_b.up.sql": ""}, "duplicate version"),
        ({"001-a.up.sql": ""}, r"001-a\.up\.sql: not a migration file name"),
        ({"001_a.sql": ""}, "not a migration file name"),
    ],
)
def test_discover_rejects_a_broken_folder(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected) as error:
        sm.discover(write(tmp_path, files), "sqlite")
    assert "\n" not in str(error.value)


def test_discover_ignores_other_files_and_rejects_a_missing_folder(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "notes", "001_a.up.sql": "", "001_a.down.sql": ""})
    assert [m.version for m in sm.discover(tmp_path, "sqlite")] == ["001"]
    with pytest.raises(ConfigError, match="does not exist"):
        sm.discover(tmp_path / "nowhere", "sqlite")


def test_checksum_follows_the_up_file_and_edits_are_refused(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {k: v for k, v in BROKEN.items() if k.startswith("001")})
    before = sm.discover(folder, "sqlite")[0].checksum
    engine = make_engine(URL.create("sqlite", database=str(tmp_path / "c.db")))
    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        sm.upgrade(conn, sm.discover(folder, "sqlite"))
        (folder / "001_first.up.sql").write_text(
            "CREATE TABLE first_table (id INTEGER NOT NULL, x INTEGER);\n", encoding="utf-8"
        )
        after = sm.discover(folder, "sqlite")
        assert after[0].checksum != before
        with pytest.raises(CheckFailed, match=r"001_first\.up\.sql changed after it was applied"):
            sm.upgrade(conn, after)
    engine.dispose()
    crlf = tmp_path / "crlf.sql"
    crlf.write_bytes(b"SELECT 1;\r\n")
    lf = tmp_path / "lf.sql"
    lf.write_bytes(b"SELECT 1;\n")
    assert sm.checksum_of(crlf) == sm.checksum_of(lf)


def test_split_statements_drops_comment_only_pieces() -> None:
    sql = "-- header\n\nCREATE TABLE t (x TEXT DEFAULT ';');\n/* note */\n-- end;\n;\nSELECT 1;\n"
    assert sm.split_statements(sql) == [
        "-- header\n\nCREATE TABLE t (x TEXT DEFAULT ';');",
        "SELECT 1;",
    ]
    assert sm.split_statements("-- nothing here\n") == []


def test_next_pair_writes_the_next_version(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(FOLDER, folder)
    up, down = sm.next_pair(folder, "Add case SLA fields!")
    following = f"{int(VERSIONS[-1]) + 1:03d}"
    assert (up.name, down.name) == (
        f"{following}_add_case_sla_fields.up.sql",
        f"{following}_add_case_sla_fields.down.sql",
    )
    assert up.read_text(encoding="utf-8").startswith(f"-- {following} Add case SLA fields!")
    assert sm.discover(folder, "sqlite")[-1].description == "add case sla fields"
    with pytest.raises(ConfigError, match="no letters or digits"):
        sm.next_pair(folder, "!!!")


def test_a_connection_in_a_transaction_is_refused(conn: Connection) -> None:
    conn.execute(text("SELECT 1"))  # autobegins
    with pytest.raises(NetappsError, match="outside a transaction"):
        sm.upgrade(conn, migrations(conn))


def test_a_sqlite_engine_without_transactional_ddl_is_refused(tmp_path: Path) -> None:
    engine = create_engine(URL.create("sqlite", database=str(tmp_path / "plain.db")))
    try:
        with engine.connect() as conn, pytest.raises(NetappsError, match="make_engine"):
            sm.upgrade(conn, migrations(conn))
    finally:
        engine.dispose()
