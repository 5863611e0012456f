"""The Salesforce service as a real uvicorn process over HTTPS (a dev CA made for the test
module), on a database migrated by netapps (SQLite and PostgreSQL), for the vendors' own
clients to talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from salesforce_support import (
    HttpsSalesforce,
    SalesforceCredentials,
    https_service,
    leaked_secrets,
)

from netapps.testing import TemplateCache


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
        # After the module: the process's whole output (logs and all) holds no secret.
        output = process.output()
        assert "service_started" in output  # the log was written where we look
        assert not leaked_secrets(output, credentials)
    finally:
        netapps_templates.drop(url)
