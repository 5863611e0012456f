"""The destructive guard reads what will run (issue 12, point 3): three forms that ran
unflagged in production, flagged since the SQL analyser (netapps/analysis/) reads the SQL
each step runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import APP_FOLDERS

NETAPPS = str(Path(sys.executable).parent / "netapps")

ENV_PY = """\
import sqlalchemy as sa

from netapps.runtime.env import run_alembic_env

metadata = sa.MetaData()
sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
)
run_alembic_env(metadata)
"""

FIRST = '''\
"""create people"""

import sqlalchemy as sa
from alembic import op

revision = "001_people"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "people", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(100))
    )


def downgrade() -> None:
    op.drop_table("people")
'''

SECOND = '''\
"""{message}"""

import sqlalchemy as sa
from alembic import op

revision = "002_change"
down_revision = "001_people"


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''

FORMS = {
    # What autogenerate writes, over several lines: the type shrinks and the data is cut.
    "multi-line alter_column": """\
    op.alter_column(
        "people",
        "name",
        existing_type=sa.String(length=100),
        type_=sa.String(length=3),
        postgresql_using="left(name, 3)",
    )""",
    "ALTER COLUMN TYPE in op.execute": (
        '    op.execute("ALTER TABLE people ALTER COLUMN name TYPE VARCHAR(3)")'
    ),
    "DROP TABLE split over lines in op.execute": '''\
    op.execute(
        """
        DROP
            TABLE people
        """
    )''',
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_destructive_form_is_flagged(tmp_path: Path, form: str) -> None:
    folder = tmp_path / "app"
    versions = folder / "alembic" / "versions"
    versions.mkdir(parents=True)
    (folder / "alembic.ini").write_text((APP_FOLDERS["servicenow"] / "alembic.ini").read_text())
    (folder / "alembic" / "env.py").write_text(ENV_PY)
    (folder / "alembic" / "script.py.mako").write_text(
        (APP_FOLDERS["servicenow"] / "alembic" / "script.py.mako").read_text()
    )
    (versions / "001_people.py").write_text(FIRST)
    (versions / "002_change.py").write_text(SECOND.format(message=form, body=FORMS[form]))
    config = tmp_path / "netapps.toml"
    config.write_text(
        f'[backups]\ndir = "{tmp_path / "backups"}"\n\n'
        f'[apps.forms]\nfolder = "{folder}"\nkind = "alembic"\n'
        f'database.dev = {{ url = "sqlite:///{tmp_path / "db.sqlite"}" }}\n'
        f'database.production = {{ url = "sqlite:///{tmp_path / "db.sqlite"}" }}\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(NETAPPS_CONFIG=str(config), COLUMNS="200")
    run = [NETAPPS, "migrate", "forms", "--to", "001"]
    assert subprocess.run(run, env=env, capture_output=True).returncode == 0
    plan = subprocess.run(
        [NETAPPS, "plan", "forms", "--json"], env=env, capture_output=True, text=True
    )
    steps = json.loads(plan.stdout)[0]["steps"]
    assert [s["revision"] for s in steps] == ["002_change"]
    assert steps[0]["destructive"], f"{form} was not flagged"
    refused = subprocess.run(
        [NETAPPS, "migrate", "forms"],
        env={**env, "NETAPPS_ENV": "production"},
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "--allow-destructive" in refused.stderr
