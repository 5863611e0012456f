"""The repository's own migrations: every app renders for PostgreSQL, its baseline covers every
finding, and without the baselines the findings of the issue appear."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pglast
import pytest
from pglast import ast
from pglast.stream import RawStream
from support import APP_FOLDERS, KINDS, alembic_config

from netapps.analysis import (
    BASELINE_FILE,
    RenderError,
    analyse_app,
    check_app,
    destructive_findings,
    lint_app,
    load_baseline,
    migration_sql,
    render_app,
)
from netapps.analysis.parse import parse_migration

APPS = sorted(APP_FOLDERS)


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("direction", ["up", "down"])
def test_every_migration_renders_and_parses_for_postgresql(app: str, direction: str) -> None:
    rendered = render_app(APP_FOLDERS[app], KINDS[app], direction)  # type: ignore[arg-type]
    assert rendered
    for migration in rendered:
        assert migration.error is None, f"{migration.id}: {migration.error}"
        statements = parse_migration(migration)
        assert statements, migration.id
        assert all(s.node is not None for s in statements), migration.id


@pytest.mark.parametrize("app", APPS)
def test_with_the_baselines_there_are_no_new_findings(app: str) -> None:
    folder = APP_FOLDERS[app]
    assert (folder / BASELINE_FILE).is_file()
    # As netapps runs them: it sets lock_timeout on every migration's connection itself.
    result = check_app(folder, KINDS[app], runner_sets_lock_timeout=True)  # type: ignore[arg-type]
    assert [f.text() for f in result.new] == []
    assert result.stale == []
    assert all(e.reason for e in load_baseline(folder / BASELINE_FILE).entries)


def _found(app: str) -> set[tuple[str, str, str | None]]:
    findings = lint_app(APP_FOLDERS[app], KINDS[app])  # type: ignore[arg-type]
    return {(f.migration, f.rule, f.table) for f in findings}


def test_without_baselines_the_issue_findings_appear() -> None:
    sap = _found("sap")
    assert ("005_create_fi_tables", "add-foreign-key-validated", "mm.requisitions") in sap
    salesforce = _found("salesforce")
    assert {
        ("002", "create-index-non-concurrently", "public.accounts"),
        ("002", "add-check-validated", "public.accounts"),
        ("003", "create-index-non-concurrently", "public.cases"),
        ("003", "add-check-validated", "public.cases"),
    } <= salesforce
    # Tables created in the same migration (every CREATE INDEX of SAP, ServiceNow, Mulesoft's
    # first migrations) are new: not flagged. ServiceNow's 003 and Mulesoft's 002 add a
    # nullable column (no rewrite, no scan): only the lock time-out that netapps sets itself
    # is asked for when the runner is not netapps.
    assert _found("servicenow") == {
        ("003_add_password_reset_flow", "missing-lock-timeout", "public.tickets")
    }
    assert _found("mulesoft") == {
        ("002_add_log_correlation_ids", "missing-lock-timeout", "public.integration_logs")
    }
    assert not any(rule == "create-index-non-concurrently" for _, rule, _ in sap)


def test_sap_005_finding_points_at_the_batch_block() -> None:
    """A batch_alter_table block emits its SQL when it exits: the finding names its line."""
    (finding,) = [
        f
        for f in lint_app(APP_FOLDERS["sap"], "alembic", ["005_create_fi_tables"])
        if f.rule == "add-foreign-key-validated"
    ]
    source = (APP_FOLDERS["sap"] / finding.path).read_text().splitlines()
    assert finding.source_line is not None
    assert 'op.batch_alter_table("requisitions"' in source[finding.source_line - 1]
    assert finding.lock == "SHARE ROW EXCLUSIVE"
    assert finding.statement.startswith("ALTER TABLE mm.requisitions ADD CONSTRAINT")


@pytest.mark.parametrize("app", APPS)
def test_no_upgrade_of_the_repo_is_destructive(app: str) -> None:
    assert destructive_findings(APP_FOLDERS[app], KINDS[app]) == []  # type: ignore[arg-type]


def test_downgrades_are_destructive() -> None:
    found = {
        (f.migration, f.rule, f.table)
        for f in destructive_findings(APP_FOLDERS["salesforce"], "sql", direction="down")
    }
    assert ("002", "drop-column", "public.accounts") in found
    assert ("001", "drop-table", "public.accounts") in found
    sap = analyse_app(APP_FOLDERS["sap"], "alembic", ["006_seed_mock_data"], direction="down")
    assert {f.rule for f in sap} == {"delete-rows"}  # deletes exactly the seeded keys


def _statements(sql: str) -> list[str]:
    skip = (ast.TransactionStmt,)
    out = []
    for raw in pglast.parse_sql(sql):
        node = raw.stmt
        text = str(RawStream()(node))
        # Bookkeeping, not the migrations' own: the version table and netapps' ledger (which
        # offline SQL writes as an online run does).
        if isinstance(node, skip) or "alembic_version" in text or "netapps_migration_log" in text:
            continue
        out.append(text)
    return out


@pytest.fixture
def _logging_restored() -> Iterator[None]:
    """`alembic` through env.py applies alembic.ini's logging (fileConfig), with handlers on
    the stderr pytest captures for this test; later tests must not log to that closed stream."""
    loggers = [logging.getLogger(name) for name in ("", "alembic", "sqlalchemy", "netapps")]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate, lg.disabled) for lg in loggers]
    yield
    for lg, handlers, level, propagate, disabled in saved:
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled


@pytest.mark.parametrize("app", ["sap", "mulesoft", "servicenow"])
@pytest.mark.usefixtures("_logging_restored")
def test_rendering_matches_alembic_upgrade_sql(app: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our renderer gives the statements that `alembic upgrade head --sql` prints for a
    PostgreSQL URL (through the app's env.py), without needing that URL."""
    from alembic import command

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/offline")
    buffer = io.StringIO()
    config = alembic_config(app)
    config.output_buffer = buffer
    command.upgrade(config, "head", sql=True)
    theirs = _statements(buffer.getvalue())
    ours = [s for m in render_app(APP_FOLDERS[app], "alembic") for s in _statements(m.sql)]
    assert ours == theirs


def test_migration_sql_of_one_migration() -> None:
    sql = migration_sql(APP_FOLDERS["salesforce"], "sql", "001")
    assert "GENERATED BY DEFAULT AS IDENTITY" in sql  # the PostgreSQL variant of 001
    sap = migration_sql(APP_FOLDERS["sap"], "alembic", "001_create_schemas")
    assert "CREATE SCHEMA IF NOT EXISTS core;" in sap  # PostgreSQL, though dev is SQLite
    with pytest.raises(RenderError):
        migration_sql(APP_FOLDERS["sap"], "alembic", "999_nothing")
    with pytest.raises(RenderError, match="no migration '999'"):
        lint_app(APP_FOLDERS["salesforce"], "sql", ["999"])
    assert lint_app(APP_FOLDERS["salesforce"], "sql", ["2"]) == lint_app(
        APP_FOLDERS["salesforce"], "sql", ["002"]
    )


def test_paths_are_relative_to_the_app_folder() -> None:
    for app in APPS:
        for migration in render_app(APP_FOLDERS[app], KINDS[app]):  # type: ignore[arg-type]
            assert not Path(migration.relpath).is_absolute()
