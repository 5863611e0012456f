"""The REST API in this process, on SQLite and PostgreSQL: records, users and their rules,
composite without allOrNone, and the error shape of every failure under /services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
from salesforce_support import (
    API,
    RunningSalesforce,
    SalesforceCredentials,
    bearer,
    in_process,
    url_text,
)
from sqlalchemy.engine import URL

SOBJECTS = f"{API}/sobjects"


def error_code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and set(body[0]) == {"message", "errorCode", "fields"}, body
    return str(body[0]["errorCode"])


def create(
    sf: RunningSalesforce, name: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> str:
    response = sf.client.post(f"{SOBJECTS}/{name}", json=body, headers=headers or sf.admin)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_versions_need_no_sign_in_and_the_rest_does(sf: RunningSalesforce) -> None:
    versions = sf.client.get("/services/data/").json()
    assert {"label": "Version 62.0", "url": "/services/data/v62.0", "version": "62.0"} in versions
    assert error_code(sf.client.get(f"{API}/"), 401) == "INVALID_SESSION_ID"
    assert error_code(sf.client.get(f"{API}/", headers={"Authorization": "Basic x"}), 401) == (
        "INVALID_SESSION_ID"
    )
    assert error_code(sf.client.get("/services/data/v12.0/", headers=sf.admin), 404) == "NOT_FOUND"


def test_ids_of_15_characters_work_in_bodies_and_paths(sf: RunningSalesforce) -> None:
    account = create(sf, "Account", {"Name": "Short ids"})
    order = create(sf, "WorkOrder", {"AccountId": account[:15]})
    line = create(sf, "WorkOrderLineItem", {"WorkOrderId": order[:15], "Quantity": 2.5})
    got = sf.client.get(f"{SOBJECTS}/WorkOrderLineItem/{line[:15]}", headers=sf.admin).json()
    assert got["WorkOrderId"] == order and got["Quantity"] == 2.5
    assert got["LineItemNumber"] and got["CreatedById"].startswith("005")
    only = sf.client.get(
        f"{SOBJECTS}/WorkOrder/{order}", params={"fields": "Id,Status"}, headers=sf.admin
    ).json()
    assert set(only) == {"attributes", "Id", "Status"}
    assert only["attributes"] == {"type": "WorkOrder", "url": f"{SOBJECTS}/WorkOrder/{order}"}


def test_server_fields_are_not_writable_and_duplicates_are_refused(sf: RunningSalesforce) -> None:
    refused = sf.client.post(
        f"{SOBJECTS}/Case", json={"Subject": "s", "CaseNumber": "1"}, headers=sf.admin
    )
    assert error_code(refused, 400) == "INVALID_FIELD_FOR_INSERT_UPDATE"
    create(sf, "Product2", {"Name": "Valve", "ProductCode": "MAT-1"})
    duplicate = sf.client.post(
        f"{SOBJECTS}/Product2", json={"Name": "Other", "ProductCode": "MAT-1"}, headers=sf.admin
    )
    assert error_code(duplicate, 400) == "DUPLICATE_VALUE"
    too_long = sf.client.post(f"{SOBJECTS}/Account", json={"Name": "x" * 256}, headers=sf.admin)
    assert error_code(too_long, 400) == "STRING_TOO_LONG"


def test_closing_a_case_sets_its_closed_date(sf: RunningSalesforce) -> None:
    case = create(sf, "Case", {"Subject": "s"})
    sf.client.patch(f"{SOBJECTS}/Case/{case}", json={"Status": "Closed"}, headers=sf.admin)
    assert sf.client.get(f"{SOBJECTS}/Case/{case}", headers=sf.admin).json()["ClosedDate"]


def test_deleted_records_are_gone_from_the_api(sf: RunningSalesforce) -> None:
    account = create(sf, "Account", {"Name": "Temporary"})
    assert sf.client.delete(f"{SOBJECTS}/Account/{account}", headers=sf.admin).status_code == 204
    assert error_code(sf.client.get(f"{SOBJECTS}/Account/{account}", headers=sf.admin), 404) == (
        "NOT_FOUND"
    )
    again = sf.client.delete(f"{SOBJECTS}/Account/{account}", headers=sf.admin)
    assert error_code(again, 404) == "ENTITY_IS_DELETED"
    referring = sf.client.post(
        f"{SOBJECTS}/Contact", json={"LastName": "x", "AccountId": account}, headers=sf.admin
    )
    assert error_code(referring, 400) == "INVALID_CROSS_REFERENCE_KEY"


def test_users_are_managed_by_administrators_only(sf: RunningSalesforce) -> None:
    user = create(
        sf,
        "User",
        {"Username": "std@example.com", "Email": "std@example.com", "LastName": "Std"},
    )
    password = "a-long-enough-password"
    set_password = sf.client.post(
        f"{SOBJECTS}/User/{user}/password", json={"NewPassword": password}, headers=sf.admin
    )
    assert set_password.status_code == 204, set_password.text
    standard = bearer(sf.client, sf.credentials, username="std@example.com", password=password)
    shown = sf.client.get(f"{SOBJECTS}/User/{user}", headers=standard)
    assert shown.json()["Profile__c"] == "Standard User"
    assert "password" not in shown.text.lower() and "$argon2" not in shown.text
    refused = sf.client.post(
        f"{SOBJECTS}/User",
        json={"Username": "x@example.com", "Email": "x@example.com", "LastName": "X"},
        headers=standard,
    )
    assert error_code(refused, 403) == "INSUFFICIENT_ACCESS"
    promote = sf.client.patch(
        f"{SOBJECTS}/User/{user}", json={"Profile__c": "System Administrator"}, headers=standard
    )
    assert error_code(promote, 403) == "INSUFFICIENT_ACCESS"
    assert error_code(sf.client.delete(f"{SOBJECTS}/User/{user}", headers=sf.admin), 405) == (
        "METHOD_NOT_ALLOWED"
    )
    # Deactivated: the password no longer signs in.
    sf.client.patch(f"{SOBJECTS}/User/{user}", json={"IsActive": False}, headers=sf.admin)
    denied = sf.client.post(
        "/services/oauth2/token",
        data=sf.credentials.password_grant(username="std@example.com", password=password),
    )
    assert denied.status_code == 400 and denied.json()["error"] == "invalid_grant"


def test_connected_apps_show_their_secret_once(sf: RunningSalesforce) -> None:
    me = sf.client.get(f"{SOBJECTS}/User/Username/{sf.credentials.username}", headers=sf.admin)
    created = sf.client.post(
        "/api/admin/connected-apps",
        json={"name": "SAP bridge", "run_as_user_id": me.json()["Id"]},
        headers=sf.admin,
    )
    assert created.status_code == 201, created.text
    app = created.json()
    listed = sf.client.get("/api/admin/connected-apps", headers=sf.admin)
    assert app["consumer_secret"] not in listed.text and "consumer_secret" not in listed.text
    token = sf.client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["consumer_key"],
            "client_secret": app["consumer_secret"],
        },
    )
    assert token.status_code == 200, token.text
    wrong = sf.client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["consumer_key"],
            "client_secret": "not-it",
        },
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
    unsupported = sf.client.post("/services/oauth2/token", data={"grant_type": "implicit"})
    assert unsupported.json()["error"] == "unsupported_grant_type"
    anonymous = sf.client.post("/api/admin/connected-apps", json={"name": "x"})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")


def test_composite_without_all_or_none_keeps_what_succeeded(sf: RunningSalesforce) -> None:
    answer = sf.client.post(
        f"{API}/composite",
        json={
            "allOrNone": False,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"{SOBJECTS}/Account",
                    "referenceId": "ok",
                    "body": {"Name": "Kept"},
                },
                {
                    "method": "POST",
                    "url": f"{SOBJECTS}/Account",
                    "referenceId": "bad",
                    "body": {"Name": None},
                },
                {
                    "method": "DELETE",
                    "url": f"{SOBJECTS}/Account/@{{bad.id}}",
                    "referenceId": "refers_to_failed",
                },
                {
                    "method": "GET",
                    "url": f"{SOBJECTS}/Account/describe",
                    "referenceId": "describe",
                },
            ],
        },
        headers=sf.admin,
    )
    assert answer.status_code == 200, answer.text
    ok, bad, dependent, described = answer.json()["compositeResponse"]
    assert described["httpStatusCode"] == 200 and described["body"]["keyPrefix"] == "001"
    assert ok["httpStatusCode"] == 201 and ok["httpHeaders"]["Location"].endswith(ok["body"]["id"])
    assert bad["httpStatusCode"] == 400 and bad["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert dependent["httpStatusCode"] == 400
    kept = sf.client.get(f"{SOBJECTS}/Account/{ok['body']['id']}", headers=sf.admin)
    assert kept.status_code == 200


def test_composite_rejects_malformed_requests(sf: RunningSalesforce) -> None:
    cases: list[Any] = [
        [],
        {"compositeRequest": []},
        {"compositeRequest": [{"method": "GET"}]},
        {"compositeRequest": [{"method": "GET", "url": "/x", "referenceId": "a b"}]},
        {"allOrNone": "yes", "compositeRequest": [{}]},
        {
            "compositeRequest": [
                {"method": "GET", "url": f"{API}/", "referenceId": f"r{i}"} for i in range(26)
            ]
        },
    ]
    for body in cases:
        response = sf.client.post(f"{API}/composite", json=body, headers=sf.admin)
        assert response.status_code == 400, (body, response.text)
        assert isinstance(response.json(), list)


def test_bad_bodies_get_salesforce_errors(sf: RunningSalesforce) -> None:
    post = f"{SOBJECTS}/Account"
    headers = {**sf.admin, "Content-Type": "application/json"}
    for raw in (
        b"",
        b"[1,2]",
        b'"text"',
        b"\xff\xfe",
        b'{"Name": "\\ud800"}',
        b"[" * 100_000,
        b'{"Name": NaN}',
        b'{"Name": ' + b"[" * 500 + b"]" * 500 + b"}",
    ):
        response = sf.client.post(post, content=raw, headers=headers)
        assert response.status_code == 400, (raw[:20], response.text)
        assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    for body, code in (
        ({"Name": "n", "NumberOfEmployees": "many"}, "JSON_PARSER_ERROR"),
        ({"Name": "n", "NumberOfEmployees": 1.5}, "JSON_PARSER_ERROR"),
        ({"Name": "n", "AnnualRevenue": 1e300}, "NUMBER_OUTSIDE_VALID_RANGE"),
        ({"Name": "n", "AnnualRevenue": 10**13}, "NUMBER_OUTSIDE_VALID_RANGE"),
        ({"Name": "n", "Type": "Friend"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        ({"Name": ["list"]}, "JSON_PARSER_ERROR"),
        ({"Name": "n", "NumberOfEmployees": -1}, "FIELD_INTEGRITY_EXCEPTION"),  # a CHECK
    ):
        assert error_code(sf.client.post(post, json=body, headers=sf.admin), 400) == code, body
    upsert = sf.client.patch(
        f"{SOBJECTS}/WorkOrder/External_Id__c/A-1", json={"External_Id__c": "B-2"}, headers=sf.admin
    )
    assert error_code(upsert, 400) == "INVALID_FIELD"
    not_external = sf.client.patch(f"{SOBJECTS}/WorkOrder/Subject/x", json={}, headers=sf.admin)
    assert error_code(not_external, 404) == "NOT_FOUND"


def test_basic_info_shows_recent_items(sf: RunningSalesforce) -> None:
    order = create(sf, "WorkOrder", {"Subject": "recent"})
    info = sf.client.get(f"{SOBJECTS}/WorkOrder", headers=sf.admin).json()
    assert info["objectDescribe"]["keyPrefix"] == "0WO"
    assert info["recentItems"][0]["Id"] == order
    assert set(info["recentItems"][0]) == {"attributes", "Id", "WorkOrderNumber"}


def test_token_requests_are_rate_limited(
    netapps_db: Callable[..., URL], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESFORCE_DATABASE_URL", url_text(netapps_db("salesforce")))
    credentials = SalesforceCredentials()
    with in_process(credentials, login_rate_limit="2/minute") as client:
        wrong = credentials.password_grant(password="wrong-password")
        answers = [client.post("/services/oauth2/token", data=wrong) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert answers[2].json()["error"] == "invalid_grant"


def test_successful_token_requests_are_not_counted(
    netapps_db: Callable[..., URL], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only failures count: a script that signs in correctly many times is never refused."""
    monkeypatch.setenv("SALESFORCE_DATABASE_URL", url_text(netapps_db("salesforce")))
    credentials = SalesforceCredentials()
    with in_process(credentials, login_rate_limit="2/minute") as client:
        answers = [
            client.post("/services/oauth2/token", data=credentials.password_grant())
            for _ in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200]


