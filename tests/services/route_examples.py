"""A valid request for every route of every service, made for a given role.

The authorisation matrix sends each route's example as every role: a route missing here (or
missing an authorisation rule) fails the matrix, so a new route cannot go untested. An
example may first create what it needs (as the administrator), so that each request acts on
a resource of its own.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from services_support import Service, create_user, login
from sqlalchemy import create_engine, text
from work_order_support import approval_of, new_material, open_order

#: (path, JSON body or None) for one request; or (path, body, headers) when the request must
#: be sent as someone else than the role's usual user (a fresh user whose password it changes).
Request = tuple[str, dict[str, Any] | None] | tuple[str, dict[str, Any] | None, dict[str, str]]
Example = Callable[[Service, str], Request]

SAP_MODULE_OF_ROLE = {
    "Maintenance_Engineer": "PM",
    "Store_Manager": "MM",
    "Finance_Officer": "FI",
}


def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _fresh_user(svc: Service) -> int:
    app = svc.app
    role = app.roles[-1]
    body = app.user_body(app.login_for(role), f"pw-{secrets.token_urlsafe(12)}", role)
    return int(_ok(svc.client.post("/api/users", json=body, headers=svc.admin))["id"])


def _user_routes(
    create_body: Callable[[Service], dict[str, Any]],
) -> dict[tuple[str, str], Example]:
    return {
        ("GET", "/api/users"): lambda svc, role: ("/api/users", None),
        ("POST", "/api/users"): lambda svc, role: ("/api/users", create_body(svc)),
        ("GET", "/api/users/{user_id}"): lambda svc, role: (
            f"/api/users/{svc.user_ids[svc.app.admin_role]}",
            None,
        ),
        ("POST", "/api/users/{user_id}/disable"): lambda svc, role: (
            f"/api/users/{_fresh_user(svc)}/disable",
            None,
        ),
    }


def _new_user_body(svc: Service) -> dict[str, Any]:
    role = svc.app.roles[-1]
    return svc.app.user_body(svc.app.login_for(role), f"pw-{secrets.token_urlsafe(12)}", role)


def _own_password(svc: Service, role: str) -> Request:
    """A fresh user of ``role`` changes their own password (a service has none: its key)."""
    if role not in svc.app.roles:
        body = {"current_password": "no-password", "new_password": "pw-" + "x" * 12}
        return "/api/auth/password", body, svc.headers.get(role, {})
    name, password, _id = create_user(svc.client, svc.app, svc.admin, role)
    body = {"current_password": password, "new_password": f"pw-{secrets.token_urlsafe(12)}"}
    return "/api/auth/password", body, login(svc.client, name, password)


COMMON: dict[tuple[str, str], Example] = {
    ("GET", "/api/auth/me"): lambda svc, role: ("/api/auth/me", None),
    ("POST", "/api/auth/password"): _own_password,
}


# SAP_clone


def _sap_module(role: str) -> str:
    return SAP_MODULE_OF_ROLE.get(role, "PM")


def _sap_material(svc: Service) -> str:
    return new_material(svc, stock=5)


def _sap_requisition(svc: Service) -> str:
    body = {"material_id": "MAT-CBL-001", "quantity": 1}
    created = svc.client.post("/api/mm/requisitions", json=body, headers=svc.admin)
    return str(_ok(created)["requisition_id"])


def _sap_order(svc: Service, started: bool = False) -> str:
    """A work order of its own whose stock is there (``started``: in progress)."""
    order_id = str(open_order(svc, [(new_material(svc, stock=2), 1)])["work_order_id"])
    if started:
        _ok(svc.client.post(f"/api/pm/work-orders/{order_id}/start", headers=svc.admin), 200)
    return order_id


def _sap_pending_approval(svc: Service) -> str:
    return str(approval_of(svc, open_order(svc, [(new_material(svc, stock=0), 3)]))["approval_id"])


def _sap_ticket(svc: Service, role: str) -> str:
    body = {"ticket_type": "Incident", "module": _sap_module(role), "title": "matrix"}
    return str(_ok(svc.client.post("/api/tickets", json=body, headers=svc.admin))["ticket_id"])


# The messaging routes every service has, and the password-reset flow's.


def _insert(svc: Service, table: str, values: dict[str, Any]) -> None:
    """A row written straight into the service's database (what a flow would have left)."""
    engine = create_engine(svc.url)
    try:
        with engine.begin() as conn:
            columns = ", ".join(values)
            conn.execute(
                text(
                    f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in values)})"
                ),
                values,
            )
    finally:
        engine.dispose()


