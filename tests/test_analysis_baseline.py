"""The reviewed baseline: its loader refuses what is malformed, naming it; split() tells new
findings from acknowledged ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_support import sql_app

from netapps.analysis import (
    BaselineError,
    check_app,
    lint_app,
    load_baseline,
    render_baseline,
    split,
)

ENTRY = """
[[acknowledged]]
migration = "002"
rule = "create-index-non-concurrently"
fingerprint = "0123456789abcdef"
reason = "applied before the check existed"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lint-baseline.toml"
    path.write_text(text)
    return path


def test_loads_a_valid_baseline(tmp_path: Path) -> None:
    baseline = load_baseline(write(tmp_path, "version = 1\n" + ENTRY))
    (entry,) = baseline.entries
    assert (entry.migration, entry.rule, entry.fingerprint) == (
        "002",
        "create-index-non-concurrently",
        "0123456789abcdef",
    )
    assert entry.reason == "applied before the check existed"


def test_a_missing_file_is_an_empty_baseline(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "nothing.toml").entries == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ENTRY.replace('reason = "applied before the check existed"\n', ""), "'reason' is missing"),
        (
            ENTRY.replace('"applied before the check existed"', '"  "'),
            "'reason' must be a non-empty",
        ),
        (ENTRY.replace("rule =", "rules ="), "unknown key 'rules'"),
        (ENTRY + 'comment = "x"\n', "unknown key 'comment'"),
        ("versoin = 1\n" + ENTRY, "unknown top-level key 'versoin'"),
        ("version = 2\n" + ENTRY, "version 2 is not 1"),
        ('acknowledged = "all"\n', "must be an array of tables"),
        ("[[acknowledged]\n", "not valid TOML"),
        (ENTRY.replace('fingerprint = "0123456789abcdef"', "fingerprint = 12"), "'fingerprint'"),
    ],
)
def test_malformed_baselines_are_errors_that_name_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BaselineError) as error:
        load_baseline(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_split_and_round_trip(tmp_path: Path) -> None:
    folder = sql_app(
        tmp_path,
        "CREATE INDEX ix_accounts_email ON accounts (email);",
        "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
    )
    findings = lint_app(folder, "sql", runner_sets_lock_timeout=True)
    assert [f.rule for f in findings] == ["create-index-non-concurrently", "set-not-null"]
    # Acknowledge the first only, as a reviewer would.
    text = render_baseline(findings[:1], lambda f: "reviewed: the table is tiny")
    path = write(folder, text)
    result = split(findings, load_baseline(path))
    assert result.new == findings[1:]
    assert result.acknowledged == findings[:1]
    assert result.stale == []
    # check_app reads the app folder's lint-baseline.toml.
    checked = check_app(folder, "sql", runner_sets_lock_timeout=True)
    assert [f.rule for f in checked.new] == ["set-not-null"]


def test_an_entry_that_matches_nothing_is_stale(tmp_path: Path) -> None:
    folder = sql_app(tmp_path, "CREATE INDEX CONCURRENTLY ix_accounts_email ON accounts (email);")
    write(folder, "version = 1\n" + ENTRY)
    result = check_app(folder, "sql", runner_sets_lock_timeout=True)
    assert result.new == [] and len(result.stale) == 1


def test_a_baseline_needs_a_reason_for_every_finding(tmp_path: Path) -> None:
    folder = sql_app(tmp_path, "CREATE INDEX ix_accounts_email ON accounts (email);")
    findings = lint_app(folder, "sql", runner_sets_lock_timeout=True)
    with pytest.raises(BaselineError, match="no reason"):
        render_baseline(findings, lambda f: " ")
