"""Fixtures of the Salesforce service's tests: the service in this process on a database
migrated by netapps (SQLite and PostgreSQL), and a signed-in administrator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from salesforce_support import (
    RunningSalesforce,
    SalesforceCredentials,
    bearer,
    in_process,
    url_text,
)
from sqlalchemy.engine import URL


@pytest.fixture(params=["sqlite", "postgresql"])
def sf_engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sf(
    sf_engine: str, netapps_db: Callable[..., URL], monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningSalesforce]:
    url = netapps_db("salesforce", engine=sf_engine)
    monkeypatch.setenv("SALESFORCE_DATABASE_URL", url_text(url))
    credentials = SalesforceCredentials()
    with in_process(credentials) as client:
        yield RunningSalesforce(client, credentials, url, bearer(client, credentials))
