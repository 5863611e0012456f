"""pytest-alembic's experimental ``test_downgrade_leaves_no_trace`` on every Alembic app, on
SQLite and PostgreSQL.

That test runs each revision inside one transaction it rolls back. On SQLite the fixtures are
exactly pytest-alembic's documented ones and every revision runs: ``autocommit_block()`` is
taken only where the dialect needs it (PostgreSQL's CONCURRENTLY; netapps.runtime.env). On
PostgreSQL a revision that builds an index CONCURRENTLY cannot run inside a transaction, so
those revisions are stamped over instead of run, with pytest-alembic's own ``skip_revisions``
setting; every other revision is checked. (tests/test_concurrent_indexes.py and the
offline-SQL tests run the concurrent ones for real.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy
from alembic.config import Config as AlembicConfig
from pytest_alembic.config import Config
from pytest_alembic.tests.experimental import (  # noqa: F401  (collected here)
    test_downgrade_leaves_no_trace,
)
from sqlalchemy.engine import URL
from support import ALEMBIC_APPS, APP_FOLDERS

from netapps.sources.revisions import read_alembic_folder


def outside_transaction(app: str) -> list[str]:
    """The app's revisions that run (part of) their work outside a transaction."""
    revisions = read_alembic_folder(APP_FOLDERS[app] / "alembic" / "versions")
    return [r.id for r in revisions if r.details.outside_transaction]


@pytest.fixture(params=ALEMBIC_APPS)
def alembic_config(request: pytest.FixtureRequest, engine: str) -> Config:
    ini = AlembicConfig(str(APP_FOLDERS[request.param] / "alembic.ini"))
    if engine == "sqlite":
        # As pytest-alembic's documentation writes it: nothing skipped. SQLite builds every
        # index inside the transaction (autocommit_block() leaves it only on PostgreSQL).
        return Config(alembic_config=ini)
    return Config(alembic_config=ini, skip_revisions=outside_transaction(request.param))


@pytest.fixture
def alembic_engine(db_url: URL) -> Iterator[sqlalchemy.Engine]:
    engine = sqlalchemy.create_engine(db_url)
    yield engine
    engine.dispose()
