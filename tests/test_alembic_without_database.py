"""Plain ``alembic`` typed in an app folder, as Alembic users do.

Commands that need no database (``history``, ``heads``, ``branches``, ``show``, ``revision``
without ``--autogenerate``, ``merge``) work while DATABASE_URL points at a closed port;
commands that need one fail in one line, password masked, no traceback. ``merge`` gets the
next numbered id and ``stamp`` writes a ledger row, as their netapps counterparts do.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL
from support import ALEMBIC_APPS, APP_FOLDERS, copy_app, write_config

BIN = Path(sys.executable).parent
CLOSED = {
    "psycopg": "postgresql+psycopg://postgres:s3cr3t@127.0.0.1:1/nowhere",
    "asyncpg": "postgresql+asyncpg://postgres:s3cr3t@127.0.0.1:1/nowhere",
}


def alembic(folder: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **variables}
    return subprocess.run(
        [str(BIN / "alembic"), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


@pytest.mark.parametrize("app", ALEMBIC_APPS)
def test_reading_the_history_needs_no_database(app: str) -> None:
    folder = APP_FOLDERS[app]
    url = CLOSED["psycopg"]
    heads = ok(alembic(folder, "heads", DATABASE_URL=url))
    head = heads.split()[0]
    assert "(head)" in heads
    assert head in ok(alembic(folder, "history", DATABASE_URL=url))
    ok(alembic(folder, "branches", DATABASE_URL=url))
    assert head in ok(alembic(folder, "show", head, DATABASE_URL=url))


def test_revision_and_merge_need_no_database_and_are_numbered(tmp_path: Path) -> None:
    folder = copy_app("servicenow", tmp_path)
    config = write_config(tmp_path / "netapps.toml", ["servicenow"], folders={"servicenow": folder})
    variables = {"DATABASE_URL": CLOSED["asyncpg"], "NETAPPS_CONFIG": str(config)}
    versions = folder / "alembic" / "versions"
    existing = sorted(p.stem for p in versions.glob("0*.py"))
    head, count = existing[-1], len(existing)
    widgets, gadgets = f"{count + 1:03d}_add_widgets", f"{count + 2:03d}_add_gadgets"
    merged = f"{count + 3:03d}_join_widgets_and_gadgets"

    ok(alembic(folder, "revision", "-m", "add widgets", **variables))
    ok(alembic(folder, "revision", "-m", "add gadgets", "--head", head, "--splice", **variables))
    assert {p.stem for p in versions.glob("0*.py")} == {*existing, widgets, gadgets}
    ok(alembic(folder, "merge", "heads", "-m", "join widgets and gadgets", **variables))
    assert (versions / f"{merged}.py").is_file()
    assert ok(alembic(folder, "heads", **variables)).split()[0] == merged


@pytest.mark.parametrize(
    ("driver", "args"),
    [
        ("psycopg", ("current",)),
        ("psycopg", ("upgrade", "head")),
        ("asyncpg", ("downgrade", "base")),
        ("psycopg", ("stamp", "head")),
        ("psycopg", ("history", "-i")),
        ("asyncpg", ("revision", "--autogenerate", "-m", "x")),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_commands_that_need_the_database_fail_in_one_line(
    driver: str, args: tuple[str, ...]
) -> None:
    done = alembic(APP_FOLDERS["sap"], *args, DATABASE_URL=CLOSED[driver])
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "s3cr3t" not in output, output
    # Alembic's way: "FAILED: ..." on stdout (and its error log line on stderr).
    failed = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(failed) == 1 and failed[0].startswith("FAILED:"), output
    assert "cannot connect to postgresql" in failed[0] and ":***@127.0.0.1:1" in failed[0]


def ledger(url: URL) -> list[tuple[str, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT revision, direction FROM netapps_migration_log ORDER BY id")
            )
            return [(row.revision, row.direction) for row in rows]
    finally:
        engine.dispose()


def test_alembic_stamp_writes_a_ledger_row(db_url: URL) -> None:
    folder = APP_FOLDERS["servicenow"]
    url = db_url.render_as_string(hide_password=False)
    ok(alembic(folder, "stamp", "head", DATABASE_URL=url))
    (head,) = ok(alembic(folder, "heads", DATABASE_URL=url)).split()[:1]
    assert ledger(db_url) == [(head, "stamp")]
    assert head in ok(alembic(folder, "current", DATABASE_URL=url))
    ok(alembic(folder, "stamp", "base", DATABASE_URL=url))
    assert ledger(db_url) == [(head, "stamp"), ("base", "stamp")]
    assert head not in ok(alembic(folder, "current", DATABASE_URL=url))


#: A message that ends the docstring, runs code, and carries a backslash, a tab and a newline.
INJECTION = 'x"""; import os; os.system("touch pwned"); """ \\ C:\\new\ttab\nsecond line'


@pytest.mark.parametrize("app", ALEMBIC_APPS)
def test_revision_message_typed_in_the_folder_is_only_text(app: str, tmp_path: Path) -> None:
    """``alembic revision -m`` renders the app's script.py.mako: whatever the message holds,
    the new file's docstring shows it as typed and nothing of it runs."""
    folder = copy_app(app, tmp_path)
    config = write_config(tmp_path / "netapps.toml", [app], folders={app: folder})
    variables = {"DATABASE_URL": CLOSED["psycopg"], "NETAPPS_CONFIG": str(config)}
    versions = folder / "alembic" / "versions"
    before = set(versions.glob("*.py"))
    ok(alembic(folder, "revision", "-m", INJECTION, **variables))
    (created,) = set(versions.glob("*.py")) - before
    text = created.read_text()
    tree = ast.parse(text)
    assert [type(node).__name__ for node in tree.body[:1]] == ["Expr"]
    assert not any(
        isinstance(node, ast.Import) and node.names[0].name == "os" for node in tree.body
    )
    docstring = ast.get_docstring(tree, clean=False) or ""
    assert docstring.startswith(INJECTION + "\n"), docstring
    ok(alembic(folder, "history", **variables))
    assert not (folder / "pwned").exists() and not Path("pwned").exists()
