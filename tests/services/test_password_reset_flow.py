"""The password-reset flow end to end: ServiceNow → integration platform → SAP and back, with
the three services as real uvicorn processes on databases migrated by netapps, on SQLite and
on PostgreSQL. Exactly once, whatever is delivered twice, refused, stopped or killed."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flow_support import FlowCluster, dump_database, flow_cluster, wait_for
from services_support import APPS, HANDS_OUT_PATHS, RESPONSES, issued
from sqlalchemy.engine import URL

#: Every temporary password SAP handed out in this module.
TEMPORARY: list[str] = []


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cluster(
    request: pytest.FixtureRequest,
    module_databases: Callable[[str], URL],
    tmp_path_factory: pytest.TempPathFactory,
    _test_config: Path,
) -> Iterator[FlowCluster]:
    urls = {name: module_databases(str(request.param)) for name in APPS}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETAPPS_CONFIG", str(_test_config))
        with flow_cluster(urls, tmp_path_factory.mktemp("flow-logs")) as started:
            yield started


def _opened(cluster: FlowCluster, correlation_id: str, timeout: float = 10.0) -> dict[str, Any]:
    tickets = wait_for(
        "SAP lists the reset ticket",
        lambda: cluster.sap_tickets(correlation_id),
        timeout=timeout,
    )
    assert len(tickets) == 1, tickets
    ticket: dict[str, Any] = tickets[0]
    return ticket


def _finished(cluster: FlowCluster, number: str, timeout: float = 10.0) -> dict[str, Any]:
    ticket: dict[str, Any] = wait_for(
        f"ServiceNow closes {number}",
        lambda: (
            (t := cluster.servicenow_ticket(number))["status"] in ("resolved", "rejected") and t
        ),
        timeout=timeout,
    )
    return ticket


def _reset(cluster: FlowCluster, sap_ticket_id: str) -> str:
    temporary = str(cluster.reset(sap_ticket_id)["temporary_password"])
    TEMPORARY.append(temporary)
    return temporary


def _work_notes(cluster: FlowCluster, number: str) -> list[dict[str, Any]]:
    response = cluster.call(
        "servicenow",
        "GET",
        f"/api/tickets/{number}/work_notes",
        headers=cluster.admin["servicenow"],
    )
    assert response.status_code == 200, response.text
    notes: list[dict[str, Any]] = response.json()
    return notes


def _complete(cluster: FlowCluster, username: str, number: str, cid: str) -> str:
    """Opened in SAP → reset by the admin → resolved in ServiceNow; the temporary password."""
    opened = _opened(cluster, cid)
    assert opened["username"] == username and opened["servicenow_ticket_id"] == number
    temporary = _reset(cluster, opened["sap_ticket_id"])
    assert _finished(cluster, number)["status"] == "resolved"
    run = wait_for("the run succeeds", lambda: cluster.run(cid).get("status") == "succeeded")
    assert run
    return temporary


def test_happy_path(cluster: FlowCluster) -> None:
    username, old_password = cluster.sap_user()
    requester = cluster.servicenow_user()
    started = time.monotonic()
    ticket = cluster.request_reset(username, requester)
    number, cid = ticket["ticket_number"], ticket["correlation_id"]
    assert ticket["status"] == "submitted" and number.startswith("REQ") and cid
    assert (ticket["category"], ticket["subcategory"]) == ("User Account", "Password Reset")

    opened = _opened(cluster, cid)
    assert time.monotonic() - started < 10
    assert opened["status"] == "open" and opened["username"] == username
    # Meanwhile ServiceNow heard the request is being worked on.
    wait_for(
        "ServiceNow shows in_progress",
        lambda: cluster.servicenow_ticket(number)["status"] == "in_progress",
    )

    done = cluster.reset(opened["sap_ticket_id"])
    temporary = done["temporary_password"]
    TEMPORARY.append(temporary)
    assert done["status"] == "completed" and done["must_change_password"] is True
    # The ticket is no longer open: a second reset is refused.
    again = cluster.call(
        "sap",
        "POST",
        f"/api/password-resets/{opened['sap_ticket_id']}/reset",
        headers=cluster.admin["sap"],
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    resolved = _finished(cluster, number)
    assert resolved["status"] == "resolved"
    assert opened["sap_ticket_id"] in resolved["resolution_notes"]
    notes = _work_notes(cluster, number)
    assert len(notes) == 1 and "SAP reset the password" in notes[0]["note"]

    run = wait_for(
        "the platform's run succeeds",
        lambda: (r := cluster.run(cid)).get("status") == "succeeded" and r,
    )
    assert run["reset_status"] == "completed" and run["sap_status"] == "completed"
    assert run["servicenow_updated"] is True and run["sap_ticket_id"] == opened["sap_ticket_id"]
    logs = cluster.call(
        "mulesoft",
        "GET",
        "/api/integration-logs",
        params={"correlation_id": cid},
        headers=cluster.admin["mulesoft"],
    ).json()
    messages = " | ".join(entry["message"] for entry in logs)
    for hop in (
        "received password_reset.requested from servicenow",
        "delivered password_reset.open to sap",
        "received password_reset.opened from sap",
        "delivered password_reset.progress to servicenow",
        "received password_reset.outcome from sap: completed",
        "delivered password_reset.resolved to servicenow",
    ):
        assert hop in messages, f"{hop!r} missing from {messages}"

    # The user signs in with the temporary password (must change it); the old one is gone.
    old = cluster.call(
        "sap", "POST", "/api/auth/login", json={"username": username, "password": old_password}
    )
    assert old.status_code == 401
    signed_in = cluster.call(
        "sap", "POST", "/api/auth/login", json={"username": username, "password": temporary}
    )
    assert signed_in.status_code == 200 and signed_in.json()["must_change_password"] is True
    headers = {"Authorization": f"Bearer {issued(signed_in.json()['access_token'])}"}
    blocked = cluster.call("sap", "GET", "/api/tickets", headers=headers)
    assert blocked.status_code == 403
    new_password = issued(f"pw-{secrets.token_urlsafe(12)}")
    changed = cluster.call(
        "sap",
        "POST",
        "/api/auth/password",
        json={"current_password": temporary, "new_password": new_password},
        headers=headers,
    )
    assert changed.status_code in (200, 204), changed.text
    final = cluster.call(
        "sap", "POST", "/api/auth/login", json={"username": username, "password": new_password}
    )
    assert final.status_code == 200 and final.json()["must_change_password"] is False


def test_unknown_sap_user_is_rejected_back_to_servicenow(cluster: FlowCluster) -> None:
    requester = cluster.servicenow_user()
    ticket = cluster.request_reset("nobody-" + secrets.token_hex(3), requester)
    closed = _finished(cluster, ticket["ticket_number"])
    assert closed["status"] == "rejected"
    assert "SAP has no active user named" in closed["resolution_notes"]
    notes = _work_notes(cluster, ticket["ticket_number"])
    assert len(notes) == 1 and "rejected" in notes[0]["note"]
    assert cluster.sap_tickets(ticket["correlation_id"]) == []
    run = wait_for(
        "the run ends failed",
        lambda: (r := cluster.run(ticket["correlation_id"])).get("status") == "failed" and r,
    )
    assert run["reset_status"] == "failed" and run["sap_status"] == "rejected"
    assert run["servicenow_updated"] is True


def test_admin_rejects_the_request(cluster: FlowCluster) -> None:
    username, _ = cluster.sap_user()
    ticket = cluster.request_reset(username, cluster.servicenow_user())
    opened = _opened(cluster, ticket["correlation_id"])
    rejected = cluster.call(
        "sap",
        "POST",
        f"/api/password-resets/{opened['sap_ticket_id']}/reject",
        json={"reason": "the request did not come from the user"},
        headers=cluster.admin["sap"],
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "cancelled"
    closed = _finished(cluster, ticket["ticket_number"])
    assert closed["status"] == "rejected"
    assert "did not come from the user" in closed["resolution_notes"]


def test_same_request_twice_with_one_idempotency_key_makes_one_ticket(
    cluster: FlowCluster,
) -> None:
    username, _ = cluster.sap_user()
    requester = cluster.servicenow_user()
    key = str(uuid.uuid4())
    first = cluster.request_reset(username, requester, key=key)
    second = cluster.request_reset(username, requester, key=key)
    assert second["ticket_number"] == first["ticket_number"]
    assert second["correlation_id"] == first["correlation_id"]
    # The same key from another caller is another request.
    other = cluster.request_reset(username, cluster.servicenow_user(), key=key)
    assert other["ticket_number"] != first["ticket_number"]
    _opened(cluster, first["correlation_id"])
    time.sleep(0.5)  # anything doubled would have arrived by now
    assert len(cluster.sap_tickets(first["correlation_id"])) == 1
    mine = cluster.call(
        "servicenow", "GET", "/api/tickets", params={"limit": 100}, headers=requester
    ).json()
    assert [t["ticket_number"] for t in mine] == [first["ticket_number"]]


def _message(cid: str, username: str, message_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "message_id": message_id or str(uuid.uuid4()),
            "topic": "password_reset.open",
            "correlation_id": cid,
            "payload": {"username": username, "servicenow_ticket_id": "REQ-TEST"},
        }
    ).encode()


def _sap_state(cluster: FlowCluster) -> list[tuple[str, str]]:
    rows = cluster.call(
        "sap",
        "GET",
        "/api/password-resets",
        params={"status": "all", "limit": 500},
        headers=cluster.admin["sap"],
    ).json()
    return sorted((r["sap_ticket_id"], r["status"]) for r in rows)


def test_same_message_twice_opens_one_sap_ticket(cluster: FlowCluster) -> None:
    username, _ = cluster.sap_user()
    ticket = cluster.request_reset(username, cluster.servicenow_user())
    cid = ticket["correlation_id"]
    opened = _opened(cluster, cid)
    before = _sap_state(cluster)
    message_id = str(uuid.uuid4())
    body = _message(cid, username, message_id)
    first = cluster.call(
        "sap", "POST", "/api/messages", content=body, headers=cluster.signed("sap", body)
    )
    assert first.status_code == 200 and first.json()["status"] == "applied"
    time.sleep(0.01)
    # The same message again (a relay's retry, signed anew): recognised, nothing changes.
    second = cluster.call(
        "sap", "POST", "/api/messages", content=body, headers=cluster.signed("sap", body)
    )
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    # Another message of the same flow: the correlation id keys the ticket.
    third_body = _message(cid, username)
    third = cluster.call(
        "sap",
        "POST",
        "/api/messages",
        content=third_body,
        headers=cluster.signed("sap", third_body),
    )
    assert third.status_code == 200
    assert cluster.sap_tickets(cid) == [opened]
    assert _sap_state(cluster) == before


def test_forged_replayed_and_anonymous_hops_are_refused_and_change_nothing(
    cluster: FlowCluster,
) -> None:
    username, _ = cluster.sap_user()
    before = _sap_state(cluster)
    cid = uuid.uuid4().hex
    body = _message(cid, username)
    refused = {
        "anonymous": cluster.call("sap", "POST", "/api/messages", content=body),
        "wrong key": cluster.call(
            "sap",
            "POST",
            "/api/messages",
            content=body,
            headers=cluster.signed("sap", body, secret=secrets.token_urlsafe(48)),
        ),
        "altered body": cluster.call(
            "sap",
            "POST",
            "/api/messages",
            content=_message(cid, "admin"),
            headers=cluster.signed("sap", body),
        ),
        "stale": cluster.call(
            "sap",
            "POST",
            "/api/messages",
            content=body,
            headers=cluster.signed("sap", body, at=time.time() - 3600),
        ),
    }
    for what, response in refused.items():
        assert response.status_code == 401, (what, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # A signed request replayed as it was: the first applies, the copy is refused.
    headers = cluster.signed("sap", body)
    applied = cluster.call("sap", "POST", "/api/messages", content=body, headers=headers)
    assert applied.status_code == 200
    after_first = _sap_state(cluster)
    replayed = cluster.call("sap", "POST", "/api/messages", content=body, headers=headers)
    assert replayed.status_code == 401 and "replay" in replayed.json()["detail"]
    assert _sap_state(cluster) == after_first and len(after_first) == len(before) + 1
    # A user (even an administrator) cannot deliver messages; nobody anonymous uses a route of
    # the flow; and a plain role cannot act on resets or runs.
    as_admin = cluster.call(
        "sap", "POST", "/api/messages", content=body, headers=cluster.admin["sap"]
    )
    assert as_admin.status_code == 403
    for name, method, path in (
        ("servicenow", "POST", "/api/password-resets"),
        ("sap", "GET", "/api/password-resets"),
        ("sap", "POST", f"/api/password-resets/{after_first[0][0]}/reset"),
        ("mulesoft", "GET", "/api/flows/runs"),
        ("mulesoft", "POST", f"/api/flows/runs/{cid}/replay"),
        ("mulesoft", "GET", "/api/messages/outbox"),
        ("servicenow", "POST", "/api/messages"),
        ("mulesoft", "POST", "/api/messages"),
    ):
        response = cluster.call(name, method, path, json={"sap_username": username})
        assert response.status_code == 401, (name, method, path, response.status_code)
    requester = cluster.servicenow_user()
    for name, method, path, headers in (
        ("servicenow", "GET", "/api/messages/outbox", requester),
        ("servicenow", "POST", "/api/messages", requester),
    ):
        assert cluster.call(name, method, path, headers=headers).status_code == 403
    assert _sap_state(cluster) == after_first


def test_a_hop_is_accepted_only_from_the_sender_its_flow_declares(cluster: FlowCluster) -> None:
    """ServiceNow accepts ``password_reset.resolved`` from the platform only: SAP (which shares
    no key with ServiceNow), SAP holding its own key with the platform, or an unknown service
    cannot resolve a ticket; and a peer that does share a key with the receiver cannot send a
    topic its flow gives to another sender."""
    username, _ = cluster.sap_user()
    ticket = cluster.request_reset(username, cluster.servicenow_user())
    number, cid = ticket["ticket_number"], ticket["correlation_id"]
    wait_for(
        "ServiceNow's ticket moves on",
        lambda: cluster.servicenow_ticket(number)["status"] == "in_progress",
    )

    def resolved() -> bytes:
        return json.dumps(
            {
                "message_id": str(uuid.uuid4()),
                "topic": "password_reset.resolved",
                "correlation_id": cid,
                "payload": {"outcome": "completed", "reason": None, "sap_ticket_id": "X"},
            }
        ).encode()

    sap_key = cluster.pair_key("sap", "mulesoft")
    attempts = {
        # SAP signs as itself: ServiceNow shares no key with it.
        "from sap": ("sap", None),
        # SAP signs as the platform with the only key it has: not ServiceNow's key.
        "sap posing as the platform": ("mulesoft", sap_key),
        "an unknown sender": ("evil", secrets.token_urlsafe(48)),
    }
    for what, (source, secret) in attempts.items():
        body = resolved()
        headers = cluster.signed("servicenow", body, source=source, secret=secret or sap_key)
        response = cluster.call(
            "servicenow", "POST", "/api/messages", content=body, headers=headers
        )
        assert response.status_code == 401, (what, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # ServiceNow does share a key with the platform, but the outcome is SAP's to send.
    outcome = json.dumps(
        {
            "message_id": str(uuid.uuid4()),
            "topic": "password_reset.outcome",
            "correlation_id": cid,
            "payload": {"outcome": "completed", "reason": None, "sap_ticket_id": "X"},
        }
    ).encode()
    headers = cluster.signed("mulesoft", outcome, source="servicenow")
    wrong_sender = cluster.call(
        "mulesoft", "POST", "/api/messages", content=outcome, headers=headers
    )
    assert wrong_sender.status_code == 403, wrong_sender.text
    assert "from sap only" in wrong_sender.json()["detail"]
    assert cluster.servicenow_ticket(number)["status"] == "in_progress"
    assert cluster.run(cid)["status"] == "running"


def test_sap_down_then_back_completes_once(cluster: FlowCluster) -> None:
    username, _ = cluster.sap_user()
    requester = cluster.servicenow_user()
    cluster.stop("sap")
    try:
        ticket = cluster.request_reset(username, requester)
        cid = ticket["correlation_id"]
        run = wait_for(
            "the platform retries SAP",
            lambda: (r := cluster.run(cid)).get("attempts", 0) >= 3 and r,
        )
        assert run["status"] == "running" and run["last_error"] and run["next_attempt_at"]
        # ServiceNow, which is up, heard of the progress meanwhile.
        wait_for(
            "ServiceNow shows in_progress",
            lambda: cluster.servicenow_ticket(ticket["ticket_number"])["status"] == "in_progress",
        )
    finally:
        cluster.start("sap")
    _complete(cluster, username, ticket["ticket_number"], cid)
    assert len(cluster.sap_tickets(cid)) == 1


def test_a_message_that_keeps_failing_goes_dead_and_is_replayed(cluster: FlowCluster) -> None:
    username, _ = cluster.sap_user()
    requester = cluster.servicenow_user()
    cluster.stop("sap")
    cluster.stop("mulesoft")
    cluster.start("mulesoft", RELAY_MAX_ATTEMPTS="2")
    try:
        ticket = cluster.request_reset(username, requester)
        cid = ticket["correlation_id"]
        run = wait_for(
            "the run goes dead", lambda: (r := cluster.run(cid)).get("status") == "dead" and r
        )
        assert run["last_error"]
        dead = cluster.call(
            "mulesoft",
            "GET",
            "/api/messages/outbox",
            params={"status": "dead", "correlation_id": cid},
            headers=cluster.admin["mulesoft"],
        ).json()
        assert [m["topic"] for m in dead] == ["password_reset.open"]
        assert dead[0]["attempts"] == 2
    finally:
        cluster.start("sap")
    replayed = cluster.call(
        "mulesoft", "POST", f"/api/flows/runs/{cid}/replay", headers=cluster.admin["mulesoft"]
    )
    assert replayed.status_code == 200 and replayed.json()["status"] == "running"
    _complete(cluster, username, ticket["ticket_number"], cid)
    nothing = cluster.call(
        "mulesoft", "POST", f"/api/flows/runs/{cid}/replay", headers=cluster.admin["mulesoft"]
    )
    assert nothing.status_code == 409
    cluster.stop("mulesoft")
    cluster.start("mulesoft")


def test_integration_platform_killed_mid_flow_completes_once(cluster: FlowCluster) -> None:
    username, _ = cluster.sap_user()
    requester = cluster.servicenow_user()
    ticket = cluster.request_reset(username, requester)
    cid = ticket["correlation_id"]
    cluster.stop("mulesoft", kill=True)  # whatever it was doing with the request
    cluster.start("mulesoft")
    opened = _opened(cluster, cid)
    _reset(cluster, opened["sap_ticket_id"])
    cluster.stop("mulesoft", kill=True)  # and again with the outcome in flight
    cluster.start("mulesoft")
    assert _finished(cluster, ticket["ticket_number"])["status"] == "resolved"
    run = wait_for(
        "the run succeeds", lambda: (r := cluster.run(cid)).get("status") == "succeeded" and r
    )
    assert run["servicenow_updated"] is True
    assert len(cluster.sap_tickets(cid)) == 1
    assert len(_work_notes(cluster, ticket["ticket_number"])) == 1


def test_temporary_passwords_are_nowhere_but_the_reset_response(cluster: FlowCluster) -> None:
    """Runs last in the module: over every flow above."""
    assert TEMPORARY, "no reset happened before this test"
    dumps = {name: dump_database(cluster.urls[name]) for name in APPS}
    output = cluster.output()
    for temporary in TEMPORARY:
        for name, dump in dumps.items():
            assert temporary not in dump, f"a temporary password is in {name}'s database"
        assert temporary not in output, "a temporary password is in a service's output"
        shown = [(method, path) for method, path, body in RESPONSES if temporary in body]
        assert len(shown) == 1 and HANDS_OUT_PATHS.match(shown[0][1]), shown
