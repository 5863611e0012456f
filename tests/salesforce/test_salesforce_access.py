"""Every route of the Salesforce service asks who is calling, except the few that are public
by design: called without a token, each answers 401 in its API's shape."""

from __future__ import annotations

import re

from salesforce_support import API, RunningSalesforce

from servicekit.auth import route_rules

#: Public by design: sign-in, the versions list (public in Salesforce too), health.
PUBLIC = {
    ("POST", "/services/oauth2/token"),
    ("GET", "/services/data"),
    ("GET", "/services/data/"),
    ("GET", "/health"),
    ("GET", "/ready"),
}
SAMPLE = {
    "version": "62.0",
    "object_name": "Account",
    "record_id": "0015g0000000001AAA",
    "field": "External_Id__c",
    "value": "x",
    "locator": "0r85g0000000001AAA-2000",
    "message_id": "00000000-0000-0000-0000-000000000000",
}


def test_every_route_but_the_public_ones_needs_a_token(sf: RunningSalesforce) -> None:
    checked = 0
    for method, template, _rule in route_rules(sf.client.app):  # type: ignore[arg-type]
        if (method, template) in PUBLIC:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], template)
        answer = sf.client.request(method, path, json={})
        assert answer.status_code == 401, (method, template, answer.text)
        if template.startswith("/services"):
            assert answer.json()[0]["errorCode"] == "INVALID_SESSION_ID"
        else:
            assert answer.headers["content-type"].startswith("application/problem+json")
        checked += 1
    assert checked >= 20


def test_query_routes_check_their_input_before_running_anything(sf: RunningSalesforce) -> None:
    for params in ({}, {"q": ""}, {"q": "SELECT Id FROM Account\x00"}):
        answer = sf.client.get(f"{API}/query", params=params, headers=sf.admin)
        assert answer.status_code == 400, answer.text
        assert answer.json()[0]["errorCode"] == "MALFORMED_QUERY"