def _dead_message(svc: Service, correlation_id: str | None = None) -> str:
    message_id = str(uuid.uuid4())
    _insert(
        svc,
        "outbox_messages",
        {
            "message_id": message_id,
            "topic": "password_reset.example",
            "destination": "nowhere",
            "correlation_id": correlation_id or uuid.uuid4().hex,
            "payload": "{}",
            "status": "dead",
            "attempts": 10,
        },
    )
    return message_id


def _hop_body(svc: Service, role: str) -> Request:
    body = {
        "message_id": str(uuid.uuid4()),
        "topic": "password_reset.example",
        "correlation_id": uuid.uuid4().hex,
        "payload": {},
    }
    return "/api/messages", body


MESSAGING: dict[tuple[str, str], Example] = {
    ("POST", "/api/messages"): _hop_body,
    ("GET", "/api/messages/outbox"): lambda svc, role: ("/api/messages/outbox", None),
    ("POST", "/api/messages/outbox/{message_id}/replay"): lambda svc, role: (
        f"/api/messages/outbox/{_dead_message(svc)}/replay",
        None,
    ),
}


def _open_sap_reset(svc: Service) -> str:
    """An open reset ticket for a new SAP user of its own."""
    role = svc.app.roles[-1]
    username = svc.app.login_for(role)
    body = svc.app.user_body(username, f"pw-{secrets.token_urlsafe(12)}", role)
    _ok(svc.client.post("/api/users", json=body, headers=svc.admin))
    ticket_id = f"PRT-{secrets.token_hex(8).upper()}"
    _insert(
        svc,
        "password_reset_tickets",
        {
            "sap_ticket_id": ticket_id,
            "username": username,
            "status": "open",
            "correlation_id": uuid.uuid4().hex,
            "comments": "[]",
        },
    )
    return ticket_id


def _flow_run(svc: Service, dead: bool = False) -> str:
    correlation_id = uuid.uuid4().hex
    _insert(
        svc,
        "flow_runs",
        {
            "correlation_id": correlation_id,
            "flow": "password_reset",
            "status": "dead" if dead else "running",
            "attempts": 0,
        },
    )
    if dead:
        _dead_message(svc, correlation_id)
    return correlation_id


def _servicenow_reset(svc: Service, role: str) -> Request:
    body: dict[str, Any] = {"sap_username": "someone"}
    if role == "service":  # a service names whom it asks for
        body["requester_email"] = svc.app.admin_login
    return "/api/password-resets", body


