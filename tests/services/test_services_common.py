"""What the three services have in common, one matrix over apps and engines (SQLite and
PostgreSQL): health and readiness, sign-in, tokens, errors as problem details, correlation
ids, CORS, and the authorisation rule of every route."""

from __future__ import annotations

import datetime as dt
import logging

import jwt
import pytest
from fastapi import Depends
from route_examples import EXAMPLES
from services_support import (
    Service,
    create_user,
    in_process,
    issued,
    leaks,
    login,
    new_password,
)

from servicekit.auth import PUBLIC, route_rules

PROBLEM = "application/problem+json"


def test_health_and_ready(service: Service) -> None:
    assert service.client.get("/health").json() == {"status": "ok"}
    ready = service.client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_openapi_docs_are_served(service: Service) -> None:
    assert service.client.get("/docs").status_code == 200
    paths = service.client.get("/openapi.json").json()["paths"]
    assert "/api/auth/login" in paths


def test_login_refresh_and_me(service: Service) -> None:
    app = service.app
    response = service.client.post(
        "/api/auth/login",
        json={"username": app.admin_login, "password": service.credentials.admin_password},
    )
    tokens = response.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] > 0
    me = service.client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["roles"] == [app.admin_role]
    refreshed = service.client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]
    # An access token is not a refresh token, and the other way round.
    wrong = service.client.post("/api/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert wrong.status_code == 401
    as_access = service.client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert as_access.status_code == 401


def test_failed_logins_all_look_the_same(service: Service) -> None:
    app = service.app
    name, password, user_id = create_user(service.client, app, service.admin, app.roles[-1])
    disable = service.client.post(f"/api/users/{user_id}/disable", headers=service.admin)
    assert disable.status_code == 200
    attempts = [
        (app.admin_login, "wrong-password"),
        ("nobody-" + app.login_for(app.roles[-1]), "whatever-password"),
        (name, password),  # right password, disabled account
    ]
    details = set()
    for username, secret in attempts:
        response = service.client.post(
            "/api/auth/login", json={"username": username, "password": secret}
        )
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        details.add(response.json()["detail"])
    assert len(details) == 1


def test_expired_and_forged_tokens_are_refused(service: Service) -> None:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": "1",
        "roles": [service.app.admin_role],
        "typ": "access",
        "iss": service.app.name,
        "aud": service.app.name,
        "iat": now - dt.timedelta(hours=2),
        "exp": now - dt.timedelta(hours=1),
    }
    expired = jwt.encode(claims, service.credentials.jwt_secret, algorithm="HS256")
    forged = jwt.encode(
        {**claims, "exp": now + dt.timedelta(hours=1)}, "not-the-secret" * 4, algorithm="HS256"
    )
    for token in (expired, forged, "not-a-token"):
        response = service.client.get("/api/users", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


def test_errors_are_problem_details(service: Service) -> None:
    missing = service.client.get("/api/no-such-route")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.json()["status"] == 404
    invalid = service.client.post("/api/users", json={"nonsense": True}, headers=service.admin)
    assert invalid.status_code == 422
    body = invalid.json()
    assert invalid.headers["content-type"] == PROBLEM
    assert {"type", "title", "status", "detail"} <= set(body) and body["errors"]
    assert "Traceback" not in invalid.text


def test_correlation_id_is_kept_or_minted(service: Service) -> None:
    given = service.client.get("/health", headers={"X-Correlation-ID": "flow-42"})
    assert given.headers["X-Correlation-ID"] == "flow-42"
    minted = service.client.get("/health")
    assert len(minted.headers["X-Correlation-ID"]) == 32
    hostile = service.client.get("/health", headers={"X-Correlation-ID": "a b\nc"})
    assert hostile.headers["X-Correlation-ID"] != "a b\nc"
    problem = service.client.get("/api/users", headers={"X-Correlation-ID": "flow-43"})
    assert problem.json()["correlation_id"] == "flow-43"


def test_no_self_registration(service: Service) -> None:
    """Users are made by administrators only: no public route creates one."""
    public_posts = [
        path
        for method, path, rule in route_rules(service.client.app)
        if method == "POST" and rule is not None and rule.public
    ]
    assert sorted(public_posts) == ["/api/auth/login", "/api/auth/refresh"]
    body = service.app.user_body(
        service.app.login_for(service.app.admin_role), new_password(), service.app.admin_role
    )
    assert service.client.post("/api/users", json=body).status_code == 401


def test_every_route_has_an_authorisation_rule_and_an_example(service: Service) -> None:
    examples = EXAMPLES[service.app.name]
    missing_rule, missing_example = [], []
    for method, path, rule in route_rules(service.client.app):
        if rule is None:
            missing_rule.append(f"{method} {path}")
        elif not rule.public and (method, path) not in examples:
            missing_example.append(f"{method} {path}")
    assert not missing_rule, f"routes without an authorisation rule: {missing_rule}"
    assert not missing_example, f"routes without an example in route_examples: {missing_example}"


def test_authorisation_matrix(service: Service) -> None:
    """For every route: anonymous -> 401, each role it does not allow -> 403, each role it
    allows -> 2xx."""
    examples = EXAMPLES[service.app.name]
    failures = []
    rules = route_rules(service.client.app)
    assert len(rules) > 5
    for method, template, rule in rules:
        assert rule is not None, f"{method} {template} has no authorisation rule"
        if rule.public:
            continue
        example = examples[(method, template)]
        path, body, *_ = example(service, service.app.admin_role)
        anonymous = service.client.request(method, path, json=body)
        if anonymous.status_code != 401:
            failures.append(f"{method} {template} anonymous: {anonymous.status_code}")
        for role, usual in service.headers.items():
            path, body, *other = example(service, role)
            headers = other[0] if other else usual
            response = service.client.request(method, path, json=body, headers=headers)
            allowed = rule.allows(frozenset({role}))
            ok = 200 <= response.status_code < 300 if allowed else response.status_code == 403
            if not ok:
                failures.append(
                    f"{method} {template} as {role}: {response.status_code} {response.text[:150]}"
                )
    assert not failures, "\n".join(failures)


def test_cors_only_for_configured_origins(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = service.app
    preflight = {"Access-Control-Request-Method": "GET"}
    closed = service.client.request(
        "OPTIONS", "/api/auth/me", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in closed.headers
    monkeypatch.setenv(app.url_env, service.url.render_as_string(hide_password=False))
    settings = service.credentials.settings(app, cors_origins="https://desk.example")
    with in_process(app.create_app(settings)) as client:
        good = client.request(
            "OPTIONS", "/api/auth/me", headers={"Origin": "https://desk.example", **preflight}
        )
        bad = client.request(
            "OPTIONS", "/api/auth/me", headers={"Origin": "https://evil.example", **preflight}
        )
    assert good.headers["access-control-allow-origin"] == "https://desk.example"
    assert "access-control-allow-origin" not in bad.headers


def test_password_hash_is_never_answered(service: Service) -> None:
    users = service.client.get("/api/users", headers=service.admin)
    assert users.status_code == 200 and users.json()
    assert "$argon2" not in users.text
    assert not {"password_hash", "hashed_password", "password"} & set(users.json()[0])


def test_the_leak_check_finds_hashes_secrets_and_tokens() -> None:
    """The check run over the whole session's output (conftest) does catch each kind."""
    secret = issued("a-secret-that-must-not-show-up")
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwicm9sZXMiOltdfQ.c2lnbmF0dXJl"
    assert leaks(["user stored $argon2id$v=19$m=65536,t=3,p=4$abc"], [])
    assert leaks([f"key={secret}"], [])
    assert leaks([f"Authorization: Bearer {token}"], [])
    assert leaks([], [("GET", "/api/users", '{"password_hash": "$argon2id$v=19$..."}')])
    assert leaks([], [("GET", "/api/api-keys", f'{{"key": "{secret}"}}')])
    assert not leaks([], [("POST", "/api/api-keys", f'{{"key": "{secret}"}}')])
    assert not leaks(["request path=/api/tickets status=201"], [])


def test_a_user_changes_their_own_password(service: Service) -> None:
    app = service.app
    name, password, _ = create_user(service.client, app, service.admin, app.roles[-1])
    headers = login(service.client, name, password)
    wrong = service.client.post(
        "/api/auth/password",
        json={"current_password": "not-it", "new_password": "a-new-password-1"},
        headers=headers,
    )
    assert wrong.status_code == 401
    new = new_password()
    changed = service.client.post(
        "/api/auth/password",
        json={"current_password": password, "new_password": new},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    old = service.client.post("/api/auth/login", json={"username": name, "password": password})
    assert old.status_code == 401
    assert (
        service.client.post("/api/auth/login", json={"username": name, "password": new}).json()[
            "must_change_password"
        ]
        is False
    )


def test_an_unexpected_error_is_a_500_problem_without_its_message(
    service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever goes wrong inside: a problem for the client, the error's type and place in
    the log, never its message (it may quote data) nor a traceback."""
    app = service.app
    monkeypatch.setenv(app.url_env, service.url.render_as_string(hide_password=False))
    application = app.create_app(service.credentials.settings(app))

    async def broken() -> None:
        raise RuntimeError("parameters: ('$argon2id$v=19$leaked',)")

    application.add_api_route("/api/broken", broken, dependencies=[Depends(PUBLIC)])
    with caplog.at_level(logging.INFO), in_process(application) as client:
        response = client.get("/api/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "argon2" not in response.text and "Traceback" not in response.text
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "unhandled_error" in logged and "RuntimeError" in logged
    assert "argon2" not in logged and "Traceback" not in logged
