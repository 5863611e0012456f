"""Alembic's "sharing a connection" recipe: ``config.attributes["connection"]`` holds a
Connection or an Engine, and env.py runs on it — the connection's dialect decides (not
netapps.toml), the log line says so, and a connection env.py does not own is never committed
or closed. pytest-alembic relies on this too (tests/test_pytest_alembic.py).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import URL
from support import APP_FOLDERS, alembic_config, table

from appdb.engine import make_engine
from netapps.sources.revisions import read_alembic_folder

REPRO = """
import sqlalchemy as sa, sys
from alembic.config import Config
from alembic import command
config = Config("alembic.ini")
config.attributes["connection"] = sa.create_engine(sys.argv[1])
command.upgrade(config, "head")
"""


def version(url: URL) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return []
            return list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def test_an_engine_handed_in_is_used_whatever_the_environment_says(db_url: URL) -> None:
    """The issue's repro, for SAP on both engines; DATABASE_URL points nowhere at all."""
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://postgres:secret@127.0.0.1:1/x"}
    done = subprocess.run(
        [sys.executable, "-c", REPRO, db_url.render_as_string(hide_password=False)],
        cwd=APP_FOLDERS["sap"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"SAP_clone: connection handed in, {db_url.get_backend_name()}" in done.stderr
    assert "127.0.0.1:1" not in done.stderr  # netapps.toml's or DATABASE_URL's URL: unused
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            schema, name = table(db_url, "core.tickets")
            assert sa.inspect(conn).has_table(name, schema=schema)
            if db_url.get_backend_name() == "postgresql":
                # SAP's tables in their schemas, not in public (no SQLite mapping applied).
                public = set(sa.inspect(conn).get_table_names(schema="public"))
                assert not public & {"tickets", "assets", "materials", "cost_centers"}, public
    finally:
        engine.dispose()
    assert len(version(db_url)) == 1


def transactional_head(app: str) -> str:
    """The newest revision before the first one that runs outside a transaction."""
    revisions = read_alembic_folder(APP_FOLDERS[app] / "alembic" / "versions")
    last = "head"
    for revision in sorted(revisions, key=lambda r: r.id):
        if "autocommit_block" in revision.path.read_text():
            break
        last = revision.id
    return last


@pytest.mark.parametrize("app", ["sap", "servicenow"])
def test_the_callers_transaction_is_neither_committed_nor_closed(app: str, db_url: URL) -> None:
    # make_engine: on SQLite, pysqlite left alone would commit DDL whatever the caller does.
    engine = make_engine(db_url, for_migrations=True)
    try:
        with engine.connect() as conn:
            transaction = conn.begin()
            config = alembic_config(app)
            config.attributes["connection"] = conn
            # Up to the last revision that runs inside a transaction: one that builds an index
            # CONCURRENTLY must commit what came before it (Alembic's autocommit_block).
            command.upgrade(config, transactional_head(app))
            assert conn.in_transaction() and transaction.is_active
            assert not conn.closed
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            transaction.rollback()  # the caller decides: nothing was committed behind its back
        assert version(db_url) == []

        with engine.connect() as conn:  # no transaction open: Alembic commits its own
            config = alembic_config(app)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            assert not conn.closed
            command.downgrade(config, "base")
            command.upgrade(config, "head")
        assert len(version(db_url)) == 1
    finally:
        engine.dispose()