def test_a_database_that_goes_away_is_a_503(
    netapps_db: Callable[..., URL], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = netapps_db("salesforce", engine="postgresql")
    monkeypatch.setenv("SALESFORCE_DATABASE_URL", url_text(url))
    credentials = SalesforceCredentials()
    with in_process(credentials) as client:
        headers = bearer(client, credentials)
        maintenance = url.set(database="postgres")
        with psycopg.connect(
            host=maintenance.host,
            port=maintenance.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
        gone = client.post(f"{SOBJECTS}/Account", json={"Name": "nowhere"}, headers=headers)
        assert error_code(gone, 503) == "SERVER_UNAVAILABLE"
        assert gone.headers["Retry-After"]
        assert client.get("/ready").status_code == 503


def test_database_rules_are_400s_in_composite_savepoints_too(sf: RunningSalesforce) -> None:
    answer = sf.client.post(
        f"{API}/composite",
        json={
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"{SOBJECTS}/WorkOrder",
                    "referenceId": "backwards",
                    "body": {
                        "StartDate": "2026-12-08T10:00:00.000+0000",
                        "EndDate": "2026-12-07T10:00:00Z",
                    },
                },
                {
                    "method": "POST",
                    "url": f"{SOBJECTS}/WorkOrder",
                    "referenceId": "fine",
                    "body": {"StartDate": "2026-12-08T10:00:00.000+0000"},
                },
            ]
        },
        headers=sf.admin,
    ).json()["compositeResponse"]
    assert answer[0]["httpStatusCode"] == 400
    assert answer[0]["body"][0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert answer[1]["httpStatusCode"] == 201


def test_a_record_read_back_can_be_sent_again(sf: RunningSalesforce) -> None:
    order = create(sf, "WorkOrder", {"Subject": "round trip"})
    same = {"Id": order[:15], "Subject": "changed"}
    assert (
        sf.client.patch(f"{SOBJECTS}/WorkOrder/{order}", json=same, headers=sf.admin).status_code
        == 204
    )
    other = create(sf, "WorkOrder", {"Subject": "other"})
    moved = sf.client.patch(f"{SOBJECTS}/WorkOrder/{order}", json={"Id": other}, headers=sf.admin)
    assert error_code(moved, 400) == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_deleting_a_work_order_deletes_its_line_items(sf: RunningSalesforce) -> None:
    order = create(sf, "WorkOrder", {"Subject": "parent"})
    line = create(sf, "WorkOrderLineItem", {"WorkOrderId": order, "Quantity": 1})
    other = create(
        sf, "WorkOrderLineItem", {"WorkOrderId": create(sf, "WorkOrder", {}), "Quantity": 1}
    )
    assert sf.client.delete(f"{SOBJECTS}/WorkOrder/{order}", headers=sf.admin).status_code == 204
    gone = sf.client.get(f"{SOBJECTS}/WorkOrderLineItem/{line}", headers=sf.admin)
    assert error_code(gone, 404) == "NOT_FOUND"
    assert (
        sf.client.get(f"{SOBJECTS}/WorkOrderLineItem/{other}", headers=sf.admin).status_code == 200
    )
