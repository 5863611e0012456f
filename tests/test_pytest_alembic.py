"""pytest-alembic's built-in tests on every Alembic app, on SQLite and on PostgreSQL.

Set up as pytest-alembic's documentation shows: an ``alembic_config`` fixture (the app's
alembic.ini) and an ``alembic_engine`` fixture (an Engine on an empty database), and the
built-in tests imported into a test module. pytest-alembic hands the Engine to env.py through
``config.attributes["connection"]`` (Alembic's "sharing a connection" recipe), so these tests
also prove that recipe works: the dialect is the connection's, not netapps.toml's, and a
connection env.py does not own is never committed or closed.

To run them for your own new migrations: ``.venv/bin/pytest tests/test_pytest_alembic.py``
(``-k sap`` for one app, ``-k sqlite`` or ``-k postgresql`` for one engine).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy
from alembic.config import Config
from pytest_alembic.tests import (  # noqa: F401  (collected here: pytest-alembic's own tests)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy.engine import URL
from support import ALEMBIC_APPS, APP_FOLDERS


@pytest.fixture(params=ALEMBIC_APPS)
def alembic_config(request: pytest.FixtureRequest) -> Config:
    return Config(str(APP_FOLDERS[request.param] / "alembic.ini"))


@pytest.fixture
def alembic_engine(db_url: URL) -> Iterator[sqlalchemy.Engine]:
    engine = sqlalchemy.create_engine(db_url)
    yield engine
    engine.dispose()
