"""The unmodified, pinned simple-salesforce against the Salesforce service over HTTPS.

A token from ``/services/oauth2/token``, then ``Salesforce(instance_url=..., session_id=...)``
with a requests session that trusts the dev CA. simple-salesforce's own login
(``Salesforce(username=..., consumer_key=..., ...)``) always posts to
``https://{domain}.salesforce.com/services/oauth2/token`` (``simple_salesforce/login.py``):
it reaches this service only through a DNS override, or, as tested here, a requests session
whose adapter sends that host's requests to the service; after the login everything goes to
the ``instance_url`` the service answered.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from salesforce_crm.models import work_orders
from salesforce_support import HttpsSalesforce
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)
from sqlalchemy import create_engine, insert

from servicekit.security import TokenService

VERSION = "62.0"


def client(service: HttpsSalesforce, **grant: str) -> Salesforce:
    token = service.token(**grant)
    assert token["instance_url"] == service.base_url  # as the client reached it: https
    return Salesforce(
        instance_url=token["instance_url"],
        session_id=token["access_token"],
        session=service.session(),
        version=VERSION,
    )


@pytest.fixture(scope="module")
def sf(https_salesforce: HttpsSalesforce) -> Salesforce:
    return client(https_salesforce)


def raw(
    service: HttpsSalesforce, sf: Salesforce, method: str, path: str, **kwargs: Any
) -> requests.Response:
    """A request with the session's token, for bodies simple-salesforce would not send."""
    headers = {"Authorization": f"Bearer {sf.session_id}", **kwargs.pop("headers", {})}
    with service.session() as session:
        return session.request(
            method, f"{service.base_url}{path}", headers=headers, timeout=60, **kwargs
        )


def assert_salesforce_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body, body
    assert body[0]["errorCode"] == code, body
    assert set(body[0]) >= {"message", "errorCode"}


def test_the_token_answer_is_salesforces(https_salesforce: HttpsSalesforce) -> None:
    token = https_salesforce.token()
    assert token["token_type"] == "Bearer"
    assert token["instance_url"].startswith("https://")
    assert int(token["issued_at"]) > 1_600_000_000_000  # milliseconds
    assert token["id"].startswith(f"{token['instance_url']}/id/00D")
    assert token["signature"]


def test_client_credentials_grant_acts_as_the_run_as_user(
    https_salesforce: HttpsSalesforce,
) -> None:
    sf = client(https_salesforce, grant_type="client_credentials", username="", password="")
    case = sf.Case.create({"Subject": "from the integration"})
    created_by = sf.Case.get(case["id"])["CreatedById"]
    assert sf.User.get(created_by)["Username"] == https_salesforce.credentials.username


class ToService(requests.adapters.HTTPAdapter):
    """Sends requests for ``origin`` to the service (what a hosts entry would do)."""

    def __init__(self, origin: str, base_url: str) -> None:
        super().__init__()
        self.origin = origin
        self.base_url = base_url

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        request.url = request.url.replace(self.origin, self.base_url, 1)
        return super().send(request, **kwargs)


def login_session(service: HttpsSalesforce, domain: str = "login") -> requests.Session:
    """A session that trusts the dev CA and sends ``https://{domain}.salesforce.com`` (where
    simple-salesforce signs in) to the service."""
    origin = f"https://{domain}.salesforce.com"
    session = service.session()
    session.mount(origin, ToService(origin, service.base_url))
    return session


def test_simple_salesforces_own_password_login(https_salesforce: HttpsSalesforce) -> None:
    credentials = https_salesforce.credentials
    sf = Salesforce(
        username=credentials.username,
        password=credentials.password,
        consumer_key=credentials.client_id,
        consumer_secret=credentials.client_secret,
        session=login_session(https_salesforce),
        version=VERSION,
    )
    assert f"https://{sf.sf_instance}" == https_salesforce.base_url
    assert sf.Account.create({"Name": "logged in by simple-salesforce"})["success"]


def test_simple_salesforces_own_client_credentials_login(https_salesforce: HttpsSalesforce) -> None:
    credentials = https_salesforce.credentials
    sf = Salesforce(
        consumer_key=credentials.client_id,
        consumer_secret=credentials.client_secret,
        domain="netapps.my",  # a My Domain: simple-salesforce's client_credentials login
        session=login_session(https_salesforce, "netapps.my"),
        version=VERSION,
    )
    assert sf.Case.create({"Subject": "client credentials"})["success"]


