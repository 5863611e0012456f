"""The Salesforce service as a real uvicorn process over HTTPS (a dev CA made for the test
module), on a database migrated by netapps (SQLite and PostgreSQL), for the vendors' own
clients to talk to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from salesforce_support import SalesforceCredentials, ServiceProcess, https_service
from sqlalchemy.engine import URL

from netapps.testing import TemplateCache


@dataclass
class HttpsSalesforce:
    process: ServiceProcess
    credentials: SalesforceCredentials
    url: URL  # the database

    @property
    def base_url(self) -> str:
        return self.process.base_url

    @property
    def ca_file(self) -> Path:
        return self.process.ca_file

    def session(self) -> requests.Session:
        """A requests session that trusts the dev CA (never verify=False)."""
        session = requests.Session()
        session.verify = str(self.ca_file)
        return session

    def token(self, **grant: str) -> dict[str, str]:
        with self.session() as session:
            response = session.post(
                f"{self.base_url}/services/oauth2/token",
                data={**self.credentials.password_grant(), **grant},
                timeout=30,
            )
        assert response.status_code == 200, response.text
        answer: dict[str, str] = response.json()
        return answer


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def https_salesforce(
    request: pytest.FixtureRequest,
    netapps_templates: TemplateCache,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HttpsSalesforce]:
    engine = str(request.param)
    if engine == "postgresql":
        request.getfixturevalue("_netapps_postgres_templates")  # skipped without a server
    folder = tmp_path_factory.mktemp(f"salesforce-{engine}")
    url = netapps_templates.create("salesforce", engine=engine, directory=folder)
    credentials = SalesforceCredentials()
    try:
        with (
            https_service(url, folder, credentials) as process,
            pytest.MonkeyPatch.context() as env,
        ):
            # What a user does (the README's line): requests reads REQUESTS_CA_BUNDLE, and it
            # wins over a session's own verify when set, so it must name the dev CA.
            env.setenv("REQUESTS_CA_BUNDLE", str(process.ca_file))
            env.delenv("CURL_CA_BUNDLE", raising=False)
            yield HttpsSalesforce(process, credentials, url)
    finally:
        netapps_templates.drop(url)
