"""Helpers for the analysis tests: small SQL-file apps and Alembic revisions written to disk."""

from __future__ import annotations

import textwrap
from pathlib import Path

#: The first migration of every SQL test app: tables that exist before the migration tested.
BASE = """
CREATE TABLE accounts (
    id integer PRIMARY KEY,
    name varchar(50) NOT NULL,
    email text,
    score numeric(10, 2),
    n integer,
    big bigint
);
CREATE INDEX ix_accounts_name ON accounts (name);
CREATE TABLE owners (id integer PRIMARY KEY);
"""


def sql_app(root: Path, *migrations: str, base: str = BASE) -> Path:
    """An app folder with migrations/001 = ``base`` and 002... = ``migrations`` (up files)."""
    folder = root / "app"
    (folder / "migrations").mkdir(parents=True)
    for number, up in enumerate((base, *migrations), start=1):
        stem = folder / "migrations" / f"{number:03d}_step_{number}"
        stem.with_name(stem.name + ".up.sql").write_text(textwrap.dedent(up))
        stem.with_name(stem.name + ".down.sql").write_text("SELECT 1;\n")
    return folder


def alembic_revision(app_folder: Path, revision: str, down_revision: str, body: str) -> Path:
    """Write an Alembic revision file whose upgrade() is ``body`` (indented code)."""
    path = app_folder / "alembic" / "versions" / f"{revision}.py"
    path.write_text(
        f'"""{revision}\n\nRevision ID: {revision}\nRevises: {down_revision}\n"""\n\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f'revision = "{revision}"\n'
        f'down_revision = "{down_revision}"\n'
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        f"{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n\n\n"
        "def downgrade() -> None:\n"
        "    pass\n"
    )
    return path