def test_wrong_password_is_an_oauth_error(https_salesforce: HttpsSalesforce) -> None:
    with https_salesforce.session() as session:
        response = session.post(
            f"{https_salesforce.base_url}/services/oauth2/token",
            data=https_salesforce.credentials.password_grant(password="not-the-password"),
            timeout=30,
        )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "authentication failure",
    }


def test_case_create_answers_an_18_character_id(sf: Salesforce) -> None:
    created = sf.Case.create({"Subject": "Pump leaks", "Priority": "High", "Origin": "Web"})
    assert created["success"] is True and created["errors"] == []
    assert len(created["id"]) == 18 and created["id"].startswith("500")
    case = sf.Case.get(created["id"])
    assert case["attributes"]["type"] == "Case"
    assert case["Subject"] == "Pump leaks" and case["Status"] == "New"
    assert case["CaseNumber"]
    assert sf.Case.get(created["id"][:15])["Id"] == created["id"]  # 15 characters too


def test_work_order_get_and_update(sf: Salesforce) -> None:
    account = sf.Account.create({"Name": "Acme Plant"})["id"]
    order = sf.WorkOrder.create({"Subject": "Replace valve", "AccountId": account})["id"]
    assert order.startswith("0WO")
    before = sf.WorkOrder.get(order)
    assert before["Status"] == "New" and before["AccountId"] == account
    assert sf.WorkOrder.update(order, {"Status": "In Progress", "Priority": "High"}) == 204
    after = sf.WorkOrder.get(order)
    assert (after["Status"], after["Priority"]) == ("In Progress", "High")
    assert after["LastModifiedDate"] >= before["LastModifiedDate"]
    assert (
        sf.WorkOrder.get(
            order,
        )["WorkOrderNumber"]
        == before["WorkOrderNumber"]
    )


def test_upsert_creates_then_updates(sf: Salesforce) -> None:
    key = f"EXT-{secrets.token_hex(4)}"
    assert sf.WorkOrder.upsert(f"External_Id__c/{key}", {"Subject": "first"}) == 201
    assert sf.WorkOrder.upsert(f"External_Id__c/{key}", {"Subject": "second"}) == 204
    found = sf.WorkOrder.get_by_custom_id("External_Id__c", key)
    assert found["Subject"] == "second" and found["External_Id__c"] == key


def test_upsert_matching_several_records_answers_300(sf: Salesforce) -> None:
    key = f"ACC-{secrets.token_hex(4)}"  # Account's external id is not unique
    sf.Account.create({"Name": "one", "External_Id__c": key})
    sf.Account.create({"Name": "two", "External_Id__c": key})
    with pytest.raises(SalesforceMoreThanOneRecord) as raised:
        sf.Account.upsert(f"External_Id__c/{key}", {"Name": "three"})
    assert len(raised.value.content) == 2


def test_composite_all_or_none_rolls_back_everything(
    https_salesforce: HttpsSalesforce, sf: Salesforce
) -> None:
    key = f"CMP-{secrets.token_hex(4)}"
    base = f"/services/data/v{VERSION}/sobjects"
    answer = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"{base}/Account",
                    "referenceId": "newAccount",
                    "body": {"Name": "Rolled back", "External_Id__c": key},
                },
                {
                    "method": "POST",
                    "url": f"{base}/Contact",
                    "referenceId": "newContact",
                    "body": {"AccountId": "@{newAccount.id}", "No_Such_Field__c": "x"},
                },
            ],
        },
    )
    first, second = answer["compositeResponse"]
    assert first["referenceId"] == "newAccount"
    assert first["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert second["httpStatusCode"] == 400
    assert second["body"][0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get_by_custom_id("External_Id__c", key)


def test_composite_references_feed_later_subrequests(sf: Salesforce) -> None:
    base = f"/services/data/v{VERSION}/sobjects"
    answer = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"{base}/Account",
                    "referenceId": "acc",
                    "body": {"Name": "Composite Co"},
                },
                {
                    "method": "POST",
                    "url": f"{base}/WorkOrder",
                    "referenceId": "wo",
                    "body": {"Subject": "Inspect", "AccountId": "@{acc.id}"},
                },
                {"method": "GET", "url": f"{base}/WorkOrder/@{{wo.id}}", "referenceId": "read"},
            ],
        },
    )
    created, order, read = answer["compositeResponse"]
    assert created["httpStatusCode"] == 201 and order["httpStatusCode"] == 201
    assert read["body"]["AccountId"] == created["body"]["id"]