SAP: dict[tuple[str, str], Example] = {
    **COMMON,
    **_user_routes(_new_user_body),
    **MESSAGING,
    ("GET", "/api/password-resets"): lambda svc, role: ("/api/password-resets", None),
    ("POST", "/api/password-resets/{sap_ticket_id}/reset"): lambda svc, role: (
        f"/api/password-resets/{_open_sap_reset(svc)}/reset",
        None,
    ),
    ("POST", "/api/password-resets/{sap_ticket_id}/reject"): lambda svc, role: (
        f"/api/password-resets/{_open_sap_reset(svc)}/reject",
        {"reason": "matrix"},
    ),
    ("POST", "/api/users/{user_id}/activate"): lambda svc, role: (
        f"/api/users/{_fresh_user(svc)}/activate",
        None,
    ),
    ("PUT", "/api/users/{user_id}/password"): lambda svc, role: (
        f"/api/users/{_fresh_user(svc)}/password",
        {"password": f"pw-{secrets.token_urlsafe(12)}"},
    ),
    ("POST", "/api/tickets"): lambda svc, role: (
        "/api/tickets",
        {"ticket_type": "Incident", "module": _sap_module(role), "title": "matrix"},
    ),
    ("GET", "/api/tickets"): lambda svc, role: ("/api/tickets", None),
    ("GET", "/api/tickets/{ticket_id}"): lambda svc, role: (
        f"/api/tickets/{_sap_ticket(svc, role)}",
        None,
    ),
    ("PATCH", "/api/tickets/{ticket_id}"): lambda svc, role: (
        f"/api/tickets/{_sap_ticket(svc, role)}",
        {"status": "Assigned"},
    ),
    ("GET", "/api/tickets/{ticket_id}/audit"): lambda svc, role: (
        f"/api/tickets/{_sap_ticket(svc, role)}/audit",
        None,
    ),
    ("POST", "/api/mm/materials"): lambda svc, role: (
        "/api/mm/materials",
        {
            "material_id": f"MAT-M-{secrets.token_hex(4).upper()}",
            "description": "matrix",
            "unit_of_measure": "EA",
        },
    ),
    ("GET", "/api/mm/materials/{material_id}"): lambda svc, role: (
        "/api/mm/materials/MAT-CBL-001",
        None,
    ),
    ("PATCH", "/api/mm/materials/{material_id}"): lambda svc, role: (
        f"/api/mm/materials/{_sap_material(svc)}",
        {"description": "matrix, renamed", "reorder_level": 2},
    ),
    ("POST", "/api/mm/stock-transactions"): lambda svc, role: (
        "/api/mm/stock-transactions",
        {"material_id": _sap_material(svc), "transaction_type": "issue", "quantity": 1},
    ),
    ("POST", "/api/mm/requisitions"): lambda svc, role: (
        "/api/mm/requisitions",
        {"material_id": "MAT-CBL-001", "quantity": 1},
    ),
    ("GET", "/api/mm/requisitions/{requisition_id}"): lambda svc, role: (
        f"/api/mm/requisitions/{_sap_requisition(svc)}",
        None,
    ),
    ("PATCH", "/api/mm/requisitions/{requisition_id}"): lambda svc, role: (
        f"/api/mm/requisitions/{_sap_requisition(svc)}",
        {"status": "approved"},
    ),
    ("GET", "/api/fi/approvals/{approval_id}"): lambda svc, role: (
        "/api/fi/approvals/APR-2024-0001",
        None,
    ),
    ("POST", "/api/fi/approvals/{approval_id}/approve"): lambda svc, role: (
        f"/api/fi/approvals/{_sap_pending_approval(svc)}/approve",
        {"comment": "matrix"},
    ),
    ("POST", "/api/fi/approvals/{approval_id}/reject"): lambda svc, role: (
        f"/api/fi/approvals/{_sap_pending_approval(svc)}/reject",
        {"comment": "matrix"},
    ),
    ("GET", "/api/pm/work-orders/{work_order_id}"): lambda svc, role: (
        f"/api/pm/work-orders/{_sap_order(svc)}",
        None,
    ),
    ("POST", "/api/pm/work-orders/{work_order_id}/proceed"): lambda svc, role: (
        f"/api/pm/work-orders/{_sap_order(svc)}/proceed",
        None,
    ),
    ("POST", "/api/pm/work-orders/{work_order_id}/start"): lambda svc, role: (
        f"/api/pm/work-orders/{_sap_order(svc)}/start",
        None,
    ),
    ("POST", "/api/pm/work-orders/{work_order_id}/complete"): lambda svc, role: (
        f"/api/pm/work-orders/{_sap_order(svc, started=True)}/complete",
        {"note": "matrix"},
    ),
    ("POST", "/api/pm/work-orders/{work_order_id}/cancel"): lambda svc, role: (
        f"/api/pm/work-orders/{_sap_order(svc)}/cancel",
        {"note": "matrix"},
    ),
    **{
        ("GET", f"/api/{module}/{table}"): (lambda p: lambda svc, role: (p, None))(
            f"/api/{module}/{table}"
        )
        for module, tables in {
            "pm": ("assets", "maintenance-orders", "incidents", "work-orders"),
            "mm": ("materials", "stock-transactions", "requisitions"),
            "fi": ("cost-centers", "cost-entries", "approvals"),
        }.items()
        for table in tables
    },
}


# ServiceNow


def _sn_ticket(svc: Service, role: str) -> str:
    """A ticket the role can see: raised by that role's user (plain users see only theirs)."""
    headers = svc.headers.get(role, svc.admin)
    body: dict[str, Any] = {"title": "matrix"}
    if role == "service":
        body["requester_email"] = svc.app.admin_login
    return str(_ok(svc.client.post("/api/tickets", json=body, headers=headers))["ticket_number"])


