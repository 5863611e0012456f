"""What each service does with its own data, on SQLite and PostgreSQL: SAP's ticket workflow
and audit trail, ServiceNow's numbers, states, work notes and Table API, the integration
platform's API keys and logs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from services_support import (
    APPS,
    Credentials,
    Service,
    create_user,
    database_env,
    in_process,
    login,
    migrate,
    new_password,
)
from sqlalchemy import text
from sqlalchemy.engine import URL

from appdb.engine import make_engine
from servicekit.security import api_key_digest

sap = pytest.mark.parametrize("app_under_test", ["sap"], indirect=True)
servicenow = pytest.mark.parametrize("app_under_test", ["servicenow"], indirect=True)
platform = pytest.mark.parametrize("app_under_test", ["mulesoft"], indirect=True)


def _sap_ticket(service: Service, headers: dict[str, str], module: str = "PM") -> dict[str, str]:
    body = {"ticket_type": "Incident", "module": module, "title": "transformer hum"}
    response = service.client.post("/api/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@sap
def test_sap_ticket_workflow_and_audit_trail(service: Service) -> None:
    ticket = _sap_ticket(service, service.admin)
    assert re.fullmatch(r"TKT-PM-\d{8}-\d{6}", ticket["ticket_id"])
    assert ticket["status"] == "Open" and ticket["created_by"] == "admin"
    path = f"/api/tickets/{ticket['ticket_id']}"
    for status in ("Assigned", "In_Progress", "Closed"):
        moved = service.client.patch(path, json={"status": status}, headers=service.admin)
        assert moved.status_code == 200 and moved.json()["status"] == status
    reopened = service.client.patch(path, json={"status": "Open"}, headers=service.admin)
    assert reopened.status_code == 409
    assert reopened.headers["content-type"] == "application/problem+json"
    assert service.client.get(path, headers=service.admin).json()["status"] == "Closed"
    trail = service.client.get(f"{path}/audit", headers=service.admin).json()
    assert [(a["action"], a["old_value"], a["new_value"]) for a in trail] == [
        ("created", None, "Open"),
        ("status_changed", "Open", "Assigned"),
        ("status_changed", "Assigned", "In_Progress"),
        ("status_changed", "In_Progress", "Closed"),
    ]


@sap
def test_sap_a_refused_change_changes_nothing(service: Service) -> None:
    ticket = _sap_ticket(service, service.admin)
    path = f"/api/tickets/{ticket['ticket_id']}"
    # A priority change with a forbidden status: 409, and neither the priority nor the audit
    # trail moved.
    assert service.client.patch(path, json={"status": "Assigned"}, headers=service.admin).is_success
    refused = service.client.patch(
        path, json={"status": "Open", "priority": "P1"}, headers=service.admin
    )
    assert refused.status_code == 409
    assert service.client.get(path, headers=service.admin).json()["priority"] == "P3"
    assert len(service.client.get(f"{path}/audit", headers=service.admin).json()) == 2


@sap
def test_sap_roles_see_their_modules_tickets_only(service: Service) -> None:
    engineer, store = service.headers["Maintenance_Engineer"], service.headers["Store_Manager"]
    pm = _sap_ticket(service, engineer, "PM")
    assert (
        service.client.post(
            "/api/tickets",
            json={"ticket_type": "Procurement", "module": "MM", "title": "x"},
            headers=engineer,
        ).status_code
        == 403
    )
    assert service.client.get(f"/api/tickets/{pm['ticket_id']}", headers=store).status_code == 404
    listed = service.client.get("/api/tickets?limit=500", headers=store).json()["items"]
    assert {t["module"] for t in listed} <= {"MM"}
    assert service.client.get("/api/fi/approvals", headers=engineer).status_code == 403
    assert service.client.get("/api/pm/assets", headers=engineer).json()  # the seeded assets


@sap
def test_sap_tickets_created_by_a_service_carry_the_correlation_id(service: Service) -> None:
    headers = {**service.headers["service"], "X-Correlation-ID": "reset-flow-1"}
    ticket = _sap_ticket(service, headers, "FI")
    assert ticket["correlation_id"] == "reset-flow-1"
    assert ticket["created_by"] == "service"


@sap
def test_sap_passwords_are_stored_as_argon2_hashes(service: Service) -> None:
    password = new_password()
    body = {"username": "hash-check", "password": password, "roles": ["Store_Manager"]}
    assert service.client.post("/api/users", json=body, headers=service.admin).is_success
    engine = make_engine(service.url, schemas=("core",))
    try:
        with engine.connect() as conn:
            table = "users" if service.engine == "sqlite" else "core.users"
            stored = conn.execute(
                text(f"SELECT password_hash FROM {table} WHERE username = 'hash-check'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored.startswith("$argon2id$") and password not in stored


@sap
def test_sap_users_set_by_an_admin_must_change_their_password(service: Service) -> None:
    password = new_password()
    body = {"username": f"temp-{new_password()[3:9]}", "password": password, "roles": ["Admin"]}
    created = service.client.post("/api/users", json=body, headers=service.admin)
    assert created.json()["must_change_password"] is True
    tokens = service.client.post(
        "/api/auth/login", json={"username": body["username"], "password": password}
    ).json()
    assert tokens["must_change_password"] is True
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    # Until the password is changed, nothing else is open (the role is Admin).
    refused = service.client.get("/api/users", headers=headers)
    assert refused.status_code == 403 and "change your password" in refused.json()["detail"]
    assert service.client.get("/api/auth/me", headers=headers).json()["must_change_password"]
    new = new_password()
    change = {"current_password": password, "new_password": new}
    assert service.client.post("/api/auth/password", json=change, headers=headers).is_success
    user = service.client.get(f"/api/users/{created.json()['id']}", headers=service.admin)
    assert user.json()["must_change_password"] is False
    fresh = login(service.client, body["username"], new)
    assert service.client.get("/api/users", headers=fresh).status_code == 200


@sap
def test_sap_a_pending_user_signs_in_only_once_activated(service: Service) -> None:
    password = new_password()
    body = {
        "username": "pending-one",
        "password": password,
        "roles": ["Finance_Officer"],
        "status": "pending_approval",
        "must_change_password": False,
    }
    created = service.client.post("/api/users", json=body, headers=service.admin).json()
    assert created["status"] == "pending_approval"
    credentials = {"username": "pending-one", "password": password}
    assert service.client.post("/api/auth/login", json=credentials).status_code == 401
    activated = service.client.post(f"/api/users/{created['id']}/activate", headers=service.admin)
    assert activated.json()["status"] == "active"
    assert service.client.post("/api/auth/login", json=credentials).status_code == 200


@servicenow
def test_servicenow_numbers_states_and_work_notes(service: Service) -> None:
    user = service.headers["user"]
    raised = service.client.post(
        "/api/tickets", json={"title": "VPN down", "ticket_type": "incident"}, headers=user
    ).json()
    assert re.fullmatch(r"INC\d{7}", raised["ticket_number"]) and raised["status"] == "submitted"
    change = service.client.post(
        "/api/tickets", json={"title": "new switch", "ticket_type": "change_request"}, headers=user
    ).json()
    assert change["ticket_number"].startswith("CHG")
    number = raised["ticket_number"]
    agent = service.headers["agent"]
    # A plain user may not work the ticket; an agent may, along the allowed states only.
    assert (
        service.client.patch(
            f"/api/tickets/{number}", json={"status": "in_progress"}, headers=user
        ).status_code
        == 403
    )
    assert (
        service.client.patch(
            f"/api/tickets/{number}", json={"status": "closed"}, headers=agent
        ).status_code
        == 409
    )
    for state in ("in_progress", "resolved", "closed"):
        moved = service.client.patch(
            f"/api/tickets/{number}", json={"status": state}, headers=agent
        )
        assert moved.json()["status"] == state
    note = service.client.post(
        f"/api/tickets/{number}/work_notes", json={"note": "rebooted the gateway"}, headers=agent
    )
    assert note.status_code == 201
    notes = service.client.get(f"/api/tickets/{number}/work_notes", headers=agent).json()
    assert [n["note"] for n in notes] == ["rebooted the gateway"]


@servicenow
def test_servicenow_users_see_only_their_own_tickets(service: Service) -> None:
    mine = service.client.post(
        "/api/tickets", json={"title": "mine"}, headers=service.headers["user"]
    ).json()
    theirs = service.client.post(
        "/api/tickets", json={"title": "theirs"}, headers=service.headers["agent"]
    ).json()
    user = service.headers["user"]
    listed = {t["ticket_number"] for t in service.client.get("/api/tickets", headers=user).json()}
    assert mine["ticket_number"] in listed and theirs["ticket_number"] not in listed
    hidden = service.client.get(f"/api/tickets/{theirs['ticket_number']}", headers=user)
    assert hidden.status_code == 404


@servicenow
def test_servicenow_table_api(service: Service) -> None:
    agent = service.headers["agent"]
    for title in ("printer jam", "printer toner", "email bounce"):
        service.client.post("/api/tickets", json={"title": title}, headers=agent)

    def records(query: str, limit: int = 100, offset: int = 0) -> list[dict[str, object]]:
        response = service.client.get(
            "/api/now/table/ticket",
            params={"sysparm_query": query, "sysparm_limit": limit, "sysparm_offset": offset},
            headers=agent,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["result"])

    printers = records("titleSTARTSWITHprinter^ORDERBYDESCtitle")
    assert [r["title"] for r in printers] == ["printer toner", "printer jam"]
    assert [r["title"] for r in records("titleLIKEprinter^ORDERBYtitle", limit=1, offset=1)] == [
        "printer toner"
    ]
    assert all(r["title"] != "email bounce" for r in records("title!=email bounce"))
    assert records("status=submitted^titleLIKEbounce")[0]["title"] == "email bounce"
    bad = service.client.get(
        "/api/now/table/ticket", params={"sysparm_query": "password=x"}, headers=agent
    )
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert service.client.get("/api/now/table/users", headers=agent).status_code == 404
    incidents = service.client.get("/api/now/table/incident", headers=agent)
    assert incidents.json() == {"result": []}


@platform
def test_platform_api_keys_are_shown_once_stored_hashed_and_revocable(service: Service) -> None:
    developer = service.headers["developer"]
    created = service.client.post("/api/api-keys", json={"name": "ci"}, headers=developer).json()
    key = created["key"]
    listed = service.client.get("/api/api-keys", headers=developer).json()
    assert all("key" not in k and key not in str(k) for k in listed)
    engine = make_engine(service.url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT key_hash FROM api_keys WHERE id = :id"), {"id": created["id"]}
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored == api_key_digest(key) and key not in stored
    # The key works as its owner (a developer may create integrations) until revoked.
    made = service.client.post("/api/integrations", json={"name": "k"}, headers={"X-API-Key": key})
    assert made.status_code == 201
    # Another developer neither sees nor revokes it; a viewer may not manage keys at all.
    name, password, _ = create_user(service.client, service.app, service.admin, "developer")
    colleague = login(service.client, name, password)
    assert created["id"] not in {
        k["id"] for k in service.client.get("/api/api-keys", headers=colleague).json()
    }
    revoke = f"/api/api-keys/{created['id']}/revoke"
    assert service.client.post(revoke, headers=colleague).status_code == 404
    assert service.client.post(revoke, headers=service.headers["viewer"]).status_code == 403
    assert service.client.post(
        f"/api/api-keys/{created['id']}/revoke", headers=developer
    ).is_success
    refused = service.client.get("/api/integrations", headers={"X-API-Key": key})
    assert refused.status_code == 401


@platform
def test_platform_logs_follow_a_correlation_id(service: Service) -> None:
    developer = service.headers["developer"]
    integration = service.client.post(
        "/api/integrations", json={"name": "reset"}, headers=developer
    ).json()
    path = f"/api/integrations/{integration['id']}/logs"
    for flow, message in (("flow-a", "received"), ("flow-b", "other"), ("flow-a", "sent")):
        headers = {**developer, "X-Correlation-ID": flow}
        assert service.client.post(path, json={"message": message}, headers=headers).is_success
    viewer = service.headers["viewer"]
    found = service.client.get(
        "/api/integration-logs", params={"correlation_id": "flow-a"}, headers=viewer
    ).json()
    assert [e["message"] for e in found] == ["received", "sent"]
    one = service.client.get(path, params={"correlation_id": "flow-b"}, headers=viewer).json()
    assert [e["message"] for e in one] == ["other"]


@platform
def test_platform_a_disabled_user_cannot_sign_in_or_refresh(service: Service) -> None:
    app = service.app
    email, password = app.login_for("viewer"), new_password()
    created = service.client.post(
        "/api/users", json=app.user_body(email, password, "viewer"), headers=service.admin
    ).json()
    tokens = service.client.post(
        "/api/auth/login", json={"username": email, "password": password}
    ).json()
    login(service.client, email, password)
    service.client.post(f"/api/users/{created['id']}/disable", headers=service.admin)
    assert (
        service.client.post(
            "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )
    assert (
        service.client.post(
            "/api/auth/login", json={"username": email, "password": password}
        ).status_code
        == 401
    )


def test_flow_routes_answer_503_while_messaging_is_not_configured(
    service_engine: str,
    module_databases: Callable[[str], URL],
    _test_config: Path,
) -> None:
    """Without a hop key for the platform, ServiceNow cannot send the request on: it says so
    (503, Retry-After) and makes no ticket, instead of accepting a request that never moves."""
    app = APPS["servicenow"]
    url = module_databases(service_engine)
    credentials = Credentials()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETAPPS_CONFIG", str(_test_config))
        for name, value in database_env(app, url).items():
            patch.setenv(name, value)
        migrate(app, url)
        settings = credentials.settings(app, hop_secrets=None)
        with in_process(app.create_app(settings)) as client:
            admin = login(client, app.admin_login, credentials.admin_password)
            before = client.get("/api/tickets", headers=admin).json()
            refused = client.post(
                "/api/password-resets", json={"sap_username": "someone"}, headers=admin
            )
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.headers["retry-after"]
            assert "HOP_SECRETS" in refused.json()["detail"]
            assert client.get("/api/tickets", headers=admin).json() == before