def test_collections_create_many_records(sf: Salesforce) -> None:
    answer = sf.restful(
        "composite/sobjects",
        method="POST",
        json={
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Product2"}, "Name": f"Part {n}"} for n in range(3)
            ],
        },
    )
    assert [a["success"] for a in answer] == [True, True, True]
    assert all(a["id"].startswith("01t") for a in answer)


def test_a_bad_field_raises_malformed_request_with_invalid_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Account.create({"Name": "x", "Bogus__c": 1})
    assert raised.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_a_missing_required_field_and_a_bad_picklist_value(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Account.create({"Phone": "123"})
    assert missing.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert missing.value.content[0]["fields"] == ["Name"]
    with pytest.raises(SalesforceMalformedRequest) as picklist:
        sf.WorkOrder.create({"Status": "Sideways"})
    assert picklist.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_references_are_checked(sf: Salesforce) -> None:
    case = sf.Case.create({"Subject": "not an account"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as wrong_object:
        sf.WorkOrder.create({"AccountId": case})
    assert wrong_object.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.WorkOrder.create({"AccountId": "not-an-id"})
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_ID"


def test_a_bad_or_expired_token_raises_expired_session(
    https_salesforce: HttpsSalesforce, sf: Salesforce
) -> None:
    bad = Salesforce(
        instance_url=https_salesforce.base_url,
        session_id="00D-not-a-token",
        session=https_salesforce.session(),
        version=VERSION,
    )
    with pytest.raises(SalesforceExpiredSession):
        bad.Account.create({"Name": "never"})
    expired_token = TokenService(
        https_salesforce.credentials.jwt_secret, "salesforce", -1, 1
    ).issue("1", "admin", ["System Administrator"], "access")
    expired = Salesforce(
        instance_url=https_salesforce.base_url,
        session_id=expired_token,
        session=https_salesforce.session(),
        version=VERSION,
    )
    with pytest.raises(SalesforceExpiredSession) as raised:
        expired.Case.describe()
    assert raised.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID", "fields": []}
    ]


def test_describe(sf: Salesforce) -> None:
    every = {o["name"]: o for o in sf.describe()["sobjects"]}
    assert {n: every[n]["keyPrefix"] for n in ("Account", "WorkOrder", "WorkOrderLineItem")} == {
        "Account": "001",
        "WorkOrder": "0WO",
        "WorkOrderLineItem": "1WL",
    }
    fields = {f["name"]: f for f in sf.WorkOrder.describe()["fields"]}
    status = fields["Status"]
    assert status["type"] == "picklist"
    assert status["picklistValues"][0] == {
        "value": "New",
        "label": "New",
        "active": True,
        "defaultValue": True,
        "validFor": None,
    }
    assert fields["External_Id__c"]["externalId"] is True
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["CreatedDate"]["createable"] is False


def test_delete_moves_to_the_recycle_bin(sf: Salesforce) -> None:
    product = sf.Product2.create({"Name": "Valve", "ProductCode": f"MAT-{secrets.token_hex(3)}"})
    assert sf.Product2.delete(product["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Product2.get(product["id"])


def test_query_all_follows_next_records_url(
    https_salesforce: HttpsSalesforce, sf: Salesforce
) -> None:
    marker = f"bulk-{secrets.token_hex(3)}"
    now = dt.datetime.now(dt.UTC)
    engine = create_engine(https_salesforce.url)
    with engine.begin() as conn:
        conn.execute(
            insert(work_orders),
            [
                {
                    "work_order_number": f"B{marker}-{n}",
                    "subject": marker,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(2100)
            ],
        )
    engine.dispose()
    result = sf.query_all(f"SELECT Id FROM WorkOrder WHERE Subject = '{marker}'")
    assert result["totalSize"] == 2100 and len(result["records"]) == 2100
    assert len({r["Id"] for r in result["records"]}) == 2100


def test_bad_soql_is_malformed_query(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELEKT Id FROM Account")
    assert raised.value.content[0]["errorCode"] == "MALFORMED_QUERY"


# Attacks: each gets a Salesforce error body, never a 500.


def test_nul_characters_are_refused(https_salesforce: HttpsSalesforce, sf: Salesforce) -> None:
    response = raw(
        https_salesforce,
        sf,
        "POST",
        f"/services/data/v{VERSION}/sobjects/Account",
        json={"Name": "evil\u0000name"},
    )
    assert_salesforce_error(response, 400, "JSON_PARSER_ERROR")


def test_a_body_of_10_mb_is_refused(https_salesforce: HttpsSalesforce, sf: Salesforce) -> None:
    body = json.dumps({"Name": "x" * (10 * 1024 * 1024 + 10)})
    response = raw(
        https_salesforce,
        sf,
        "POST",
        f"/services/data/v{VERSION}/sobjects/Account",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert_salesforce_error(response, 413, "REQUEST_TOO_LARGE")


def test_huge_numbers_and_ids(https_salesforce: HttpsSalesforce, sf: Salesforce) -> None:
    big = 2**64
    api = f"/services/data/v{VERSION}/sobjects"
    too_many = raw(
        https_salesforce,
        sf,
        "POST",
        f"{api}/Account",
        json={"Name": "big", "NumberOfEmployees": big},
    )
    assert_salesforce_error(too_many, 400, "NUMBER_OUTSIDE_VALID_RANGE")
    revenue = raw(
        https_salesforce, sf, "POST", f"{api}/Account", json={"Name": "big", "AnnualRevenue": big}
    )
    assert_salesforce_error(revenue, 400, "NUMBER_OUTSIDE_VALID_RANGE")
    assert_salesforce_error(
        raw(https_salesforce, sf, "GET", f"{api}/Account/{big}"), 400, "MALFORMED_ID"
    )
    # A well-formed id whose row number is beyond any integer column.
    assert_salesforce_error(
        raw(https_salesforce, sf, "GET", f"{api}/Account/0015g0zzzzzzzzzAAA"), 404, "NOT_FOUND"
    )
    quantity = raw(
        https_salesforce,
        sf,
        "POST",
        f"{api}/WorkOrderLineItem",
        json={"WorkOrderId": "0WO5g0zzzzzzzzz", "Quantity": 1},
    )
    assert_salesforce_error(quantity, 400, "INVALID_CROSS_REFERENCE_KEY")


def test_injection_looking_strings_are_plain_data(
    https_salesforce: HttpsSalesforce, sf: Salesforce
) -> None:
    name = "Robert'); DROP TABLE accounts;--"
    created = sf.Account.create({"Name": name, "External_Id__c": "' OR '1'='1"})
    assert sf.Account.get(created["id"])["Name"] == name
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get_by_custom_id("External_Id__c", "x' OR '1'='1")
    api = f"/services/data/v{VERSION}/sobjects"
    for path in (f"{api}/Account;DROP/describe", f"{api}/Account/001' OR 1=1--"):
        response = raw(https_salesforce, sf, "GET", path)
        assert response.status_code in (400, 404), response.text
        assert isinstance(response.json(), list)


def test_not_json_and_unknown_routes(https_salesforce: HttpsSalesforce, sf: Salesforce) -> None:
    api = f"/services/data/v{VERSION}"
    broken = raw(
        https_salesforce,
        sf,
        "POST",
        f"{api}/sobjects/Account",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert_salesforce_error(broken, 400, "JSON_PARSER_ERROR")
    assert_salesforce_error(
        raw(https_salesforce, sf, "GET", f"{api}/nothing/here"), 404, "NOT_FOUND"
    )
    assert_salesforce_error(
        raw(https_salesforce, sf, "PUT", f"{api}/sobjects/Account"), 405, "METHOD_NOT_ALLOWED"
    )
    assert_salesforce_error(
        raw(https_salesforce, sf, "GET", f"{api}/sobjects/Nope/describe"), 404, "NOT_FOUND"
    )


def test_concurrent_creates_get_distinct_ids_and_numbers(sf: Salesforce) -> None:
    def one(n: int) -> str:
        return str(sf.WorkOrder.create({"Subject": f"concurrent {n}"})["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(one, range(40)))
    assert len(set(created)) == 40
    numbers = {sf.WorkOrder.get(i)["WorkOrderNumber"] for i in created}
    assert len(numbers) == 40 and not any(n.startswith("tmp-") for n in numbers)
