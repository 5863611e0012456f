"""Breaks found by attacking the services from outside, each kept fixed, on SQLite and
PostgreSQL: NUL characters, integers past the database's types, the last administrator,
SAP's ticket workflow, an Idempotency-Key reused with another request, API keys' last use."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from route_examples import EXAMPLES
from services_support import Service, create_user, login

from servicekit.auth import route_rules
from servicekit.logging import line_formatter

PROBLEM = "application/problem+json"
sap = pytest.mark.parametrize("app_under_test", ["sap"], indirect=True)
servicenow = pytest.mark.parametrize("app_under_test", ["servicenow"], indirect=True)
platform = pytest.mark.parametrize("app_under_test", ["mulesoft"], indirect=True)

#: Per service, a route reading a string from the path and one from the query.
NUL_IN_REQUEST_LINE = {
    "sap": ["/api/tickets/TKT-PM%00", "/api/password-resets?correlation_id=a%00b"],
    "servicenow": [
        "/api/tickets/INC%000010001",
        "/api/now/table/incident?sysparm_query=short_description%3Da%00b",
    ],
    "mulesoft": ["/api/flows/runs/flow%00", "/api/integration-logs?correlation_id=a%00b"],
}


def _refused(response: Any, status: int = 422) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM


def test_a_nul_in_a_path_or_query_is_refused(service: Service) -> None:
    for url in NUL_IN_REQUEST_LINE[service.app.name]:
        _refused(service.client.get(url, headers=service.admin))


def test_a_nul_in_a_body_is_refused_and_nothing_is_written(service: Service) -> None:
    app = service.app
    escaped = {"username": "ad\u0000min", "password": "whatever-password"}
    _refused(service.client.post("/api/auth/login", json=escaped))
    raw = b'{"username": "ad\x00min", "password": "whatever-password"}'
    headers = {"content-type": "application/json"}
    _refused(service.client.post("/api/auth/login", content=raw, headers=headers))
    name = app.login_for(app.roles[-1])
    body = app.user_body(name, "pw-a-long-password", app.roles[-1])
    body["full_name"] = "Nul\u0000Name"
    _refused(service.client.post("/api/users", json=body, headers=service.admin))
    listed = service.client.get("/api/users", params={"limit": 500}, headers=service.admin)
    assert name not in listed.text
    # A backslash-u sequence that is not a NUL is text like any other.
    fine = {"username": "\\u0000", "password": "whatever-password"}
    assert service.client.post("/api/auth/login", json=fine).status_code == 401


@pytest.mark.parametrize("json_lines", [False, True], ids=["key-value", "json"])
def test_log_lines_escape_control_characters(service: Service, json_lines: bool) -> None:
    """A path with a newline, a NUL and an escape sequence: one access line, escaped."""
    sink = io.StringIO()
    capture = logging.StreamHandler(sink)
    capture.setFormatter(line_formatter(json_lines))
    # The access logger itself: a migration's logging.config in this process may have
    # disabled it or raised the root's level, which says nothing about the formatting.
    access = logging.getLogger("servicekit.access")
    disabled, level = access.disabled, access.level
    access.disabled = False
    access.setLevel(logging.INFO)
    access.addHandler(capture)
    try:
        service.client.get("/api/tickets%0Aforged-line%00%1b[31m", headers=service.admin)
    finally:
        access.removeHandler(capture)
        access.disabled, access.level = disabled, level
    written = sink.getvalue()
    assert "forged-line" in written
    assert "\x00" not in written and "\x1b" not in written
    assert not any(line.startswith("forged-line") for line in written.splitlines())
    escaped = "\\x0aforged-line\\x00\\x1b[31m"
    assert escaped in (written.replace("\\\\", "\\") if json_lines else written)


def _integer_parameters(service: Service) -> list[tuple[str, str, str, str]]:
    """(method, path template, parameter, where) of every integer parameter of the API."""
    found = []
    for template, operations in service.client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
                if "integer" in types:
                    found.append((method.upper(), template, parameter["name"], parameter["in"]))
    return found


def _path(template: str, integers: dict[str, int]) -> str:
    path = template
    for part in template.split("/"):
        if part.startswith("{"):
            name = part[1:-1]
            path = path.replace(part, str(integers.get(name, 1 if name.endswith("_id") else "x")))
    return path


@pytest.mark.parametrize("value", [2**31, 10**20, -(2**63) - 1])
def test_every_integer_parameter_is_bounded(service: Service, value: int) -> None:
    """An offset of 1e20 or an id past 2^31: 422 naming the parameter, on every route
    (the database's integer types never see it)."""
    parameters = _integer_parameters(service)
    assert any(name == "offset" for _m, _t, name, _w in parameters)
    assert any(where == "path" for _m, _t, _n, where in parameters)
    rules = {(m, t): r for m, t, r in route_rules(service.client.app)}
    examples = EXAMPLES[service.app.name]
    failures = []
    for method, template, name, where in parameters:
        rule = rules[(method, template)]
        role = next(r for r in service.headers if rule is not None and rule.allows(frozenset({r})))
        body = None
        if method != "GET" and (method, template) in examples:
            body = examples[(method, template)](service, role)[1]
        path = _path(template, {name: value} if where == "path" else {})
        params = {name: value} if where == "query" else None
        response = service.client.request(
            method, path, params=params, json=body, headers=service.headers[role]
        )
        named = any(name in e["loc"] for e in response.json().get("errors", []))
        if response.status_code != 422 or not named:
            failures.append(f"{method} {template} {name}={value}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_nobody_disables_themselves_nor_the_last_active_administrator(service: Service) -> None:
    app = service.app
    admin_id = service.user_ids[app.admin_role]
    itself = service.client.post(f"/api/users/{admin_id}/disable", headers=service.admin)
    _refused(itself, 409)
    name, password, other_id = create_user(service.client, app, service.admin, app.admin_role)
    other = login(service.client, name, password)
    _refused(service.client.post(f"/api/users/{other_id}/disable", headers=other), 409)
    # The bootstrap administrator disables the other one; its access token still works for
    # minutes, but the last active administrator is not its to disable.
    assert service.client.post(f"/api/users/{other_id}/disable", headers=service.admin).is_success
    last = service.client.post(f"/api/users/{admin_id}/disable", headers=other)
    _refused(last, 409)
    assert "last active administrator" in last.json()["detail"]
    me = service.client.get(f"/api/users/{admin_id}", headers=service.admin).json()
    assert me.get("is_active", me.get("status") == "active") in (True, "active")
    login(service.client, app.admin_login, service.credentials.admin_password)


SAP_STATUSES = ("Open", "Assigned", "In_Progress", "Closed")
SAP_ALLOWED = {("Open", "Assigned"), ("Assigned", "In_Progress"), ("In_Progress", "Closed")}


@sap
@pytest.mark.parametrize(
    ("start", "target"),
    [(a, b) for a in SAP_STATUSES for b in SAP_STATUSES if a != b],
)
def test_sap_ticket_workflow_pair(service: Service, start: str, target: str) -> None:
    """The README's workflow, Open -> Assigned -> In_Progress -> Closed, one step forward at
    a time: each pair of statuses allowed or refused (409, nothing changed)."""
    body = {"ticket_type": "Incident", "module": "PM", "title": f"{start} to {target}"}
    created = service.client.post("/api/tickets", json=body, headers=service.admin)
    path = f"/api/tickets/{created.json()['ticket_id']}"
    for step in SAP_STATUSES[1 : SAP_STATUSES.index(start) + 1]:
        moved = service.client.patch(path, json={"status": step}, headers=service.admin)
        assert moved.status_code == 200, moved.text
    answer = service.client.patch(path, json={"status": target}, headers=service.admin)
    now = service.client.get(path, headers=service.admin).json()["status"]
    if (start, target) in SAP_ALLOWED:
        assert answer.status_code == 200 and now == target
    else:
        _refused(answer, 409)
        assert now == start


@servicenow
def test_servicenow_an_idempotency_key_reused_with_another_request_is_refused(
    service: Service,
) -> None:
    user = service.headers["user"]
    headers = {**user, "Idempotency-Key": "reset-once"}
    body = {"sap_username": "jdoe", "reason": "forgot it"}
    first = service.client.post("/api/password-resets", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = service.client.post("/api/password-resets", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["ticket_number"] == first.json()["ticket_number"]
    other = {"sap_username": "someone-else", "reason": "forgot it"}
    _refused(service.client.post("/api/password-resets", json=other, headers=headers))
    listed = service.client.get("/api/tickets", params={"limit": 500}, headers=user).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert not any("someone-else" in t["title"] for t in items)


@platform
def test_platform_an_api_keys_last_use_is_written_once_a_minute_at_most(
    service: Service,
) -> None:
    developer = service.headers["developer"]
    created = service.client.post("/api/api-keys", json={"name": "used"}, headers=developer)
    key = created.json()["key"]
    assert created.json()["last_used_at"] is None

    def last_used() -> str | None:
        keys = service.client.get("/api/api-keys", headers=developer).json()
        return next(k["last_used_at"] for k in keys if k["id"] == created.json()["id"])

    assert service.client.get("/api/integrations", headers={"X-API-Key": key}).is_success
    first = last_used()
    assert first is not None
    assert service.client.get("/api/integrations", headers={"X-API-Key": key}).is_success
    assert last_used() == first  # within the minute: not written again


@servicenow
def test_servicenow_an_assignee_id_past_the_integer_range_is_a_422(service: Service) -> None:
    created = service.client.post(
        "/api/tickets", json={"title": "printer"}, headers=service.headers["user"]
    )
    assert created.status_code == 201, created.text
    path = f"/api/tickets/{created.json()['ticket_number']}"
    for value in (2**31, 10**20):
        answer = service.client.patch(
            path, json={"assigned_to_id": value}, headers=service.headers["agent"]
        )
        _refused(answer)