SERVICENOW: dict[tuple[str, str], Example] = {
    **COMMON,
    **_user_routes(_new_user_body),
    **MESSAGING,
    ("POST", "/api/password-resets"): _servicenow_reset,
    ("POST", "/api/tickets"): lambda svc, role: (
        "/api/tickets",
        {
            "title": "matrix",
            **({"requester_email": svc.app.admin_login} if role == "service" else {}),
        },
    ),
    ("GET", "/api/tickets"): lambda svc, role: ("/api/tickets", None),
    ("GET", "/api/tickets/{number}"): lambda svc, role: (
        f"/api/tickets/{_sn_ticket(svc, role)}",
        None,
    ),
    ("PATCH", "/api/tickets/{number}"): lambda svc, role: (
        f"/api/tickets/{_sn_ticket(svc, 'admin')}",
        {"status": "in_progress"},
    ),
    ("POST", "/api/tickets/{number}/work_notes"): lambda svc, role: (
        f"/api/tickets/{_sn_ticket(svc, 'admin')}/work_notes",
        {"note": "checked the line"},
    ),
    ("GET", "/api/tickets/{number}/work_notes"): lambda svc, role: (
        f"/api/tickets/{_sn_ticket(svc, 'admin')}/work_notes",
        None,
    ),
    ("GET", "/api/now/table/{table}"): lambda svc, role: (
        "/api/now/table/incident?sysparm_limit=5",
        None,
    ),
}


# Integration platform


def _ip_integration(svc: Service) -> int:
    body = {"name": f"flow-{secrets.token_hex(3)}"}
    return int(_ok(svc.client.post("/api/integrations", json=body, headers=svc.admin))["id"])


def _ip_key(svc: Service, role: str) -> int:
    """A key of the role's own user (a developer revokes only their own)."""
    headers = svc.headers[role] if role in ("admin", "developer") else svc.admin
    return int(_ok(svc.client.post("/api/api-keys", json={"name": "k"}, headers=headers))["id"])


MULESOFT: dict[tuple[str, str], Example] = {
    **COMMON,
    **_user_routes(_new_user_body),
    **MESSAGING,
    ("GET", "/api/flows/runs"): lambda svc, role: ("/api/flows/runs", None),
    ("GET", "/api/flows/runs/{correlation_id}"): lambda svc, role: (
        f"/api/flows/runs/{_flow_run(svc)}",
        None,
    ),
    ("POST", "/api/flows/runs/{correlation_id}/replay"): lambda svc, role: (
        f"/api/flows/runs/{_flow_run(svc, dead=True)}/replay",
        None,
    ),
    ("POST", "/api/api-keys"): lambda svc, role: ("/api/api-keys", {"name": "matrix"}),
    ("GET", "/api/api-keys"): lambda svc, role: ("/api/api-keys", None),
    ("POST", "/api/api-keys/{key_id}/revoke"): lambda svc, role: (
        f"/api/api-keys/{_ip_key(svc, role)}/revoke",
        None,
    ),
    ("POST", "/api/integrations"): lambda svc, role: ("/api/integrations", {"name": "matrix"}),
    ("GET", "/api/integrations"): lambda svc, role: ("/api/integrations", None),
    ("GET", "/api/integrations/{integration_id}"): lambda svc, role: (
        f"/api/integrations/{_ip_integration(svc)}",
        None,
    ),
    ("POST", "/api/integrations/{integration_id}/logs"): lambda svc, role: (
        f"/api/integrations/{_ip_integration(svc)}/logs",
        {"message": "matrix"},
    ),
    ("GET", "/api/integrations/{integration_id}/logs"): lambda svc, role: (
        f"/api/integrations/{_ip_integration(svc)}/logs",
        None,
    ),
    ("GET", "/api/integration-logs"): lambda svc, role: ("/api/integration-logs", None),
}

EXAMPLES: dict[str, dict[tuple[str, str], Example]] = {
    "sap": SAP,
    "servicenow": SERVICENOW,
    "mulesoft": MULESOFT,
}
